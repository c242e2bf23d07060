package core_test

import (
	"context"
	"errors"
	"net"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mikros-go/mikros/core"
	"github.com/mikros-go/mikros/core/servicetest"
)

// deafService is a service whose OnStop ignores its context until release
// closes.
type deafService struct {
	j       *journal
	release chan struct{}
}

func (d *deafService) OnStop(context.Context) error {
	d.j.add("OnStop")
	<-d.release
	return nil
}

// deafFeature is a feature whose Stop ignores its context until release
// closes.
type deafFeature struct {
	fakeFeature
	release chan struct{}
}

func (f *deafFeature) Stop(ctx context.Context) error {
	f.j.add("stop " + f.name)
	<-f.release
	return nil
}

// TestOverrunsKeepTheRestOfTheShutdown overruns one part of the shutdown at
// a time and checks that everything after it still runs, and that the
// whole shutdown still ends within stop_timeout.
func TestOverrunsKeepTheRestOfTheShutdown(t *testing.T) {
	const budget = 600 * time.Millisecond
	tests := []struct {
		name string
		// build returns the service, features and kinds; release ends
		// whatever hangs once the test is done.
		build     func(j *journal, release chan struct{}) (any, []core.Feature, []core.Kind)
		types     string
		wantInErr string
	}{
		{
			name: "the first kind to stop ignores its deadline",
			build: func(j *journal, release chan struct{}) (any, []core.Feature, []core.Kind) {
				return &hooked{j: j},
					[]core.Feature{&fakeFeature{name: "a", j: j}, &fakeFeature{name: "b", j: j}},
					[]core.Kind{&fakeKind{name: "k1", j: j}, &fakeKind{name: "k2", j: j, deafStop: release}}
			},
			types:     `["k1", "k2"]`,
			wantInErr: "kind k2 stop: did not return within its deadline",
		},
		{
			name: "the first kind to stop takes its whole deadline",
			build: func(j *journal, release chan struct{}) (any, []core.Feature, []core.Kind) {
				return &hooked{j: j},
					[]core.Feature{&fakeFeature{name: "a", j: j}, &fakeFeature{name: "b", j: j}},
					[]core.Kind{&fakeKind{name: "k1", j: j}, &fakeKind{name: "k2", j: j, hangStop: true}}
			},
			types:     `["k1", "k2"]`,
			wantInErr: "kind k2 stop: context deadline exceeded",
		},
		{
			name: "OnStop ignores its deadline",
			build: func(j *journal, release chan struct{}) (any, []core.Feature, []core.Kind) {
				return &deafService{j: j, release: release},
					[]core.Feature{&fakeFeature{name: "a", j: j}, &fakeFeature{name: "b", j: j}},
					[]core.Kind{&fakeKind{name: "k1", j: j}, &fakeKind{name: "k2", j: j}}
			},
			types:     `["k1", "k2"]`,
			wantInErr: "service OnStop: did not return within its deadline",
		},
		{
			name: "the first feature to stop ignores its deadline",
			build: func(j *journal, release chan struct{}) (any, []core.Feature, []core.Kind) {
				return &hooked{j: j},
					[]core.Feature{&fakeFeature{name: "a", j: j}, &deafFeature{fakeFeature{name: "b", j: j}, release}},
					[]core.Kind{&fakeKind{name: "k1", j: j}, &fakeKind{name: "k2", j: j}}
			},
			types:     `["k1", "k2"]`,
			wantInErr: "feature b stop: did not return within its deadline",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := &journal{}
			release := make(chan struct{})
			defer close(release)
			svc, features, kinds := tt.build(j, release)
			svct := servicetest.Start(t, svc,
				def(tt.types, "[lifecycle]\nstop_timeout = \""+budget.String()+"\"", "[features.a]\nenabled = true", "[features.b]\nenabled = true"),
				core.WithFeatures(features...), core.WithKinds(kinds...))
			begin := time.Now()
			err := svct.Stop()
			took := time.Since(begin)
			if took > budget+100*time.Millisecond {
				t.Errorf("shutdown took %s; stop_timeout is %s", took, budget)
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantInErr) {
				t.Errorf("error does not name the overrun (%q): %v", tt.wantInErr, err)
			}
			got := j.list()
			for _, want := range []string{"stop k2", "stop k1", "OnStop", "stop b", "stop a"} {
				if !slices.Contains(got, want) {
					t.Errorf("%q was not called: %v", want, got)
				}
			}
		})
	}
}

