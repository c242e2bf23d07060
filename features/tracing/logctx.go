package tracing

import (
	"context"
	"encoding/hex"
	"log/slog"

	"go.opentelemetry.io/otel/trace"
)

// Keys of the fields AppendLogAttrs adds to log lines.
const (
	TraceIDKey = "trace_id"
	SpanIDKey  = "span_id"
)

// AppendLogAttrs appends to attrs the trace_id and span_id (lower-case
// hex) of the span ctx carries, so that a log line written during a call
// leads to its trace. It appends nothing, and allocates nothing, when ctx
// carries no valid span context.
func (f *Feature) AppendLogAttrs(ctx context.Context, attrs []slog.Attr) []slog.Attr {
	sc := trace.SpanContextFromContext(ctx)
	if !sc.IsValid() {
		return attrs
	}
	tid, sid := sc.TraceID(), sc.SpanID()
	return append(attrs, slog.String(TraceIDKey, hexString(tid[:])), slog.String(SpanIDKey, hexString(sid[:])))
}

// hexString returns b in lower-case hex, with one allocation.
func hexString(b []byte) string {
	var buf [2 * len(trace.TraceID{})]byte
	n := hex.Encode(buf[:], b)
	return string(buf[:n])
}
