package core_test

import (
	"context"
	"errors"
	"sync"

	"github.com/mikros-go/mikros/core"
)

// journal records the hooks that ran, across features, kinds and the
// service, in order.
type journal struct {
	mu      sync.Mutex
	entries []string
}

func (j *journal) add(s string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.entries = append(j.entries, s)
}

func (j *journal) list() []string {
	j.mu.Lock()
	defer j.mu.Unlock()
	return append([]string(nil), j.entries...)
}

// fakeFeature is a feature whose hooks record themselves and can be made to
// fail or hang.
type fakeFeature struct {
	name      string
	deps      []string
	j         *journal
	failStart error
	hangStart chan struct{} // Start ignores its deadline until this closes
	failStop  error
	hangStop  bool
	provide   []any
	settings  struct {
		Level string `toml:"level"`
	}
}

func (f *fakeFeature) Name() string        { return f.name }
func (f *fakeFeature) DependsOn() []string { return f.deps }
func (f *fakeFeature) Configure(s *core.Setup) error {
	return s.Settings.Decode(&f.settings)
}

func (f *fakeFeature) Start(ctx context.Context) error {
	f.j.add("start " + f.name)
	if f.hangStart != nil {
		<-f.hangStart
	}
	return f.failStart
}

func (f *fakeFeature) Stop(ctx context.Context) error {
	f.j.add("stop " + f.name)
	if f.hangStop {
		<-ctx.Done()
		return ctx.Err()
	}
	return f.failStop
}

func (f *fakeFeature) Provide() []any { return f.provide }

// fakeKind is a kind that runs until its context ends (or finishes at
// once), with hooks that record themselves.
type fakeKind struct {
	name      string
	port      int // 0: not a listener
	j         *journal
	failStart error
	finish    bool // Run returns at once
	runErr    error
	panicRun  bool
	hangStop  bool          // Stop waits for its deadline
	deafStop  chan struct{} // Stop ignores its deadline until this closes
	stopped   chan struct{}
	once      sync.Once
}

func (k *fakeKind) Name() string { return k.name }

func (k *fakeKind) Start(context.Context) error {
	k.j.add("start " + k.name)
	k.stopped = make(chan struct{})
	return k.failStart
}

func (k *fakeKind) Run(ctx context.Context) error {
	k.j.add("run " + k.name)
	if k.panicRun {
		panic("boom")
	}
	if k.finish {
		return k.runErr
	}
	select {
	case <-ctx.Done():
	case <-k.stopped:
	}
	return k.runErr
}

func (k *fakeKind) Stop(ctx context.Context) error {
	k.j.add("stop " + k.name)
	if k.deafStop != nil {
		<-k.deafStop
	}
	if k.hangStop {
		<-ctx.Done()
		return ctx.Err()
	}
	k.once.Do(func() { close(k.stopped) })
	return nil
}

// listenerKind is a fakeKind that declares a default port.
type listenerKind struct{ *fakeKind }

func (l listenerKind) DefaultPort() int { return l.port }

// hooked is a service with OnStart and OnStop.
type hooked struct {
	j         *journal
	failStart error
}

func (h *hooked) OnStart(context.Context) error { h.j.add("OnStart"); return h.failStart }
func (h *hooked) OnStop(context.Context) error  { h.j.add("OnStop"); return nil }

var errBoom = errors.New("boom")
