package tracing_test

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/mikros-go/mikros/features/tracing"
)

// TestGlobals runs two features whose runs overlap, as two services in one
// test process do, and checks OpenTelemetry's globals at each step: the
// latest feature still running is installed, and once both stopped the
// globals are what they were before.
func TestGlobals(t *testing.T) {
	for _, tc := range []struct {
		name      string
		stopFirst string // "a" or "b"
	}{
		{name: "stopped in reverse", stopFirst: "b"},
		{name: "stopped in start order", stopFirst: "a"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before, beforeProp := otel.GetTracerProvider(), otel.GetTextMapPropagator()
			start := func() *tracing.Feature {
				f := tracing.New()
				if err := f.Configure(setup(parse(t, enabled, nil))); err != nil {
					t.Fatal(err)
				}
				if err := f.Start(t.Context()); err != nil {
					t.Fatal(err)
				}
				return f
			}
			stop := func(f *tracing.Feature) {
				if err := f.Stop(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			global := func(step string, want trace.TracerProvider) {
				t.Helper()
				if got := otel.GetTracerProvider(); got != want {
					t.Errorf("%s: the global tracer provider is %T %p, want %T %p", step, got, got, want, want)
				}
			}
			a := start()
			global("a started", a.TracerProvider())
			if fields := otel.GetTextMapPropagator().Fields(); len(fields) != 3 {
				t.Errorf("propagator fields %v, want traceparent, tracestate and baggage", fields)
			}
			b := start()
			global("b started", b.TracerProvider())
			if tc.stopFirst == "a" {
				stop(a)
				global("a stopped", b.TracerProvider())
				stop(b)
			} else {
				stop(b)
				global("b stopped", a.TracerProvider())
				stop(a)
			}
			global("both stopped", before)
			if otel.GetTextMapPropagator() != beforeProp {
				t.Error("the global propagator was not put back")
			}
		})
	}
}

// TestGlobalsReplacedMeanwhile checks that a provider the program installs
// while the feature runs is left in place when the feature stops.
func TestGlobalsReplacedMeanwhile(t *testing.T) {
	before, beforeProp := otel.GetTracerProvider(), otel.GetTextMapPropagator()
	defer otel.SetTracerProvider(before)
	// The feature leaves its propagator too when the provider was
	// replaced: put back the one from before, for the tests that follow.
	defer otel.SetTextMapPropagator(beforeProp)
	f := tracing.New()
	if err := f.Configure(setup(parse(t, enabled, nil))); err != nil {
		t.Fatal(err)
	}
	if err := f.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	mine := noop.NewTracerProvider()
	otel.SetTracerProvider(mine)
	if err := f.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := otel.GetTracerProvider(); got != trace.TracerProvider(mine) {
		t.Errorf("the global tracer provider is %T, want the program's", got)
	}
}
