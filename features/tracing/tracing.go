package tracing

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/mikros-go/mikros/core"
)

// Name is the feature's name: its table is [features.tracing].
const Name = "tracing"

// ScopeName is the instrumentation scope of the spans the feature makes:
// those of the kinds' calls and of the startup trace.
const ScopeName = core.ModulePath + "/features/tracing"

// Feature installs the OpenTelemetry SDK and traces the service's calls.
// Create it with [New] and pass it to core.WithFeatures; it runs when the
// definition enables it.
//
// A Feature holds the state of one run of the lifecycle: Configure, Start,
// the calls of the kinds, RecordStartup, Stop. Core calls Configure, Start,
// RecordStartup and Stop from one goroutine at a time; StartCall, EndCall,
// AppendLogAttrs, TracerProvider and Flush are safe for concurrent use.
type Feature struct {
	exporter sdktrace.SpanExporter // from WithExporter; nil: the settings' exporter
	stdout   io.Writer             // where the stdout exporter writes

	setup    *core.Setup
	settings settings

	run atomic.Pointer[run]
}

// Interface guards: the parts of core's lifecycle the feature takes part in.
var (
	_ core.Feature         = (*Feature)(nil)
	_ core.Configurer      = (*Feature)(nil)
	_ core.Starter         = (*Feature)(nil)
	_ core.Stopper         = (*Feature)(nil)
	_ core.Provider        = (*Feature)(nil)
	_ core.CallObserver    = (*Feature)(nil)
	_ core.StartupRecorder = (*Feature)(nil)
	_ core.LogContext      = (*Feature)(nil)
)

// Option adjusts a Feature made by [New].
type Option func(*Feature)

// WithExporter makes the feature hand its spans to exp instead of the
// exporter the settings choose; the other settings (sampler, batches)
// apply as written. It is meant for tests and benchmarks: an
// sdk/trace/tracetest.InMemoryExporter keeps the spans for a test to read
// (after [Feature.Flush]: Stop shuts exp down, and an InMemoryExporter
// forgets its spans then), and an exporter that drops every batch
// measures the cost of tracing without the network's.
func WithExporter(exp sdktrace.SpanExporter) Option {
	return func(f *Feature) { f.exporter = exp }
}

// New returns the tracing feature.
func New(opts ...Option) *Feature {
	f := &Feature{stdout: os.Stdout}
	for _, o := range opts {
		o(f)
	}
	return f
}

// Name returns "tracing".
func (f *Feature) Name() string { return Name }

// Configure decodes [features.tracing] strictly and checks its values. It
// keeps s for Start and has no other effect. The error, when there is one,
// is a definition.Problems with every problem found, each at its key.
func (f *Feature) Configure(s *core.Setup) error {
	st, err := readSettings(s)
	if err != nil {
		return err
	}
	f.setup, f.settings = s, st
	return nil
}

// run is one run of the lifecycle: what Start made and Stop releases.
type run struct {
	provider *sdktrace.TracerProvider
	tracer   trace.Tracer
	prop     propagation.TextMapPropagator
	export   *exporter // nil for the none exporter
	log      *slog.Logger

	calls calls // what the spans of calls share

	stopped atomic.Bool // Stop ran: a second one does nothing
}

// Start makes the tracer provider, with the service's identity as its
// resource, and installs it and the W3C trace-context and baggage
// propagators as OpenTelemetry's globals. It fails only when Configure did
// not succeed first or the exporter cannot be made.
func (f *Feature) Start(ctx context.Context) error {
	if f.setup == nil {
		return errors.New("tracing: Start before a successful Configure")
	}
	st := f.settings
	log := f.setup.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r := &run{
		prop: propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}),
		log:  log,
	}
	opts := []sdktrace.TracerProviderOption{
		sdktrace.WithResource(serviceResource(f.setup)),
		sdktrace.WithSampler(sampler(st)),
		sdktrace.WithRawSpanLimits(spanLimits()),
	}
	exp := f.exporter
	var retry retryRule
	if exp == nil && st.Exporter != ExporterNone {
		var err error
		if exp, retry, err = newExporter(ctx, st, f.stdout); err != nil {
			return fmt.Errorf("tracing: %s exporter: %w", st.Exporter, err)
		}
	}
	if exp != nil {
		r.export = wrapExporter(exp, retry, log)
		opts = append(opts, sdktrace.WithSpanProcessor(sdktrace.NewBatchSpanProcessor(r.export,
			sdktrace.WithBatchTimeout(st.BatchTimeout),
			sdktrace.WithExportTimeout(st.ExportTimeout),
			sdktrace.WithMaxQueueSize(st.MaxQueueSize),
			sdktrace.WithMaxExportBatchSize(st.MaxExportBatchSize),
		)))
	}
	r.provider = sdktrace.NewTracerProvider(opts...)
	r.tracer = r.provider.Tracer(ScopeName, trace.WithSchemaURL(semconv.SchemaURL))
	f.run.Store(r)
	install(r)
	return nil
}

// spanLimits are the SDK's default limits, written out so that the
// OTEL_SPAN_* variables do not change them.
func spanLimits() sdktrace.SpanLimits {
	return sdktrace.SpanLimits{
		AttributeValueLengthLimit:   sdktrace.DefaultAttributeValueLengthLimit,
		AttributeValueDepthLimit:    sdktrace.DefaultAttributeValueDepthLimit,
		AttributeCountLimit:         sdktrace.DefaultAttributeCountLimit,
		EventCountLimit:             sdktrace.DefaultEventCountLimit,
		LinkCountLimit:              sdktrace.DefaultLinkCountLimit,
		AttributePerEventCountLimit: sdktrace.DefaultAttributePerEventCountLimit,
		AttributePerLinkCountLimit:  sdktrace.DefaultAttributePerLinkCountLimit,
	}
}

