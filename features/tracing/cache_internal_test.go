package tracing

import (
	"strconv"
	"testing"
)

// TestCacheBound checks that a cache keeps at most maxCached values, and
// still returns a value for what it does not keep.
func TestCacheBound(t *testing.T) {
	var c cache[string, *rpcMethod]
	for i := range maxCached + 10 {
		name := "/s.S/M" + strconv.Itoa(i)
		if m := c.add(name, newRPCMethod(name)); m == nil || m.name != name[1:] {
			t.Fatalf("add(%q) = %v", name, m)
		}
	}
	if n := len(*c.m.Load()); n != maxCached {
		t.Errorf("%d values kept, want %d", n, maxCached)
	}
	if _, ok := c.get("/s.S/M" + strconv.Itoa(maxCached)); ok {
		t.Error("a value past the bound was kept")
	}
	first := c.add("/s.S/M0", newRPCMethod("/s.S/M0"))
	if kept, _ := c.get("/s.S/M0"); kept != first {
		t.Error("add replaced a kept value")
	}
}
