package tracing_test

import (
	"context"
	"log/slog"
	"testing"

	"go.opentelemetry.io/otel/trace"

	"github.com/mikros-go/mikros/features/tracing"
)

func TestAppendLogAttrs(t *testing.T) {
	f := tracing.New()
	tid, _ := trace.TraceIDFromHex("0af7651916cd43dd8448eb211c80319c")
	sid, _ := trace.SpanIDFromHex("b7ad6b7169203331")
	valid := trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid})
	for _, tc := range []struct {
		name string
		ctx  context.Context
		want []slog.Attr
	}{
		{name: "no span", ctx: context.Background()},
		{name: "invalid span context", ctx: trace.ContextWithSpanContext(context.Background(), trace.SpanContext{})},
		{name: "a span", ctx: trace.ContextWithSpanContext(context.Background(), valid), want: []slog.Attr{
			slog.String("trace_id", "0af7651916cd43dd8448eb211c80319c"), slog.String("span_id", "b7ad6b7169203331"),
		}},
		{name: "a remote span", ctx: trace.ContextWithRemoteSpanContext(context.Background(), valid), want: []slog.Attr{
			slog.String("trace_id", "0af7651916cd43dd8448eb211c80319c"), slog.String("span_id", "b7ad6b7169203331"),
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := []slog.Attr{slog.Int("n", 1)}
			got := f.AppendLogAttrs(tc.ctx, before)
			want := append([]slog.Attr{slog.Int("n", 1)}, tc.want...)
			if len(got) != len(want) {
				t.Fatalf("got %v, want %v", got, want)
			}
			for i := range got {
				if !got[i].Equal(want[i]) {
					t.Errorf("attr %d = %v, want %v", i, got[i], want[i])
				}
			}
		})
	}
}

// TestAppendLogAttrsAllocs checks that a context without a span costs no
// allocation.
func TestAppendLogAttrsAllocs(t *testing.T) {
	f := tracing.New()
	var buf [4]slog.Attr
	type key struct{}
	ctx := context.WithValue(context.Background(), key{}, 1)
	if n := testing.AllocsPerRun(100, func() { _ = f.AppendLogAttrs(ctx, buf[:0]) }); n != 0 {
		t.Errorf("%v allocations without a span, want 0", n)
	}
}
