package core

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
)

// State is where a service is in its lifecycle, as its health probes see
// it.
type State int

// The states a service goes through, in order.
const (
	// Starting: configured, building and starting; not ready.
	Starting State = iota
	// Ready: every kind listens and OnStart returned; ready while every
	// health check passes.
	Ready
	// Draining: shutdown began; readiness is off while in-flight work
	// finishes.
	Draining
	// Stopped: everything stopped.
	Stopped
)

// String returns the state's name in lowercase.
func (s State) String() string {
	switch s {
	case Starting:
		return "starting"
	case Ready:
		return "ready"
	case Draining:
		return "draining"
	case Stopped:
		return "stopped"
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// Health is a service's health: the lifecycle state, which core sets, and
// the checks of features that implement [Checker]. Kinds expose it in their
// protocol (the gRPC health service, say) through Watch; the admin listener
// serves it as /livez and /readyz.
type Health struct {
	moving   sync.Mutex // held while the state changes: one change at a time
	mu       sync.Mutex
	state    State
	checks   map[string]Checker
	watchers []func(State)
	redact   func(string) string // takes the values from the environment out of /readyz
}

// NewHealth returns a Health in the Starting state.
func NewHealth() *Health { return &Health{checks: map[string]Checker{}} }

// State returns the current state.
func (h *Health) State() State {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.state
}

// set moves to state s. It tells the watchers first, in the order they
// watched, and only then makes s the state that State, Check and /readyz
// see: once the service reads as Ready (or Draining), every protocol's
// view of its health (the gRPC health service, say) already says so too.
func (h *Health) set(s State) {
	h.moving.Lock()
	defer h.moving.Unlock()
	h.mu.Lock()
	if h.state == s {
		h.mu.Unlock()
		return
	}
	watchers := append([]func(State){}, h.watchers...)
	h.mu.Unlock()
	for _, w := range watchers {
		w(s)
	}
	h.mu.Lock()
	h.state = s
	h.mu.Unlock()
}

// Watch calls fn with every state the service enters from now on, in order,
// on the goroutine that changes the state, just before State, Check and
// /readyz show the new state. fn must return quickly.
func (h *Health) Watch(fn func(State)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.watchers = append(h.watchers, fn)
}

func (h *Health) addCheck(name string, c Checker) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.checks[name] = c
}

// ErrNotReady is returned by Check when the service is not in the Ready
// state.
var ErrNotReady = errors.New("not ready")

// Check reports whether the service is ready: nil when it is in the Ready
// state and every health check passes; otherwise the state or the failing
// checks, joined and named.
func (h *Health) Check(ctx context.Context) error {
	h.mu.Lock()
	state := h.state
	names := make([]string, 0, len(h.checks))
	for n := range h.checks {
		names = append(names, n)
	}
	checks := h.checks
	h.mu.Unlock()
	if state != Ready {
		return fmt.Errorf("%w: %s", ErrNotReady, state)
	}
	sort.Strings(names)
	var errs []error
	for _, n := range names {
		if err := checks[n].Check(ctx); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", n, err))
		}
	}
	return errors.Join(errs...)
}

// Live reports whether the process should be left running: true until the
// service stopped.
func (h *Health) Live() bool { return h.State() != Stopped }

// ServeHTTP answers the kubernetes-style probes: /livez is 200 while the
// process is alive; /readyz is 200 when [Health.Check] passes and 503 with
// the reasons otherwise.
func (h *Health) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	switch strings.TrimSuffix(r.URL.Path, "/") {
	case "/livez":
		if !h.Live() {
			http.Error(w, "stopped", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	case "/readyz":
		if err := h.Check(r.Context()); err != nil {
			msg := err.Error()
			if h.redact != nil {
				msg = h.redact(msg)
			}
			http.Error(w, msg, http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	default:
		http.NotFound(w, r)
	}
}
