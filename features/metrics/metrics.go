package metrics

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	promcollectors "github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/mikros-go/mikros/core"
	"github.com/mikros-go/mikros/core/definition"
)

// Name is the feature's name: its table is [features.metrics].
const Name = "metrics"

// Path is where the feature serves the metrics on the admin listener.
const Path = "/metrics"

// Feature keeps the service's Prometheus metrics and serves them at
// /metrics on the admin listener. Create it with [New] and pass it to
// core.WithFeatures; it runs when the definition enables it.
//
// A Feature holds the state of one run of the lifecycle: Configure, Start,
// the calls of the kinds, RecordStartup. Core calls Configure, Start,
// Provide and RecordStartup from one goroutine at a time; StartCall and
// EndCall are safe for concurrent use.
type Feature struct {
	registry *prometheus.Registry // from WithRegistry; nil: a new one per run

	setup    *core.Setup
	settings settings

	run atomic.Pointer[run]
}

// run is what one run of the lifecycle records into.
type run struct {
	registry   *prometheus.Registry
	grpcServer *grpcSide
	grpcClient *grpcSide
	httpServer *httpServer
	startup    prometheus.Gauge
}

// Interface guards: the parts of core's lifecycle the feature takes part in.
var (
	_ core.Feature         = (*Feature)(nil)
	_ core.Configurer      = (*Feature)(nil)
	_ core.Starter         = (*Feature)(nil)
	_ core.Provider        = (*Feature)(nil)
	_ core.CallObserver    = (*Feature)(nil)
	_ core.StartupRecorder = (*Feature)(nil)
)

// Option adjusts a Feature made by [New].
type Option func(*Feature)

// WithRegistry makes the feature register its metrics in reg, serve reg at
// /metrics and provide it to the service, instead of a registry of its own.
// A registry that already holds a Go or process collector (as
// prometheus.DefaultRegisterer does) keeps it. reg serves one run of the
// lifecycle: a second run in the same process needs another registry.
func WithRegistry(reg *prometheus.Registry) Option {
	return func(f *Feature) { f.registry = reg }
}

// New returns the metrics feature.
func New(opts ...Option) *Feature {
	f := &Feature{}
	for _, o := range opts {
		o(f)
	}
	return f
}

// Name returns "metrics".
func (f *Feature) Name() string { return Name }

// Configure decodes [features.metrics] strictly and checks its values, and
// that the definition has an admin listener to serve the metrics on. It
// keeps s for Start and has no other effect. The error, when there is one,
// is a [definition.Problems] with every problem at its key.
func (f *Feature) Configure(s *core.Setup) error {
	st, err := decodeSettings(s.Settings)
	var problems definition.Problems
	if err != nil && !errors.As(err, &problems) {
		return err
	}
	if s.Admin == nil {
		problems = append(problems, s.Definition.Problem("features."+Name,
			"metrics are served at %s on the admin listener, and the definition has none: add [admin] with a port (such as port = 9090), or set MIKROS_ADMIN_PORT", Path))
	}
	if len(problems) > 0 {
		problems.Sort()
		return problems
	}
	f.setup, f.settings = s, st
	return nil
}

