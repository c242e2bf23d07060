package http

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"reflect"
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

// TestLogSuppressedPanics checks the lines Stop writes for the panics the
// kind counted and has not reported yet: one per stack, with its site and
// count, and none the second time.
func TestLogSuppressedPanics(t *testing.T) {
	type line struct {
		Level, Msg string
		Site       string    `json:"panic.site"`
		Suppressed int       `json:"suppressed"`
		Since      time.Time `json:"suppressed_since"`
	}
	tests := []struct {
		name   string
		stacks [][]byte // the panics, in that order
		want   []line   // oldest first; Since left out
	}{
		{"no panic", nil, nil},
		{"a panic logged, not repeated", [][]byte{stackOf(1, "0x1", "create", 10)}, nil},
		{
			"repeats of one stack",
			[][]byte{stackOf(1, "0x1", "create", 10), stackOf(2, "0x2", "create", 10), stackOf(3, "0x3?", "create", 10)},
			[]line{{"ERROR", "http: identical panics suppressed", "example.com/orders.create at /src/orders/handler.go:10", 2, time.Time{}}},
		},
		{
			"repeats of two stacks",
			[][]byte{stackOf(1, "0x1", "create", 10), stackOf(2, "0x2", "update", 20), stackOf(3, "0x3", "update", 20), stackOf(4, "0x4", "create", 10)},
			[]line{
				{"ERROR", "http: identical panics suppressed", "example.com/orders.create at /src/orders/handler.go:10", 1, time.Time{}},
				{"ERROR", "http: identical panics suppressed", "example.com/orders.update at /src/orders/handler.go:20", 1, time.Time{}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			k := New()
			k.log = slog.New(slog.NewJSONHandler(&buf, nil))
			begin := time.Now()
			for _, stack := range tt.stacks {
				k.panics.Allow(stack)
			}
			k.logSuppressedPanics()
			var got []line
			for l := range strings.Lines(buf.String()) {
				var g line
				if err := json.Unmarshal([]byte(l), &g); err != nil {
					t.Fatalf("%v: %s", err, l)
				}
				if g.Since.Before(begin.Truncate(time.Millisecond)) || g.Since.After(time.Now()) {
					t.Errorf("suppressed_since %s, want the time of the first panic", g.Since)
				}
				g.Since = time.Time{}
				got = append(got, g)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("logged %+v, want %+v", got, tt.want)
			}
			buf.Reset()
			k.logSuppressedPanics()
			if buf.Len() != 0 {
				t.Errorf("a second report wrote:\n%s", buf.String())
			}
		})
	}
}
