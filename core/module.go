package core

import (
	"context"
	"io"
	"log/slog"
	"net/http"

	"github.com/mikros-go/mikros/core/definition"
)

// Feature is a capability a service turns on in its definition with
// [features.<name>] enabled = true, such as logging or tracing. A feature
// does nothing unless it is enabled.
//
// Besides Name, a feature implements whichever of [Configurer], [Dependent],
// [Starter], [Stopper], [Provider], [Filler], [Checker], [LogHandler],
// [LogContext], [CallObserver] and [StartupRecorder] it needs.
type Feature interface {
	// Name is the feature's name in [features.<name>]: lowercase, stable.
	Name() string
}

// Kind is a way a service runs: serving a protocol, looping in the
// background, or running once. The service lists its kinds in types.
//
// Besides Name and Run, a kind implements whichever of [Configurer],
// [Listener], [Starter], [Stopper], [ServeNotifier], [Checker], [Aliased]
// and [Solitary] it needs.
type Kind interface {
	// Name is the kind's name in types and [services.<kind>].
	Name() string
	// Run runs the kind until its work is done or ctx is canceled, which
	// happens when shutdown begins. A kind that serves keeps serving until
	// its Stop is called. Run returning, with or without an error, begins
	// the shutdown of the whole service; its error makes the exit status 1.
	Run(ctx context.Context) error
}

// Configurer is implemented by features and kinds that have settings or
// requirements to check. Configure runs during configure, also in check
// mode: it must decode and validate, and have no other effect.
type Configurer interface {
	// Configure decodes the module's table from s.Settings (strictly, with
	// [definition.Section.Decode]) and checks what the module needs, such
	// as the methods the service must have. It returns every problem it
	// finds, ideally as [definition.Problems] placed at their keys.
	Configure(s *Setup) error
}

// Dependent is implemented by features that must start after others.
type Dependent interface {
	// DependsOn names the features that must be enabled and started first.
	DependsOn() []string
}

// Starter is implemented by features and kinds that acquire something
// before the service runs. A feature's Start runs during build, a kind's
// during start (where a kind binds its listeners, so that a port in use
// fails the boot). The context carries the start deadline.
type Starter interface {
	Start(ctx context.Context) error
}

// Stopper is implemented by features and kinds that release something. Stop
// is called only after Start returned nil (or, for a module without Start,
// once it was reached), in reverse order. It must finish gracefully before
// ctx's deadline and, when ctx is done, release what is left at once.
type Stopper interface {
	Stop(ctx context.Context) error
}

// Aliased is implemented by kinds that files written for other Mikros
// implementations know by other names (the native kind is their
// "worker"). types and [services.<alias>] read an alias as the kind, with
// a warning naming the kind.
type Aliased interface {
	Aliases() []string
}

// Solitary is implemented by kinds that must be a service's only kind,
// such as a script, which runs once.
type Solitary interface {
	RunsAlone() bool
}

// ServeNotifier is implemented by kinds that serve requests. The service
// turns ready (/readyz, and every protocol's view of health) only once the
// Serving channel of every such kind is closed, which the kind does when it
// accepts and answers requests. A kind that does not implement it counts
// as serving once its Start returned.
type ServeNotifier interface {
	// Serving returns a channel that the kind closes once it serves. It
	// is called after the kind's Start returned.
	Serving() <-chan struct{}
}

// Listener is implemented by kinds that listen on a port.
type Listener interface {
	// DefaultPort is the port used when neither the environment nor the
	// definition chooses one.
	DefaultPort() int
}

// Provider is implemented by features that give the service a value to use,
// such as a logger. After build, every field of the service tagged
// `mikros:"feature"` is set to the provided value whose type matches.
type Provider interface {
	// Provide returns the values the feature offers; it is called after
	// the feature started.
	Provide() []any
}

// Checker is implemented by features and kinds whose health decides
// readiness: while Check fails, /readyz answers 503 and names it ("feature
// db: ..." or "kind queue: ..."). A feature's check counts once it
// started, a kind's once its Start returned. Check runs on every probe: it
// must be quick, and honour ctx.
type Checker interface {
	Check(ctx context.Context) error
}

// LogHandler is implemented by the feature that writes the service's logs.
// Once it started, every line the framework and the service log through
// core's *slog.Logger goes through its handler. The handler must already
// carry the fields of [LogFields], and must keep working after the feature's
// Stop: core writes its last line once the features stopped.
type LogHandler interface {
	LogHandler() slog.Handler
}

// OnStarter is implemented by services with work to do after the features
// started and the kinds are listening, before the service is ready.
type OnStarter interface {
	OnStart(ctx context.Context) error
}

// OnStopper is implemented by services with work to do after the kinds
// stopped and before the features stop.
type OnStopper interface {
	OnStop(ctx context.Context) error
}

// Mux is where features mount handlers on the admin listener, such as
// /metrics. It is an *http.ServeMux.
type Mux interface {
	Handle(pattern string, handler http.Handler)
}

// Setup is what a feature or kind receives in Configure. Core makes one
// for each module, once.
//
// What a module may keep after Configure returns, for the whole run:
// Definition, Settings (read-only), Service, Logger, LogOutput, LookupEnv,
// Health and Calls. Admin may be kept, but handlers are mounted on it only
// until the service is ready. Port
// is a value. A module must not change the Setup, nor the definition it
// points to; in check mode (mikros check, MIKROS_CHECK) the Setup is
// dropped after Configure, and nothing else of the module runs.
type Setup struct {
	// Definition is the whole validated definition.
	Definition *definition.Definition
	// Settings is the module's own table: [features.<name>] (without
	// enabled) or [services.<kind>] (without port).
	Settings definition.Section
	// Port is, for a kind that is a [Listener], the port it must listen on.
	Port int
	// Service is the user's service value, for kinds to check and use.
	Service any
	// Logger is the framework's logger. It writes through the logger
	// feature once that has started, and with the standard library before.
	Logger *slog.Logger
	// LogOutput is where log lines go (core.WithLogOutput; os.Stderr by
	// default). A feature that writes logs writes there unless told
	// otherwise.
	LogOutput io.Writer
	// LookupEnv reads the environment the service was given
	// (core.WithLookupEnv; os.LookupEnv by default). Modules read MIKROS_*
	// variables through it, never through os.Getenv, so that tests stay
	// hermetic.
	LookupEnv func(name string) (string, bool)
	// Admin is where handlers are mounted on the admin listener. Mounting
	// is allowed until the start phase. It is nil when the service has no
	// admin listener (no [admin] table, MIKROS_ADMIN_PORT or
	// core.WithAdminListener).
	Admin Mux
	// Health is the service's health state.
	Health *Health
	// Calls is, for a kind, what observes its calls: the enabled features
	// that implement [CallObserver], as one. It is nil when none is
	// enabled, and then the kind attaches nothing to its calls. It may be
	// called once the kind started.
	Calls CallObserver
}

// ServiceFor returns the service as T, the interface a kind needs it to
// implement. When it does not implement T, the error is a problem placed at
// types that names the kind and the method it lacks (method as it reads in
// Go, such as "Run(ctx context.Context) error"). When the definition is
// checked without a service (mikros check), it returns T's zero value and
// no error.
func ServiceFor[T any](s *Setup, kind, method string) (T, error) {
	var zero T
	if s.Service == nil {
		return zero, nil
	}
	svc, ok := s.Service.(T)
	if !ok {
		return zero, s.Definition.Problem("types", "kind %s: the service (%T) has no method %s", kind, s.Service, method)
	}
	return svc, nil
}
