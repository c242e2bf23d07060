package core

import (
	"io"
	"net"
	"time"
)

// Option adjusts how [Run], [Main] and [Check] run a service.
type Option func(*config)

type config struct {
	kinds     []Kind
	features  []Feature
	defFile   string
	defText   []byte
	lookupEnv func(string) (string, bool)
	logOutput io.Writer
	observer  func(Event)
	adminLn   net.Listener
	health    *Health
}

// WithKinds adds kinds to the binary. A kind runs only when the definition
// lists it in types. A kind with the name of one added before replaces it.
func WithKinds(kinds ...Kind) Option {
	return func(c *config) {
		for _, k := range kinds {
			c.kinds = replaceByName(c.kinds, k)
		}
	}
}

// WithFeatures adds features to the binary. A feature runs only when the
// definition enables it. A feature with the name of one added before
// replaces it, which is how a test puts in a fake.
func WithFeatures(features ...Feature) Option {
	return func(c *config) {
		for _, f := range features {
			c.features = replaceByName(c.features, f)
		}
	}
}

func replaceByName[T interface{ Name() string }](list []T, m T) []T {
	for i, e := range list {
		if e.Name() == m.Name() {
			list[i] = m
			return list
		}
	}
	return append(list, m)
}

// WithDefinition gives the definition's text instead of reading it from
// the file named by MIKROS_CONFIG (./service.toml by default). file is the
// name problems are reported under.
func WithDefinition(file string, text []byte) Option {
	return func(c *config) { c.defFile, c.defText = file, text }
}

// WithLookupEnv replaces os.LookupEnv as the source of environment
// variables: the envs the definition requires, "${NAME}" values and the
// MIKROS_* variables.
func WithLookupEnv(lookup func(name string) (string, bool)) Option {
	return func(c *config) { c.lookupEnv = lookup }
}

// WithLogOutput sets where log lines go; os.Stderr by default.
func WithLogOutput(w io.Writer) Option {
	return func(c *config) { c.logOutput = w }
}

// WithObserver calls fn after every lifecycle hook returns, in order, on
// the goroutine that runs the lifecycle.
func WithObserver(fn func(Event)) Option {
	return func(c *config) { c.observer = fn }
}

// WithAdminListener serves the admin endpoints on ln, whatever the
// definition says; tests pass a listener on 127.0.0.1:0. The lifecycle
// closes ln when the service stops.
func WithAdminListener(ln net.Listener) Option {
	return func(c *config) { c.adminLn = ln }
}

// WithHealth makes h the service's health state, so that the caller can
// watch the service become ready and stop (servicetest does).
func WithHealth(h *Health) Option {
	return func(c *config) { c.health = h }
}

// Event is one lifecycle hook that ran.
type Event struct {
	// Phase is "build", "start" or "shutdown".
	Phase string
	// Hook names the hook, such as "feature logger start" or
	// "service OnStop".
	Hook string
	// Took is how long the hook ran.
	Took time.Duration
	// Err is what the hook returned.
	Err error
}
