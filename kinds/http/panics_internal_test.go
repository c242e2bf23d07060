package http

import (
	"bytes"
	"fmt"
	"hash/maphash"
	"log/slog"
	"runtime/debug"
	"strings"
	"testing"
	"time"
)

// stackOf returns a stack as debug.Stack writes it, of a panic in fn
// (called from line) on goroutine gid, with arguments args.
func stackOf(gid int, args, fn string, line int) []byte {
	return fmt.Appendf(nil, `goroutine %d [running]:
runtime/debug.Stack()
	/usr/local/go/src/runtime/debug/stack.go:26 +0x5e
github.com/mikros-go/mikros/kinds/http.(*exchange).recover(%s)
	/src/kinds/http/serve.go:200 +0x%x
panic({%s})
	/usr/local/go/src/runtime/panic.go:860 +0x13a
example.com/orders.%s(...)
	/src/orders/handler.go:%d
net/http.HandlerFunc.ServeHTTP(%s)
	/usr/local/go/src/net/http/server.go:2286 +0x48
created by net/http.(*Server).Serve in goroutine %d
	/usr/local/go/src/net/http/server.go:3464 +0x88a
`, gid, args, gid, args, fn, line, args, gid+1)
}

func TestStackKey(t *testing.T) {
	seed := maphash.MakeSeed()
	base := stackKey(seed, stackOf(7, "0xc000012345, 0x2", "create", 42))
	tests := []struct {
		name  string
		stack []byte
		same  bool
	}{
		{"another goroutine and other arguments", stackOf(912, "0xc000abcdef, 0x7?", "create", 42), true},
		{"another line", stackOf(7, "0xc000012345, 0x2", "create", 43), false},
		{"another function", stackOf(7, "0xc000012345, 0x2", "update", 42), false},
	}
	for _, tt := range tests {
		if got := stackKey(seed, tt.stack) == base; got != tt.same {
			t.Errorf("%s: same key %v, want %v", tt.name, got, tt.same)
		}
	}
}

func TestPanicSite(t *testing.T) {
	tests := []struct {
		name  string
		stack []byte
		want  string
	}{
		{"a panic of the handler", stackOf(7, "0x1", "create", 42), "example.com/orders.create at /src/orders/handler.go:42"},
		{"no panic in the stack", []byte("goroutine 1 [running]:\nmain.main()\n\t/src/main.go:3 +0x1\n"), "unknown"},
	}
	for _, tt := range tests {
		if got := panicSite(tt.stack); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
	// A nil dereference passes through the runtime, which the site skips.
	var stack []byte
	func() {
		defer func() {
			_ = recover()
			stack = debug.Stack()
		}()
		var m map[string]*int
		_ = *m["absent"]
	}()
	if got := panicSite(stack); !strings.Contains(got, "TestPanicSite") || strings.HasPrefix(got, "runtime.") {
		t.Errorf("site of a nil dereference: %q", got)
	}
}

// TestPanicLog follows one panicLog through a sequence of panics, on a
// fake clock.
func TestPanicLog(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	l := &panicLog{interval: time.Minute, now: func() time.Time { return now }}
	a := stackOf(1, "0x1", "create", 10)
	aAgain := stackOf(2, "0x2", "create", 10)
	b := stackOf(3, "0x3", "update", 20)
	steps := []struct {
		name           string
		advance        time.Duration
		stack          []byte
		wantLog        bool
		wantSuppressed int
	}{
		{"first of a", 0, a, true, 0},
		{"repeat of a", time.Second, aAgain, false, 0},
		{"repeat of a", time.Second, a, false, 0},
		{"first of b", 0, b, true, 0},
		{"repeat of b", time.Second, b, false, 0},
		{"a once the interval passed", time.Minute, aAgain, true, 2},
		{"a again", time.Second, a, false, 0},
		{"b once the interval passed", 0, b, true, 1},
	}
	for i, s := range steps {
		now = now.Add(s.advance)
		ok, suppressed, since := l.allow(s.stack)
		if ok != s.wantLog || suppressed != s.wantSuppressed {
			t.Fatalf("step %d (%s): logged %v with %d suppressed, want %v with %d", i, s.name, ok, suppressed, s.wantLog, s.wantSuppressed)
		}
		if suppressed > 0 && since.IsZero() {
			t.Errorf("step %d (%s): no time since", i, s.name)
		}
	}
	var buf bytes.Buffer
	l.flush(slog.New(slog.NewJSONHandler(&buf, nil)))
	out := buf.String()
	if strings.Count(out, `"msg":"http: identical panics suppressed"`) != 1 ||
		!strings.Contains(out, `"panic.site":"example.com/orders.create at /src/orders/handler.go:10","suppressed":1`) {
		t.Errorf("flush wrote:\n%s", out)
	}
	buf.Reset()
	l.flush(slog.New(slog.NewJSONHandler(&buf, nil)))
	if buf.Len() != 0 {
		t.Errorf("a second flush wrote:\n%s", buf.String())
	}
}

func TestPanicLogBounds(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	l := &panicLog{interval: time.Minute, now: func() time.Time { return now }}
	for i := range maxPanicStacks {
		if ok, _, _ := l.allow(stackOf(1, "", "f", i)); !ok {
			t.Fatalf("stack %d not logged", i)
		}
	}
	// Full, every stack within its interval: a new one is logged, and not
	// remembered.
	extra := stackOf(1, "", "g", 1)
	for range 2 {
		if ok, _, _ := l.allow(extra); !ok {
			t.Fatal("a new stack was not logged while the log was full")
		}
	}
	// Once the intervals passed, the old stacks make room.
	now = now.Add(time.Minute)
	if ok, _, _ := l.allow(extra); !ok {
		t.Fatal("a new stack was not logged")
	}
	if ok, _, _ := l.allow(extra); ok {
		t.Error("the new stack was not remembered once there was room")
	}
	if len(l.stacks) > maxPanicStacks {
		t.Errorf("%d stacks remembered", len(l.stacks))
	}
	// Without an interval, every panic is logged.
	var all panicLog
	for range 3 {
		if ok, _, _ := all.allow(extra); !ok {
			t.Fatal("a panic was not logged without an interval")
		}
	}
}
