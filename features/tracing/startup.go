package tracing

import (
	"context"

	otelcodes "go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/mikros-go/mikros/core"
)

// StartupSpanName is the name of the startup trace's root span. Its
// children are the phases that ran, each named after its phase
// ("configure", "build", "start").
const StartupSpanName = "startup"

// RecordStartup records how the service started as a trace: a span named
// "startup" from the beginning of the first phase to the end of the last,
// with a child span per phase, at the phases' own times. A phase that
// failed has an Error status with its error, and so has the root span.
// The root span is a child of the span ctx carries, if any (with
// core.Main, none: it starts a trace of its own). Like any new trace, it
// is recorded as the sampler decides.
func (f *Feature) RecordStartup(ctx context.Context, phases []core.Phase) {
	r := f.run.Load()
	if r == nil || len(phases) == 0 {
		return
	}
	first, last := phases[0], phases[len(phases)-1]
	ctx, root := r.tracer.Start(ctx, StartupSpanName,
		trace.WithSpanKind(trace.SpanKindInternal), trace.WithTimestamp(first.Start))
	var failed string
	for _, p := range phases {
		_, span := r.tracer.Start(ctx, p.Name,
			trace.WithSpanKind(trace.SpanKindInternal), trace.WithTimestamp(p.Start))
		if p.Err != nil {
			span.SetStatus(otelcodes.Error, p.Err.Error())
			if failed == "" {
				failed = p.Name
			}
		}
		span.End(trace.WithTimestamp(p.End))
	}
	if failed != "" {
		root.SetStatus(otelcodes.Error, "the "+failed+" phase failed")
	}
	root.End(trace.WithTimestamp(last.End))
}
