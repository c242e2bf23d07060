package observed_test

import (
	"context"
	"fmt"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/mikros-go/mikros/bench/observed"
)

// A Discard drops the spans it is given, and counts them.
func ExampleDiscard() {
	d := &observed.Discard{}
	_ = d.ExportSpans(context.Background(), make([]sdktrace.ReadOnlySpan, 3))
	_ = d.ExportSpans(context.Background(), make([]sdktrace.ReadOnlySpan, 2))
	fmt.Println(d.Spans(), "spans dropped")
	// Output: 5 spans dropped
}

// Tracing returns the feature and the exporter it hands its spans to; a
// service enables it with TracingTable in its service.toml.
func ExampleTracing() {
	f, spans := observed.Tracing()
	fmt.Println(f.Name(), spans.Spans())
	fmt.Print(observed.TracingTable)
	// Output:
	// tracing 0
	//
	// [features.tracing]
	// enabled  = true
	// sampler  = "always_on"
	// exporter = "none"
}
