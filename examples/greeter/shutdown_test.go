package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	nethttp "net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/mikros-go/mikros/core"
	"github.com/mikros-go/mikros/core/servicetest"
	greeterv1 "github.com/mikros-go/mikros/examples/greeter/proto/greeter/v1"
	"github.com/mikros-go/mikros/features/tracing"
	"github.com/mikros-go/mikros/features/tracing/tracingtest"
	mgrpc "github.com/mikros-go/mikros/kinds/grpc"
	mhttp "github.com/mikros-go/mikros/kinds/http"
)

// The shutdown tests' budget: a short stop_timeout, no drain delay, and how
// late Run may return after it. Whatever comes before them, the features
// keep a tenth of stop_timeout for the tracing flush (which dials the
// receiver then: nothing was exported before). On a two-core machine
// loaded with CPU hogs, under the race detector, the flush took up to
// 200ms and the lifecycle's timers fired up to 330ms late, so the 200ms
// of a 2s budget was not always enough; 4s leaves 400ms.
const (
	stopTimeout = 4 * time.Second
	stopMargin  = 300 * time.Millisecond
	// stallMax bounds how long a deaf handler or hook waits for the test
	// to release it, should the test never get there.
	stallMax = 30 * time.Second
	// settleMax bounds the waits for what the test released to return.
	settleMax = 10 * time.Second
)

// slowMethod is the full name of the unary gRPC method whose handler
// ignores its context (see slowDesc).
const slowMethod = "/mikros.test.Slow/Hang"

// stall is where a deaf handler or hook waits, ignoring its context: until
// the test releases it (once Run returned, so it outlasts every share of
// the stop budget), or stallMax.
type stall struct {
	entered     chan struct{} // closed once something began waiting
	release     chan struct{} // closed by the test
	done        chan struct{} // closed once the waiter returned
	enter, exit sync.Once
	free        sync.Once
}

func newStall() *stall {
	return &stall{entered: make(chan struct{}), release: make(chan struct{}), done: make(chan struct{})}
}

// wait blocks, deaf to any context, until released.
func (s *stall) wait() {
	s.enter.Do(func() { close(s.entered) })
	defer s.exit.Do(func() { close(s.done) })
	timer := time.NewTimer(stallMax)
	defer timer.Stop()
	select {
	case <-s.release:
	case <-timer.C:
	}
}

// let releases the waiter.
func (s *stall) let() { s.free.Do(func() { close(s.release) }) }

// deafGreeter is the greeter with a route, GET /slow, and a gRPC method,
// mikros.test.Slow/Hang, whose handlers wait at its stall whatever their
// context says, and an OnStop that records it ran and, when hangOnStop,
// waits at the stall too.
type deafGreeter struct {
	*greeter
	stall      *stall
	hangOnStop bool
	onStop     chan struct{} // closed when OnStop is called
	stopOnce   sync.Once
}

// HTTPHandler serves the greeter's routes and GET /slow.
func (d *deafGreeter) HTTPHandler() nethttp.Handler {
	mux := nethttp.NewServeMux()
	mux.Handle("/", d.greeter.HTTPHandler())
	mux.HandleFunc("GET /slow", func(w nethttp.ResponseWriter, _ *nethttp.Request) {
		d.stall.wait()
		_, _ = io.WriteString(w, "late\n")
	})
	return mux
}

// RegisterGRPC registers the GreeterService and mikros.test.Slow.
func (d *deafGreeter) RegisterGRPC(s grpc.ServiceRegistrar) {
	d.greeter.RegisterGRPC(s)
	s.RegisterService(&slowDesc, d)
}

// OnStop records that it ran; with hangOnStop, it then ignores its
// context until the stall is released.
func (d *deafGreeter) OnStop(context.Context) error {
	d.stopOnce.Do(func() { close(d.onStop) })
	if d.hangOnStop {
		d.stall.wait()
	}
	return nil
}

// slowDesc is a gRPC service with one unary method, Hang, which takes a
// SayHelloRequest and answers a SayHelloResponse once the stall lets it,
// through the kind's interceptor as generated code does.
var slowDesc = grpc.ServiceDesc{
	ServiceName: "mikros.test.Slow",
	HandlerType: (*any)(nil),
	Methods: []grpc.MethodDesc{{
		MethodName: "Hang",
		Handler: func(srv any, ctx context.Context, dec func(any) error, interceptor grpc.UnaryServerInterceptor) (any, error) {
			in := new(greeterv1.SayHelloRequest)
			if err := dec(in); err != nil {
				return nil, err
			}
			handler := func(context.Context, any) (any, error) {
				srv.(*deafGreeter).stall.wait()
				return &greeterv1.SayHelloResponse{Message: "late"}, nil
			}
			if interceptor == nil {
				return handler(ctx, in)
			}
			return interceptor(ctx, in, &grpc.UnaryServerInfo{Server: srv, FullMethod: slowMethod}, handler)
		},
	}},
	Metadata: "shutdown_test.go",
}

