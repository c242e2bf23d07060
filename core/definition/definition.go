package definition

import (
	"time"
)

// Definition is a validated service.toml: who the service is, how it runs and
// what it uses.
type Definition struct {
	// File is the name the definition was read from, used in every problem.
	File string

	// Name is the service's name, lowercase kebab-case.
	Name string
	// Types lists the kinds the service runs as, in the order written; that
	// is the order in which they start.
	Types []Type
	// Version is the service's Semantic Version as written (a leading "v"
	// is allowed).
	Version string
	// Product names the product the service belongs to.
	Product string
	// Language is "go", "rust", or "" when not written.
	Language string
	// Envs are the environment variables the service requires; each was set
	// and non-empty when the definition was parsed.
	Envs []string

	// Env is the deployment's name from MIKROS_ENV ("local" when unset).
	Env string

	// Log holds the [log] table.
	Log Log
	// Lifecycle holds the [lifecycle] table, with defaults filled in.
	Lifecycle Lifecycle
	// Admin is the admin listener, or nil when neither [admin] nor
	// MIKROS_ADMIN_PORT turns it on.
	Admin *Admin
	// Tests holds the [tests] table that files from mikros Go carry; nil
	// when absent.
	Tests *Tests

	// Features holds every [features.<name>] table by name.
	Features map[string]FeatureTable
	// Services holds every [services.<kind>] table by kind name (including
	// those written as [runtime.<kind>]).
	Services map[string]Section
	// Clients holds every [clients.<name>] table by name.
	Clients map[string]Section
	// Service is the [service] table, for the service's own settings.
	Service Section

	// Warnings are things that are accepted but should be written another
	// way, such as the aliases kept for files from other Mikros
	// implementations.
	Warnings Problems

	src *source
}

// Type is one entry of types: a kind, with the port it listens on.
type Type struct {
	// Kind is the kind's name, such as "grpc" (an alias the kind declares
	// is already read as the kind).
	Kind string
	// Port is the port chosen by the definition and the environment, in
	// this precedence: MIKROS_<KIND>_PORT, the port in types ("grpc:7070"),
	// port in [services.<kind>]. It is 0 when none of them sets one, and the
	// kind's default applies.
	Port int
	// PortFrom says where Port came from, for messages: the variable's
	// name, "types", or the key "services.<kind>.port" as written
	// ("runtime.<kind>.port" for that alias); "" when Port is 0.
	PortFrom string
}

// Log is the [log] table.
type Log struct {
	// Level is "debug", "info", "warn" or "error"; "info" when not written.
	Level string `toml:"level"`
	// Format is "json" or "console"; "json" when not written.
	Format string `toml:"format"`
	// Attributes are added to every log line.
	Attributes map[string]string `toml:"attributes"`
}

// Lifecycle is the [lifecycle] table.
type Lifecycle struct {
	// StartTimeout bounds building and starting the service; 15s by default.
	StartTimeout time.Duration `toml:"start_timeout"`
	// StopTimeout bounds the whole shutdown; 30s by default.
	StopTimeout time.Duration `toml:"stop_timeout"`
	// DrainDelay is how long the service stays up, not ready, before its
	// servers stop; 0 by default.
	DrainDelay time.Duration `toml:"drain_delay"`
}

// StopReserve is the part of the stop budget that the kinds may not use,
// kept for OnStop and the features: a fifth of stop_timeout, at most five
// seconds. drain_delay must leave the kinds time before it.
func (l Lifecycle) StopReserve() time.Duration {
	return min(l.StopTimeout/5, 5*time.Second)
}

// Admin is the admin listener's address.
type Admin struct {
	// Address is the host or IP to listen on; "" listens on all interfaces.
	Address string `toml:"address"`
	// Port is the TCP port, from MIKROS_ADMIN_PORT or [admin] port.
	Port int `toml:"port"`
}

// Tests is the [tests] table of files written for mikros Go. It is accepted
// so those files validate unchanged; Mikros's own test helpers
// (core/servicetest) take their options in code and do not read it.
type Tests struct {
	// ExecuteLifecycle asks tests to run the service's OnStart and OnStop
	// hooks.
	ExecuteLifecycle bool `toml:"execute_lifecycle"`
	// DiscardLogMessages asks tests to drop the service's log output.
	DiscardLogMessages bool `toml:"discard_log_messages"`
}

// FeatureTable is one [features.<name>] table.
type FeatureTable struct {
	// Enabled is the table's enabled key; a feature is off unless it says
	// true.
	Enabled bool
	// Settings is the rest of the table, for the feature to decode.
	Settings Section
}

// Kinds returns the kind names of Types, in order.
func (d *Definition) Kinds() []string {
	kinds := make([]string, len(d.Types))
	for i, t := range d.Types {
		kinds[i] = t.Kind
	}
	return kinds
}

// Problem returns a problem about the definition's key at path (dotted,
// such as "types" or "features.tracing"), placed at its line.
func (d *Definition) Problem(path, format string, args ...any) Problem {
	return Section{at: at{path: nil, loc: nil}, src: d.src, file: d.File}.Problem(path, format, args...)
}