// settledKind is a kind whose Run returns as soon as Stop is called, and
// whose Stop then uses its whole deadline, so that when the lifecycle
// looks for the Run, both the Run's result and the end of the kinds'
// share are there.
type settledKind struct{ fakeKind }

func (k *settledKind) Stop(ctx context.Context) error {
	k.once.Do(func() { close(k.stopped) })
	<-ctx.Done()
	return nil
}

// TestReturnedRunIsNeverAbandoned checks that a kind whose Run returned is
// not reported as abandoned when the kinds' share of the budget is spent
// by the time its result is read.
func TestReturnedRunIsNeverAbandoned(t *testing.T) {
	for i := range 20 {
		j := &journal{}
		svc := servicetest.Start(t, nil, def(`["k"]`, "[lifecycle]\nstop_timeout = \"50ms\""),
			core.WithKinds(&settledKind{fakeKind{name: "k", j: j}}))
		// The Stop itself may be abandoned on a loaded machine; the Run,
		// which returned before it, never is.
		if err := svc.Stop(); err != nil && strings.Contains(err.Error(), "run did not return") {
			t.Fatalf("run %d: %v", i, err)
		}
	}
}

// blockingStart is a service whose OnStart waits for its context.
type blockingStart struct {
	j       *journal
	started chan struct{}
	ignore  bool // ignore the context, for a while
}

func (b *blockingStart) OnStart(ctx context.Context) error {
	b.j.add("OnStart")
	close(b.started)
	if b.ignore {
		time.Sleep(2 * time.Second)
		return nil
	}
	<-ctx.Done()
	return ctx.Err()
}

func (b *blockingStart) OnStop(context.Context) error { b.j.add("OnStop"); return nil }