// startDeaf runs svc as start runs the greeter: the features main links,
// service.toml changed as su says, both kinds and the admin listener on
// loopback ports.
func startDeaf(t *testing.T, svc *deafGreeter, su setup) *running {
	t.Helper()
	def := definition(t, su.edits...)
	grpcLn, httpLn := listen(t), listen(t)
	k := mgrpc.New(mgrpc.WithListener(grpcLn))
	s := servicetest.Start(t, svc, def,
		servicetest.Env(su.env),
		core.WithKinds(k, mhttp.New(mhttp.WithListener(httpLn))),
		core.WithFeatures(features()...))
	if err := s.Err(); err != nil {
		t.Fatalf("the greeter did not start: %v\n%s", err, s.Logs())
	}
	conn, err := grpc.NewClient(grpcLn.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return &running{svc: s, grpc: k, conn: conn, grpcAddr: grpcLn.Addr().String(), httpURL: "http://" + httpLn.Addr().String()}
}

// TestShutdownOverruns stops the greeter, both kinds serving, with the
// logger and tracing enabled (exporting over OTLP/gRPC to a receiver on
// loopback), while one part of the shutdown overruns its share of the
// stop budget by ignoring its context: an HTTP request in flight (HTTP is
// the kind stopped first), a gRPC call in flight, or the service's OnStop.
// In each case every later stop hook is still called, in order; both
// kinds' Run return and the gRPC kind refuses new calls; OnStop runs; the
// tracing feature's stop flushes a span of a call made before the stop and
// the startup trace to the receiver; and Run returns within stop_timeout
// (plus a margin for a loaded machine), the overrun named in its error.
func TestShutdownOverruns(t *testing.T) {
	tests := []struct {
		name string
		// inFlight starts the call that overruns, if any, and returns the
		// error it ended with once it did.
		inFlight   func(t *testing.T, r *running) <-chan error
		hangOnStop bool
		// culprit is the stop hook that overran, and wantErr what its error
		// says.
		culprit, wantErr string
	}{
		{
			name: "an HTTP request outlasts the kinds' share",
			inFlight: func(t *testing.T, r *running) <-chan error {
				done := make(chan error, 1)
				client := httpClient(t)
				client.Timeout = settleMax
				go func() {
					resp, err := client.Get(r.httpURL + "/slow")
					if err == nil {
						_, err = io.ReadAll(resp.Body)
						_ = resp.Body.Close()
					}
					done <- err
				}()
				return done
			},
			culprit: "kind http stop",
			wantErr: "kind http stop: requests still in flight when the stop budget ran out",
		},
		{
			name: "a gRPC handler ignores its context",
			inFlight: func(t *testing.T, r *running) <-chan error {
				done := make(chan error, 1)
				go func() {
					ctx, cancel := context.WithTimeout(context.Background(), settleMax)
					defer cancel()
					done <- r.conn.Invoke(ctx, slowMethod, &greeterv1.SayHelloRequest{Name: "Ada"}, new(greeterv1.SayHelloResponse))
				}()
				return done
			},
			culprit: "kind grpc stop",
			wantErr: "kind grpc stop: calls in flight were cut",
		},
		{
			name:       "OnStop ignores its context",
			hangOnStop: true,
			culprit:    "service OnStop",
			wantErr:    "service OnStop: did not return within its deadline",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rcv := tracingtest.NewReceiver(t)
			st := newStall()
			svc := &deafGreeter{greeter: &greeter{}, stall: st, hangOnStop: tt.hangOnStop, onStop: make(chan struct{})}
			r := startDeaf(t, svc, setup{edits: []edit{
				{"lifecycle", "stop_timeout", strconv.Quote(stopTimeout.String())},
				{"lifecycle", "drain_delay", `"0s"`},
				enable("tracing"),
				{"features.tracing", "exporter", strconv.Quote(tracing.ExporterOTLPGRPC)},
				{"features.tracing", "endpoint", strconv.Quote(rcv.Endpoint())},
			}})
			// Whatever happens, the stall is released and what waits at it
			// returns before the test ends (goleak checks the package).
			t.Cleanup(func() {
				st.let()
				select {
				case <-st.entered:
				default:
					return // nothing waited
				}
				select {
				case <-st.done:
				case <-time.After(settleMax):
					t.Errorf("what waited at the stall did not return within %s of its release", settleMax)
				}
			})

			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if _, err := greeterv1.NewGreeterServiceClient(r.conn).SayHello(ctx, &greeterv1.SayHelloRequest{Name: "Ada"}); err != nil {
				t.Fatalf("SayHello before the stop: %v", err)
			}
			var callErr <-chan error
			if tt.inFlight != nil {
				callErr = tt.inFlight(t, r)
				select {
				case <-st.entered:
				case err := <-callErr:
					t.Fatalf("the call ended before its handler began: %v", err)
				case <-time.After(settleMax):
					t.Fatalf("the handler did not begin within %s", settleMax)
				}
			}

			begin := time.Now()
			err := r.svc.Stop()
			took := time.Since(begin)
			// What the receiver holds the moment Run returned: the flush
			// happened within the budget, or not at all.
			spans := rcv.Spans()
			t.Logf("Run returned in %s: %v", took.Round(time.Millisecond), err)

			if took > stopTimeout+stopMargin {
				t.Errorf("Run returned %s after the stop; stop_timeout is %s (margin %s)", took, stopTimeout, stopMargin)
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Run's error does not name the overrun (%q): %v", tt.wantErr, err)
			}

			// Every stop hook was called, in order; only the culprit failed.
			var hooks []string
			for _, e := range r.svc.Events() {
				if e.Phase != "shutdown" {
					continue
				}
				hooks = append(hooks, e.Hook)
				t.Logf("%s took %s", e.Hook, e.Took.Round(time.Millisecond))
				switch {
				case e.Hook == tt.culprit && (e.Err == nil || !strings.Contains(e.Err.Error(), tt.wantErr)):
					t.Errorf("%s: error %v, want one saying %q", e.Hook, e.Err, tt.wantErr)
				case e.Hook != tt.culprit && e.Err != nil:
					t.Errorf("%s failed after %s overran: %v", e.Hook, tt.culprit, e.Err)
				}
			}
			// The kinds in reverse of types, OnStop, the features with a
			// Stop (the logger has none).
			wantHooks := []string{"kind http stop", "kind grpc stop", "service OnStop", "feature tracing stop"}
			if !slices.Equal(hooks, wantHooks) {
				t.Errorf("stop hooks called: %q, want %q", hooks, wantHooks)
			}
			select {
			case <-svc.onStop:
			default:
				t.Error("OnStop was not called")
			}

			// Both kinds' Run returned, and the gRPC kind takes no call.
			logs := r.svc.Logs()
			for _, kind := range []string{"http", "grpc"} {
				if !logged(t, logs, "kind stopped", "kind", kind) {
					t.Errorf("the %s kind's Run did not return", kind)
				}
			}
			if err := sayHelloFresh(r.grpcAddr); err == nil {
				t.Error("SayHello on a new connection succeeded after the stop")
			}

			// The flush: the server span of the call made before the stop,
			// and the startup trace, were at the receiver when Run returned.
			for _, want := range []struct {
				name string
				kind trace.SpanKind
			}{
				{sayHello, trace.SpanKindServer},
				{tracing.StartupSpanName, trace.SpanKindInternal},
			} {
				if !hasSpan(spans, want.name, want.kind) {
					late, _ := rcv.WaitSpans(len(spans)+1, time.Second)
					t.Errorf("span %q (%s) had not reached the receiver when Run returned; %d then, %d a second later: %v",
						want.name, want.kind, len(spans), len(late), late)
				}
			}
			if logged(t, logs, "tracing: spans were not exported at stop", "", "") {
				t.Error("the tracing feature lost spans at stop")
			}

			// Let the deaf handler or hook return, and the call it held end.
			st.let()
			if tt.inFlight != nil || tt.hangOnStop {
				select {
				case <-st.done:
				case <-time.After(settleMax):
					t.Fatalf("what waited at the stall did not return within %s of its release", settleMax)
				}
			}
			if callErr != nil {
				select {
				case err := <-callErr:
					if err == nil {
						t.Error("the call that outlasted the budget was answered; its connection should have been cut")
					}
				case <-time.After(settleMax):
					t.Fatalf("the call in flight did not end within %s", settleMax)
				}
			}
		})
	}
}

// sayHelloFresh calls SayHello at addr on a connection of its own.
func sayHelloFresh(addr string) error {
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close() }()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err = greeterv1.NewGreeterServiceClient(conn).SayHello(ctx, &greeterv1.SayHelloRequest{Name: "Ada"})
	return err
}

// hasSpan reports whether spans hold one named name of kind kind.
func hasSpan(spans []tracingtest.Span, name string, kind trace.SpanKind) bool {
	return slices.ContainsFunc(spans, func(s tracingtest.Span) bool { return s.Name == name && s.Kind == kind })
}

// logged reports whether a JSON log line has msg and, unless key is empty,
// key set to value.
func logged(t *testing.T, logs, msg, key, value string) bool {
	t.Helper()
	for line := range strings.Lines(logs) {
		var fields map[string]any
		if err := json.Unmarshal([]byte(line), &fields); err != nil {
			t.Fatalf("a log line is not JSON: %v: %q", err, line)
		}
		if fields["msg"] == msg && (key == "" || fmt.Sprint(fields[key]) == value) {
			return true
		}
	}
	return false
}
