// Package observed gives the benchmarks of package bench, and
// bench/cmd/mikrosobserved, the features that observe calls, set up to be
// measured: the tracing feature with every trace recorded and its spans
// handed to an exporter that drops each batch in the process (so that
// tracing costs the service what it costs, without the network's cost),
// and the metrics feature with its defaults.
//
// It is a package of its own so that the bare servers of bench/cmd, which
// import package bench, link no telemetry library.
package observed

import (
	"context"
	"sync/atomic"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/mikros-go/mikros/features/metrics"
	"github.com/mikros-go/mikros/features/tracing"
)

// TracingTable is the table of service.toml that enables the feature
// [Tracing] returns, recording every new trace (sampler "always_on"). The
// exporter written here, none, is replaced by a [Discard].
const TracingTable = `
[features.tracing]
enabled  = true
sampler  = "always_on"
exporter = "none"
`

// MetricsTable is the table of service.toml that enables the metrics
// feature with its defaults. The feature needs the admin listener, which
// the definition ([admin]) or the caller (core.WithAdminListener, as
// core/servicetest does) gives the service.
const MetricsTable = `
[features.metrics]
enabled = true
`

// Tracing returns a new tracing feature, for one run of a service, which
// hands its spans, through its batch span processor as it would to a
// collector's exporter, to the Discard it returns too.
func Tracing() (*tracing.Feature, *Discard) {
	d := &Discard{}
	return tracing.New(tracing.WithExporter(d)), d
}

// Metrics returns a new metrics feature, for one run of a service.
func Metrics() *metrics.Feature { return metrics.New() }

// Discard is a span exporter that drops every batch it is given, and
// counts the spans it dropped.
type Discard struct {
	spans atomic.Int64
}

var _ sdktrace.SpanExporter = (*Discard)(nil)

// ExportSpans drops spans and reports success.
func (d *Discard) ExportSpans(_ context.Context, spans []sdktrace.ReadOnlySpan) error {
	d.spans.Add(int64(len(spans)))
	return nil
}

// Shutdown does nothing: there is nothing to release.
func (*Discard) Shutdown(context.Context) error { return nil }

// Spans returns how many spans d was given so far.
func (d *Discard) Spans() int64 { return d.spans.Load() }