func TestStopRequestedWhileStarting(t *testing.T) {
	t.Run("what started stops and the error says so", func(t *testing.T) {
		j := &journal{}
		svc := &blockingStart{j: j, started: make(chan struct{})}
		ctx, cancel := context.WithCancelCause(context.Background())
		done := make(chan error, 1)
		logs := &strings.Builder{}
		var mu sync.Mutex
		go func() {
			done <- core.Run(ctx, svc,
				core.WithDefinition("service.toml", []byte(def(`["k"]`, "[features.f]\nenabled = true"))),
				core.WithFeatures(&fakeFeature{name: "f", j: j}),
				core.WithKinds(&fakeKind{name: "k", j: j}),
				core.WithLogOutput(lockedWriter{&mu, logs}),
				servicetest.Env(nil))
		}()
		<-svc.started
		cancel(errors.New("received SIGTERM"))
		var err error
		select {
		case err = <-done:
		case <-time.After(5 * time.Second):
			t.Fatal("Run did not return after the stop was requested")
		}
		var ie *core.InterruptedError
		if !errors.As(err, &ie) || core.ExitCode(err) != core.ExitInterrupted {
			t.Fatalf("got %v (exit %d), want an InterruptedError with exit %d", err, core.ExitCode(err), core.ExitInterrupted)
		}
		if err.Error() != "stopped before it was ready: received SIGTERM" {
			t.Errorf("error %q", err)
		}
		want := []string{"start f", "start k", "OnStart", "stop k", "stop f"}
		if got := j.list(); !slices.Equal(got, want) {
			t.Errorf("hooks %v, want %v", got, want)
		}
		mu.Lock()
		defer mu.Unlock()
		for _, bad := range []string{"abandoned", "start failed"} {
			if strings.Contains(logs.String(), bad) {
				t.Errorf("log says %q:\n%s", bad, logs)
			}
		}
		if !strings.Contains(logs.String(), "stop requested while starting; stopping what started") {
			t.Errorf("log does not say the stop came while starting:\n%s", logs)
		}
	})
	t.Run("a hook that ignores the request is abandoned within the reserve", func(t *testing.T) {
		j := &journal{}
		svc := &blockingStart{j: j, started: make(chan struct{}), ignore: true}
		ctx, cancel := context.WithCancelCause(context.Background())
		done := make(chan error, 1)
		go func() {
			done <- core.Run(ctx, svc,
				core.WithDefinition("service.toml", []byte(def(`["k"]`, "[lifecycle]\nstop_timeout = \"1s\""))),
				core.WithKinds(&fakeKind{name: "k", j: j}),
				core.WithLogOutput(discard{}),
				servicetest.Env(nil))
		}()
		<-svc.started
		begin := time.Now()
		cancel(errors.New("received SIGTERM"))
		err := <-done
		if took := time.Since(begin); took > 1500*time.Millisecond {
			t.Errorf("took %s after the stop was requested; stop_timeout is 1s", took)
		}
		if core.ExitCode(err) != core.ExitFailure || !strings.Contains(err.Error(), "service OnStart: did not return once the stop was requested; abandoned") {
			t.Errorf("got %v (exit %d)", err, core.ExitCode(err))
		}
		if got := j.list(); !slices.Contains(got, "stop k") {
			t.Errorf("the kind was not stopped: %v", got)
		}
		time.Sleep(2 * time.Second) // let the abandoned OnStart end, for goleak
	})
	t.Run("while configuring", func(t *testing.T) {
		ctx, cancel := context.WithCancelCause(context.Background())
		release := make(chan struct{})
		defer close(release)
		reached := make(chan struct{})
		var once sync.Once
		done := make(chan error, 1)
		go func() {
			done <- core.Run(ctx, nil,
				core.WithDefinition("service.toml", []byte(def(`["k"]`))),
				core.WithKinds(&fakeKind{name: "k", j: &journal{}}),
				core.WithLogOutput(discard{}),
				core.WithLookupEnv(func(string) (string, bool) {
					once.Do(func() { close(reached) })
					<-release // a slow environment: configure is still running
					return "", false
				}))
		}()
		<-reached
		cancel(errors.New("received SIGTERM"))
		select {
		case err := <-done:
			if core.ExitCode(err) != core.ExitInterrupted {
				t.Errorf("got %v (exit %d), want exit %d", err, core.ExitCode(err), core.ExitInterrupted)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("Run did not return while configuring")
		}
	})
}

// lateKind is a kind that serves only once serving is closed.
type lateKind struct {
	fakeKind
	serving chan struct{}
}

func (k *lateKind) Serving() <-chan struct{} { return k.serving }

// runWithHealth runs svc with health until the returned stop is called.
func runWithHealth(t *testing.T, health *core.Health, kinds ...core.Kind) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- core.Run(ctx, nil,
			core.WithDefinition("service.toml", []byte(def(`["k"]`))),
			core.WithKinds(kinds...), core.WithHealth(health),
			core.WithLogOutput(discard{}), servicetest.Env(nil))
	}()
	stopped := false
	stop = func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		return <-done
	}
	t.Cleanup(func() { _ = stop() })
	return stop
}

// waitState waits up to five seconds for health to reach st.
func waitState(health *core.Health, st core.State) bool {
	for range 5000 {
		if health.State() == st {
			return true
		}
		time.Sleep(time.Millisecond)
	}
	return false
}