// Start makes the run's metrics, registers them and the runtime collectors
// the settings ask for, and mounts /metrics on the admin listener. It fails
// when Configure did not succeed first, or when the registry given with
// [WithRegistry] already holds one of the feature's metrics.
func (f *Feature) Start(context.Context) error {
	s := f.setup
	if s == nil || s.Definition == nil {
		return errors.New("not configured")
	}
	reg := f.registry
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	def := s.Definition
	r := &run{
		registry:   reg,
		grpcServer: newGRPCSide("server", f.settings.Buckets),
		grpcClient: newGRPCSide("client", f.settings.Buckets),
		httpServer: newHTTPServer(f.settings.Buckets),
		startup: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "mikros_startup_duration_seconds",
			Help: "How long the service took to start, from the start of configure to the end of start, in seconds.",
		}),
	}
	buildInfo := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "mikros_build_info",
		Help:        "The service's name, version and product, as its definition says; always 1.",
		ConstLabels: prometheus.Labels{"name": def.Name, "version": def.Version, "product": def.Product},
	})
	buildInfo.Set(1)
	health := s.Health
	ready := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "mikros_ready",
		Help: "1 while the service is in the ready state of its lifecycle, 0 while it starts, drains or stopped.",
	}, func() float64 {
		if health != nil && health.State() == core.Ready {
			return 1
		}
		return 0
	})
	own := []named{
		{r.grpcServer.handled, "grpc_server_handled_total"},
		{r.grpcServer.seconds, "grpc_server_handling_seconds"},
		{r.grpcClient.handled, "grpc_client_handled_total"},
		{r.grpcClient.seconds, "grpc_client_handling_seconds"},
		{r.httpServer.requests, "http_server_requests_total"},
		{r.httpServer.seconds, "http_server_request_duration_seconds"},
		{buildInfo, "mikros_build_info"},
		{r.startup, "mikros_startup_duration_seconds"},
		{ready, "mikros_ready"},
	}
	var errs []error
	for _, c := range own {
		if err := reg.Register(c.Collector); err != nil {
			errs = append(errs, fmt.Errorf("registering %s: %w", c.name, err))
		}
	}
	var runtime []named
	if f.settings.GoCollector {
		runtime = append(runtime, named{promcollectors.NewGoCollector(), "the Go runtime collector (go_*)"})
	}
	if f.settings.ProcessCollector {
		runtime = append(runtime, named{promcollectors.NewProcessCollector(promcollectors.ProcessCollectorOpts{}), "the process collector (process_*)"})
	}
	for _, c := range runtime {
		var already prometheus.AlreadyRegisteredError
		if err := reg.Register(c.Collector); err != nil && !errors.As(err, &already) {
			errs = append(errs, fmt.Errorf("registering %s: %w", c.name, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if s.Admin != nil {
		s.Admin.Handle(Path, promhttp.HandlerFor(reg, promhttp.HandlerOpts{
			ErrorLog:      errorLog{s.Logger},
			ErrorHandling: promhttp.ContinueOnError,
		}))
	}
	f.run.Store(r)
	return nil
}

// Provide returns the registry the feature serves, a *prometheus.Registry,
// for the service to register its own metrics. A field of type
// prometheus.Registerer gets it:
//
//	Metrics prometheus.Registerer `mikros:"feature"`
//
// (as does one of type prometheus.Gatherer or *prometheus.Registry).
// Provide returns nil before Start.
func (f *Feature) Provide() []any {
	r := f.run.Load()
	if r == nil {
		return nil
	}
	return []any{r.registry}
}

// RecordStartup sets mikros_startup_duration_seconds to the time from the
// start of the first phase to the end of the last one.
func (f *Feature) RecordStartup(_ context.Context, phases []core.Phase) {
	r := f.run.Load()
	if r == nil || len(phases) == 0 {
		return
	}
	r.startup.Set(phases[len(phases)-1].End.Sub(phases[0].Start).Seconds())
}

// StartCall returns ctx as it is: the feature measures a call from its
// Start, which the kind sets.
func (f *Feature) StartCall(ctx context.Context, _ *core.Call) context.Context {
	return ctx
}

// EndCall counts the call by its outcome and observes its duration, from
// c.Start to now (a call without a Start is counted but not timed). It
// records the calls of the grpc protocol, served and sent, and the HTTP
// requests served; it ignores the others.
func (f *Feature) EndCall(_ context.Context, c *core.Call) {
	r := f.run.Load()
	if r == nil {
		return
	}
	switch c.Protocol {
	case "grpc":
		side := r.grpcServer
		if c.Client {
			side = r.grpcClient
		}
		m := side.method(c.Method, c.ClientStreams, c.ServerStreams)
		m.counter(c.Code).Inc()
		if d, ok := seconds(c); ok {
			m.seconds.Observe(d)
		}
	case "http":
		if c.Client {
			return
		}
		var pattern string
		method := c.Method
		if c.Request != nil {
			pattern = c.Request.Pattern
			if method == "" {
				method = c.Request.Method
			}
		}
		rt := r.httpServer.route(pattern, method)
		rt.counter(c.Code).Inc()
		if d, ok := seconds(c); ok {
			rt.seconds.Observe(d)
		}
	}
}

// named is a collector with what to call it in an error.
type named struct {
	prometheus.Collector
	name string
}

// errorLog writes what the /metrics handler reports (a collector that
// failed) to the service's log.
type errorLog struct{ log *slog.Logger }

// Println logs its arguments as one error line.
func (l errorLog) Println(v ...any) {
	if l.log != nil {
		l.log.Error("metrics: " + fmt.Sprint(v...))
	}
}