// sampler returns the settings' sampler. Every one follows the caller's
// decision for a call that continues a trace.
func sampler(st settings) sdktrace.Sampler {
	var root sdktrace.Sampler
	switch st.Sampler {
	case SamplerAlwaysOff:
		root = sdktrace.NeverSample()
	case SamplerRatio:
		root = sdktrace.TraceIDRatioBased(st.Ratio)
	default:
		root = sdktrace.AlwaysSample()
	}
	return sdktrace.ParentBased(root)
}

// serviceResource describes the service: its name, version, product (as
// the namespace) and deployment environment, and the SDK.
func serviceResource(s *core.Setup) *resource.Resource {
	attrs := []attribute.KeyValue{
		semconv.TelemetrySDKName("opentelemetry"),
		semconv.TelemetrySDKLanguageGo,
		semconv.TelemetrySDKVersion(sdk.Version()),
	}
	if def := s.Definition; def != nil {
		attrs = append(attrs,
			semconv.ServiceName(def.Name),
			semconv.ServiceVersion(def.Version),
			semconv.ServiceNamespace(def.Product),
			semconv.DeploymentEnvironmentNameKey.String(def.Env),
		)
	}
	return resource.NewWithAttributes(semconv.SchemaURL, attrs...)
}

// Provide offers the service the feature's tracer provider, as a
// trace.TracerProvider (a field of that type, or of type
// *sdktrace.TracerProvider, tagged `mikros:"feature"`). A service that
// makes its spans with it rather than with otel.GetTracerProvider() is
// independent of OpenTelemetry's globals.
func (f *Feature) Provide() []any {
	r := f.run.Load()
	if r == nil {
		return nil
	}
	return []any{r.provider}
}

// TracerProvider returns the tracer provider of the current run, or nil
// before Start.
func (f *Feature) TracerProvider() *sdktrace.TracerProvider {
	if r := f.run.Load(); r != nil {
		return r.provider
	}
	return nil
}

// Flush exports the spans that ended so far, waiting for the export until
// ctx ends. It does nothing before Start or after Stop.
func (f *Feature) Flush(ctx context.Context) error {
	r := f.run.Load()
	if r == nil {
		return nil
	}
	return r.provider.ForceFlush(ctx)
}

// stopMargin is how long before the stop deadline the exports still under
// way are cut, so that the provider's shutdown ends by the deadline: a
// tenth of the time left, at most stopMarginMax.
const stopMarginMax = 100 * time.Millisecond

// Stop exports the spans not yet exported and shuts the tracer provider
// down, within ctx's deadline. Once Stop began, each export is attempted
// once, without the waits between attempts of a running service: a
// collector that refuses the connection costs the stop nothing. An export
// still under way shortly before the deadline (a collector that does not
// answer) is cut, and Stop returns by the deadline. The spans not
// exported are counted in one log line, and do not make Stop fail:
// telemetry that cannot be delivered never fails the service. Stop puts
// back the globals that were in place before Start (see the package
// documentation). A second Stop of the same run does nothing.
func (f *Feature) Stop(ctx context.Context) error {
	r := f.run.Load()
	if r == nil || r.stopped.Swap(true) {
		return nil
	}
	uninstall(r)
	if r.export != nil {
		r.export.beginStop()
		if deadline, ok := ctx.Deadline(); ok {
			left := time.Until(deadline)
			t := time.AfterFunc(left-min(left/10, stopMarginMax), r.export.cut)
			defer t.Stop()
		}
		defer context.AfterFunc(ctx, r.export.cut)()
	}
	err := r.provider.Shutdown(ctx)
	if r.export != nil {
		r.export.cut()
		r.export.report()
	}
	if err != nil && !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
		r.log.Error("tracing: shutdown", "error", err.Error())
	}
	return nil
}

// globals tracks the runs whose provider and propagator were installed as
// OpenTelemetry's globals, so that several services in one process (as in
// tests) leave the globals as they found them.
var globals struct {
	sync.Mutex
	runs     []*run // started and not stopped, oldest first
	prevTP   trace.TracerProvider
	prevProp propagation.TextMapPropagator
}

// install makes r's provider and propagator OpenTelemetry's globals.
func install(r *run) {
	globals.Lock()
	defer globals.Unlock()
	if len(globals.runs) == 0 {
		globals.prevTP, globals.prevProp = otel.GetTracerProvider(), otel.GetTextMapPropagator()
	}
	globals.runs = append(globals.runs, r)
	otel.SetTracerProvider(r.provider)
	otel.SetTextMapPropagator(r.prop)
}

// uninstall takes r's provider out of OpenTelemetry's globals: when it is
// still the global one, the provider of the latest run still going takes
// its place, or, when none is, the globals from before the first run.
// Globals someone else installed since are left alone.
func uninstall(r *run) {
	globals.Lock()
	defer globals.Unlock()
	i := -1
	for j, g := range globals.runs {
		if g == r {
			i = j
		}
	}
	if i < 0 {
		return
	}
	globals.runs = append(globals.runs[:i], globals.runs[i+1:]...)
	if otel.GetTracerProvider() != trace.TracerProvider(r.provider) {
		return
	}
	if n := len(globals.runs); n > 0 {
		otel.SetTracerProvider(globals.runs[n-1].provider)
		otel.SetTextMapPropagator(globals.runs[n-1].prop)
		return
	}
	otel.SetTracerProvider(globals.prevTP)
	otel.SetTextMapPropagator(globals.prevProp)
	globals.prevTP, globals.prevProp = nil, nil
}