func TestReadyOnlyOnceEveryKindServes(t *testing.T) {
	k := &lateKind{fakeKind{name: "k", j: &journal{}}, make(chan struct{})}
	health := core.NewHealth()
	stop := runWithHealth(t, health, k)
	time.Sleep(200 * time.Millisecond)
	if st := health.State(); st != core.Starting {
		t.Fatalf("state %s before the kind serves, want starting", st)
	}
	close(k.serving)
	if !waitState(health, core.Ready) {
		t.Fatalf("state %s once the kind serves, want ready", health.State())
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}

func TestWatchersHearBeforeTheStateShows(t *testing.T) {
	health := core.NewHealth()
	var mu sync.Mutex
	var seen []core.State
	health.Watch(func(st core.State) {
		time.Sleep(20 * time.Millisecond) // a slow protocol view
		mu.Lock()
		seen = append(seen, st)
		mu.Unlock()
	})
	stop := runWithHealth(t, health, &fakeKind{name: "k", j: &journal{}})
	if !waitState(health, core.Ready) {
		t.Fatal("never ready")
	}
	mu.Lock()
	if !slices.Contains(seen, core.Ready) {
		t.Errorf("the service reads as ready before its watcher heard it: %v", seen)
	}
	mu.Unlock()
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}

// busyKind binds a port that is in use.
type busyKind struct {
	fakeKind
	addr string
}

func (k *busyKind) DefaultPort() int { return 1 }
func (k *busyKind) Start(context.Context) error {
	ln, err := net.Listen("tcp", k.addr)
	if err == nil {
		_ = ln.Close()
		return errors.New("the port was free")
	}
	return err
}

func TestPortInUseNamesTheVariable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	k := &busyKind{fakeKind{name: "my-kind", j: &journal{}}, ln.Addr().String()}
	svc := servicetest.Start(t, nil, def(`["my-kind:7999"]`), core.WithKinds(k))
	err = svc.Wait()
	if !errors.Is(err, syscall.EADDRINUSE) {
		t.Fatalf("error %v does not wrap EADDRINUSE", err)
	}
	for _, want := range []string{"address already in use (the port comes from types: free it, or move the kind with MIKROS_MY_KIND_PORT)"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *strings.Builder
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// checkedKind is a kind whose health check fails while sick is set.
type checkedKind struct {
	fakeKind
	mu   sync.Mutex
	sick error
}

func (k *checkedKind) Check(context.Context) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.sick
}

func TestKindTakesPartInReadiness(t *testing.T) {
	k := &checkedKind{fakeKind: fakeKind{name: "queue", j: &journal{}}}
	svc := servicetest.Start(t, nil, def(`["queue"]`), core.WithKinds(k))
	if got := get(t, svc.AdminURL()+"/readyz"); got != 200 {
		t.Fatalf("/readyz = %d while the kind is healthy", got)
	}
	k.mu.Lock()
	k.sick = errors.New("broker unreachable")
	k.mu.Unlock()
	if got := get(t, svc.AdminURL()+"/readyz"); got != 503 {
		t.Errorf("/readyz = %d while the kind's check fails, want 503", got)
	}
	if err := svc.Health().Check(context.Background()); err == nil || err.Error() != "kind queue: broker unreachable" {
		t.Errorf("Check = %v, want the kind named", err)
	}
}

func TestDrainDelayLeavesTheKindsTime(t *testing.T) {
	tests := []struct {
		drain, stop string
		want        string // "" when valid
	}{
		{"500ms", "1s", ""},
		{"799ms", "1s", ""},
		{"800ms", "1s", "lifecycle.drain_delay: 800ms leaves the kinds no time to stop: stop_timeout (1s) keeps 200ms for OnStop and the features, so drain_delay must be less than 800ms"},
		{"900ms", "1s", "drain_delay must be less than 800ms"},
		{"1s", "1s", "it must be less than stop_timeout"}, // the definition's own problem, alone
	}
	for _, tt := range tests {
		t.Run(tt.drain+" of "+tt.stop, func(t *testing.T) {
			_, err := core.Check(nil, core.WithDefinition("service.toml", []byte(def(`["k"]`,
				"[lifecycle]\ndrain_delay = \""+tt.drain+"\"\nstop_timeout = \""+tt.stop+"\""))),
				core.WithKinds(&fakeKind{name: "k", j: &journal{}}), servicetest.Env(nil))
			if tt.want == "" {
				if err != nil {
					t.Fatalf("want valid, got %v", err)
				}
				return
			}
			if core.ExitCode(err) != core.ExitInvalid || !strings.Contains(err.Error(), tt.want) || strings.Count(err.Error(), "\n") != 0 {
				t.Errorf("want one problem with %q, got %v", tt.want, err)
			}
		})
	}
}
