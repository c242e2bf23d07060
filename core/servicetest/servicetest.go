// Package servicetest runs a Mikros service inside a test: the real
// lifecycle, from an in-memory definition, with a hermetic environment, its
// logs captured, its admin endpoints on a loopback port, and any feature
// replaceable by a fake.
//
//	func TestWorker(t *testing.T) {
//		svc := servicetest.Start(t, &worker{}, `
//			name = "worker"
//			types = ["native"]
//			version = "v1.0.0"
//			product = "demo"
//		`, core.WithKinds(native.New()))
//		// ... exercise the service ...
//		if err := svc.Stop(); err != nil {
//			t.Fatal(err)
//		}
//	}
//
// A fake feature replaces the real one when it is passed after it with the
// same name: core.WithFeatures(fakeTracing{}) after the real features.
// Combine with go.uber.org/goleak to check that nothing is left running.
package servicetest

import (
	"bytes"
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mikros-go/mikros/core"
)

// Env is an Option that makes the service see exactly these environment
// variables and no others.
func Env(vars map[string]string) core.Option {
	return core.WithLookupEnv(func(name string) (string, bool) {
		v, ok := vars[name]
		return v, ok
	})
}

// Service is a service running in a test.
type Service struct {
	t      testing.TB
	health *core.Health
	cancel context.CancelCauseFunc
	done   chan struct{}
	err    error
	admin  string
	logs   *syncBuffer

	mu     sync.Mutex
	events []core.Event
}

// Start runs svc with the definition text (TOML; leading indentation is
// fine) until it is ready, and stops it when the test ends. Unless opts say
// otherwise, the environment is empty, logs go to a buffer (printed when the
// test fails), and the admin endpoints listen on a loopback port.
//
// When the service stops before it is ready — an invalid definition, a
// failed start, a script that already finished — Start returns all the
// same; Done is then closed and Err says why.
func Start(t testing.TB, svc any, definition string, opts ...core.Option) *Service {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("servicetest: admin listener: %v", err)
	}
	s := &Service{
		t:      t,
		health: core.NewHealth(),
		done:   make(chan struct{}),
		admin:  "http://" + ln.Addr().String(),
		logs:   &syncBuffer{},
	}
	ready := make(chan struct{})
	var once sync.Once
	s.health.Watch(func(st core.State) {
		if st != core.Starting {
			once.Do(func() { close(ready) })
		}
	})
	all := append([]core.Option{
		Env(nil),
		core.WithLogOutput(s.logs),
		core.WithDefinition("service.toml", []byte(dedent(definition))),
		core.WithAdminListener(ln),
		core.WithHealth(s.health),
		core.WithObserver(s.observe),
	}, opts...)
	ctx, cancel := context.WithCancelCause(context.Background())
	s.cancel = cancel
	go func() {
		defer close(s.done)
		s.err = core.Run(ctx, svc, all...)
		_ = ln.Close() // when the run ended before the admin listener took it
	}()
	t.Cleanup(func() {
		_ = s.Stop()
		if t.Failed() {
			t.Logf("service logs:\n%s", s.Logs())
		}
	})
	select {
	case <-ready:
		// Watchers hear of a state just before State and /readyz show it.
		s.WaitState(core.Ready, 5*time.Second)
	case <-s.done:
	}
	return s
}

// Run runs svc until it stops by itself, as a script does, and returns
// Run's error.
func Run(t testing.TB, svc any, definition string, opts ...core.Option) (*Service, error) {
	t.Helper()
	s := Start(t, svc, definition, opts...)
	return s, s.Wait()
}

func (s *Service) observe(e core.Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events = append(s.events, e)
}

// Stop begins the shutdown, as SIGTERM would, waits for the service to
// stop, and returns what core.Run returned. Calling it again returns the
// same.
func (s *Service) Stop() error {
	s.cancel(errStopped)
	return s.Wait()
}

var errStopped = stopError{}

type stopError struct{}

func (stopError) Error() string { return "stopped by the test" }

// Wait waits for the service to stop by itself and returns what core.Run
// returned.
func (s *Service) Wait() error {
	<-s.done
	return s.err
}

// Done is closed when the service has stopped.
func (s *Service) Done() <-chan struct{} { return s.done }

// Err returns what core.Run returned, or nil while the service runs.
func (s *Service) Err() error {
	select {
	case <-s.done:
		return s.err
	default:
		return nil
	}
}

// Health returns the service's health state.
func (s *Service) Health() *core.Health { return s.health }

// AdminURL returns the base URL of the admin endpoints, such as
// "http://127.0.0.1:41234".
func (s *Service) AdminURL() string { return s.admin }

// Logs returns what the service logged so far.
func (s *Service) Logs() string { return s.logs.String() }

// Events returns the lifecycle hooks that ran so far, in order.
func (s *Service) Events() []core.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]core.Event(nil), s.events...)
}

// Hooks returns the names of the hooks that ran so far, in order, such as
// "feature logger start".
func (s *Service) Hooks() []string {
	var names []string
	for _, e := range s.Events() {
		names = append(names, e.Hook)
	}
	return names
}

// WaitState waits up to timeout for the service to reach state st, and
// reports whether it did.
func (s *Service) WaitState(st core.State, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if s.health.State() >= st {
			return true
		}
		time.Sleep(time.Millisecond)
	}
	return s.health.State() >= st
}

// dedent removes the indentation common to every non-blank line, so that
// definitions can be written indented inside Go code.
func dedent(text string) string {
	lines := strings.Split(text, "\n")
	prefix := ""
	first := true
	for _, l := range lines {
		if strings.TrimSpace(l) == "" {
			continue
		}
		indent := l[:len(l)-len(strings.TrimLeft(l, " \t"))]
		if first || !strings.HasPrefix(indent, prefix) {
			if first {
				prefix = indent
			} else {
				for !strings.HasPrefix(indent, prefix) {
					prefix = prefix[:len(prefix)-1]
				}
			}
			first = false
		}
	}
	for i, l := range lines {
		lines[i] = strings.TrimPrefix(l, prefix)
	}
	return strings.TrimLeft(strings.Join(lines, "\n"), "\n")
}

// syncBuffer is a bytes.Buffer safe for the service's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
