package grpc_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/mikros-go/mikros/core"
	"github.com/mikros-go/mikros/core/servicetest"
	merrors "github.com/mikros-go/mikros/features/errors"
	mgrpc "github.com/mikros-go/mikros/kinds/grpc"
	"github.com/mikros-go/mikros/kinds/grpc/grpckindtest"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	grpclib "google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// debugDefinition logs at debug level, so that every failed call is
// logged.
const debugDefinition = definition + `
[log]
level = "debug"
`

// errorInfo returns the ErrorInfo a status carries, or nil.
func errorInfo(st *status.Status) *errdetails.ErrorInfo {
	for _, d := range st.Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok {
			return info
		}
	}
	return nil
}

func TestUnaryErrors(t *testing.T) {
	tests := []struct {
		name       string
		handler    func(context.Context) error
		wantCode   codes.Code
		wantMsg    string
		wantReason string // "" when no ErrorInfo is expected
		wantMeta   map[string]string
		secret     string // in the logs exactly once, never in the status
		logged     string // in the logs exactly once
	}{
		{
			name: "an error of the model",
			handler: func(context.Context) error {
				return merrors.New(merrors.NotFound, "order 42 not found").WithCode("ORDER_NOT_FOUND").WithDetail("order", "42").WithCause(io.EOF)
			},
			wantCode: codes.NotFound, wantMsg: "order 42 not found",
			wantReason: "ORDER_NOT_FOUND", wantMeta: map[string]string{"order": "42"},
			secret: "EOF",
		},
		{
			name: "a wrapped error of the model without a code",
			handler: func(context.Context) error {
				return fmt.Errorf("validate: %w", merrors.New(merrors.InvalidArgument, "email is malformed"))
			},
			wantCode: codes.InvalidArgument, wantMsg: "email is malformed", wantReason: "invalid_argument",
			secret: "validate:",
		},
		{
			name:     "a plain error",
			handler:  func(context.Context) error { return errors.New("db: connection reset by peer") },
			wantCode: codes.Internal, wantMsg: "internal error", wantReason: "internal",
			secret: "db: connection reset by peer",
		},
		{
			name:     "a status error",
			handler:  func(context.Context) error { return status.Error(codes.FailedPrecondition, "no stock") },
			wantCode: codes.FailedPrecondition, wantMsg: "no stock",
		},
		{
			name: "a wrapped status error",
			handler: func(context.Context) error {
				return fmt.Errorf("reserve in warehouse 7: %w", status.Error(codes.Aborted, "conflict"))
			},
			wantCode: codes.Aborted, wantMsg: "conflict",
			secret: "warehouse 7",
		},
		{
			name:     "the context's error",
			handler:  func(context.Context) error { return fmt.Errorf("query: %w", context.DeadlineExceeded) },
			wantCode: codes.DeadlineExceeded, wantMsg: "operation timed out", wantReason: "deadline_exceeded",
			secret: "query:",
		},
		{
			name:     "a panic",
			handler:  func(context.Context) error { panic("boom at row 7") },
			wantCode: codes.Internal, wantMsg: "internal error", wantReason: "internal",
			secret: "boom at row 7", logged: "grpc call panicked",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := &echo{echo: func(ctx context.Context, _ *wrapperspb.StringValue) (*wrapperspb.StringValue, error) {
				return nil, tt.handler(ctx)
			}}
			svc, conn := grpckindtest.Start(t, e, debugDefinition)
			_, err := call(t.Context(), conn, "hi")
			st, ok := status.FromError(err)
			if !ok {
				t.Fatalf("not a status: %v", err)
			}
			if st.Code() != tt.wantCode || st.Message() != tt.wantMsg {
				t.Errorf("got %s %q, want %s %q", st.Code(), st.Message(), tt.wantCode, tt.wantMsg)
			}
			info := errorInfo(st)
			switch {
			case tt.wantReason == "" && info != nil:
				t.Errorf("unexpected ErrorInfo %v", info)
			case tt.wantReason != "" && info == nil:
				t.Errorf("no ErrorInfo in %v", st.Proto())
			case info != nil:
				if info.GetReason() != tt.wantReason || info.GetDomain() != "orders" {
					t.Errorf("ErrorInfo reason %q domain %q, want %q orders", info.GetReason(), info.GetDomain(), tt.wantReason)
				}
				if fmt.Sprint(info.GetMetadata()) != fmt.Sprint(tt.wantMeta) && len(info.GetMetadata())+len(tt.wantMeta) > 0 {
					t.Errorf("metadata %v, want %v", info.GetMetadata(), tt.wantMeta)
				}
			}
			if tt.secret != "" {
				if sent := fmt.Sprint(st.Proto()); strings.Contains(sent, tt.secret) {
					t.Errorf("the status carries %q: %s", tt.secret, sent)
				}
				if n := strings.Count(svc.Logs(), tt.secret); n != 1 {
					t.Errorf("%q logged %d times, want once:\n%s", tt.secret, n, svc.Logs())
				}
			}
			if tt.logged != "" {
				if n := strings.Count(svc.Logs(), tt.logged); n != 1 {
					t.Errorf("%q logged %d times, want once:\n%s", tt.logged, n, svc.Logs())
				}
			}
		})
	}
}

func TestServerErrorsAreLoggedByLevel(t *testing.T) {
	e := &echo{echo: func(_ context.Context, in *wrapperspb.StringValue) (*wrapperspb.StringValue, error) {
		if in.GetValue() == "missing" {
			return nil, merrors.New(merrors.NotFound, "missing").WithCause(errors.New("row gone"))
		}
		return nil, merrors.New(merrors.DataLoss, "lost").WithCause(errors.New("checksum mismatch"))
	}}
	svc, conn := grpckindtest.Start(t, e, definition) // info level
	_, _ = call(t.Context(), conn, "missing")
	_, _ = call(t.Context(), conn, "lost")
	logs := svc.Logs()
	if strings.Contains(logs, "row gone") {
		t.Errorf("a NotFound was logged above debug level:\n%s", logs)
	}
	if !strings.Contains(logs, `"level":"error","msg":"grpc call failed"`) || !strings.Contains(logs, "checksum mismatch") ||
		!strings.Contains(logs, `"method":"/mikros.test.Echo/Echo"`) {
		t.Errorf("DataLoss not logged at error level with its method and cause:\n%s", logs)
	}
}

func TestStreamErrors(t *testing.T) {
	tests := []struct {
		name     string
		repeat   func(*wrapperspb.StringValue, grpclib.ServerStream) error
		wantMsgs int
		wantCode codes.Code
		wantMsg  string
	}{
		{name: "success", wantMsgs: 3, wantCode: codes.OK},
		{
			name: "an error of the model after one message",
			repeat: func(in *wrapperspb.StringValue, ss grpclib.ServerStream) error {
				if err := ss.SendMsg(in); err != nil {
					return err
				}
				return merrors.New(merrors.OutOfRange, "no more").WithCause(errors.New("cursor 9 closed"))
			},
			wantMsgs: 1, wantCode: codes.OutOfRange, wantMsg: "no more",
		},
		{
			name:     "a panic",
			repeat:   func(*wrapperspb.StringValue, grpclib.ServerStream) error { panic("stream boom") },
			wantCode: codes.Internal, wantMsg: "internal error",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, conn := grpckindtest.Start(t, &echo{repeat: tt.repeat}, definition)
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			cs, err := conn.NewStream(ctx, repeatDesc, repeatMethod)
			if err != nil {
				t.Fatal(err)
			}
			if err := cs.SendMsg(wrapperspb.String("x")); err != nil {
				t.Fatal(err)
			}
			if err := cs.CloseSend(); err != nil {
				t.Fatal(err)
			}
			got := 0
			for {
				err = cs.RecvMsg(new(wrapperspb.StringValue))
				if err != nil {
					break
				}
				got++
			}
			if errors.Is(err, io.EOF) {
				err = nil
			}
			st := status.Convert(err)
			if got != tt.wantMsgs || st.Code() != tt.wantCode || (err != nil && st.Message() != tt.wantMsg) {
				t.Errorf("got %d messages and %s %q, want %d and %s %q", got, st.Code(), st.Message(), tt.wantMsgs, tt.wantCode, tt.wantMsg)
			}
			if strings.Contains(fmt.Sprint(st.Proto()), "cursor") || strings.Contains(fmt.Sprint(st.Proto()), "boom") {
				t.Errorf("the status carries the cause: %v", st.Proto())
			}
		})
	}
}

func TestPanicStorm(t *testing.T) {
	e := &echo{echo: func(context.Context, *wrapperspb.StringValue) (*wrapperspb.StringValue, error) {
		panic("storm")
	}}
	svc, conn := grpckindtest.Start(t, e, definition)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	const calls = 200
	var wg sync.WaitGroup
	codesSeen := make(chan codes.Code, calls)
	for range calls {
		wg.Go(func() {
			_, err := call(ctx, conn, "x")
			codesSeen <- status.Code(err)
		})
	}
	wg.Wait()
	close(codesSeen)
	for c := range codesSeen {
		if c != codes.Internal {
			t.Fatalf("a panicking call gave %s, want Internal", c)
		}
	}
	hc := healthpb.NewHealthClient(conn)
	if r, err := hc.Check(ctx, &healthpb.HealthCheckRequest{}); err != nil || r.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("after the storm: %v %v, want SERVING", r, err)
	}
	// One panic, one stack: the storm logs it once, and counts the rest,
	// reported once the service stops.
	if n := strings.Count(svc.Logs(), "grpc call panicked"); n != 1 {
		t.Errorf("%d panics logged, want 1:\n%s", n, svc.Logs())
	}
	if err := svc.Stop(); err != nil {
		t.Fatal(err)
	}
	if s := panicsAtStop(t, svc.Logs()); len(s) != 1 || !s[0].of("TestPanicStorm") || s[0].Suppressed != calls-1 {
		t.Errorf("at stop, reported %+v; want one line of %d suppressed panics:\n%s", s, calls-1, svc.Logs())
	}
}

// panicAtStop is a line the kind logs at stop for the repeats of a panic
// not reported yet.
type panicAtStop struct {
	Site       string    `json:"panic.site"`
	Suppressed int       `json:"suppressed"`
	Since      time.Time `json:"suppressed_since"`
}

// of reports whether the line names a panic of the test's function test,
// in this file, with the time of the first panic.
func (p panicAtStop) of(test string) bool {
	return strings.Contains(p.Site, "."+test+".func") && strings.Contains(p.Site, " at ") &&
		strings.Contains(p.Site, "grpc_test.go:") && !p.Since.IsZero()
}

// panicsAtStop returns the lines of logs (JSON) that report, at stop, the
// repeats of panics not reported yet.
func panicsAtStop(t *testing.T, logs string) []panicAtStop {
	t.Helper()
	var out []panicAtStop
	for line := range strings.Lines(logs) {
		var l struct {
			Msg string `json:"msg"`
			panicAtStop
		}
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatalf("a log line that is not JSON: %v\n%s", err, line)
		}
		if l.Msg == "grpc: identical panics suppressed" {
			out = append(out, l.panicAtStop)
		}
	}
	return out
}

func TestRepeatedPanicsAreCounted(t *testing.T) {
	const interval = 300 * time.Millisecond
	e := &echo{echo: func(_ context.Context, in *wrapperspb.StringValue) (*wrapperspb.StringValue, error) {
		if in.GetValue() == "other" {
			panic("another site")
		}
		panic("order " + in.GetValue() + " has no lines")
	}}
	ln := grpckindtest.NewListener(t)
	conn := ln.Dial(t)
	k := mgrpc.New(mgrpc.WithListener(ln))
	mgrpc.SetPanicLogInterval(k, interval)
	svc := servicetest.Start(t, e, definition, core.WithKinds(k))
	if err := svc.Err(); err != nil {
		t.Fatal(err)
	}
	begin := time.Now()
	for i := range 5 {
		if _, err := call(t.Context(), conn, fmt.Sprint(i)); status.Code(err) != codes.Internal {
			t.Fatalf("call %d: %v, want Internal", i, err)
		}
	}
	if _, err := call(t.Context(), conn, "other"); status.Code(err) != codes.Internal {
		t.Fatalf("other: %v, want Internal", err)
	}
	if time.Since(begin) >= interval {
		t.Skip("the calls took longer than the interval")
	}
	logs := svc.Logs()
	if n := strings.Count(logs, "grpc call panicked"); n != 2 || !strings.Contains(logs, "order 0 has no lines") ||
		!strings.Contains(logs, "another site") || strings.Contains(logs, `"suppressed"`) {
		t.Fatalf("%d panics logged, want the first of each site, without a count:\n%s", n, logs)
	}
	time.Sleep(interval)
	begin = time.Now()
	if _, err := call(t.Context(), conn, "5"); status.Code(err) != codes.Internal {
		t.Fatalf("call 5: %v, want Internal", err)
	}
	logs = svc.Logs()
	last := logs[strings.LastIndex(logs, "grpc call panicked"):]
	if !strings.Contains(last, "order 5 has no lines") || !strings.Contains(last, `"suppressed":4`) ||
		!strings.Contains(last, `"suppressed_since"`) || !strings.Contains(last, "goroutine ") {
		t.Errorf("after the interval, want the panic with its stack and 4 suppressed:\n%s", last)
	}
	// A repeat within the interval is reported when the kind stops, once.
	if _, err := call(t.Context(), conn, "6"); status.Code(err) != codes.Internal {
		t.Fatalf("call 6: %v, want Internal", err)
	}
	if time.Since(begin) >= interval {
		t.Skip("calls 5 and 6 took longer than the interval")
	}
	if err := svc.Stop(); err != nil {
		t.Fatal(err)
	}
	if s := panicsAtStop(t, svc.Logs()); len(s) != 1 || !s[0].of("TestRepeatedPanicsAreCounted") || s[0].Suppressed != 1 {
		t.Errorf("at stop, reported %+v; want one line of 1 suppressed panic:\n%s", s, svc.Logs())
	}
}

func TestMessageTooLarge(t *testing.T) {
	def := definition + `
[services.grpc]
max_recv_message_bytes = 1024
`
	_, conn := grpckindtest.Start(t, &echo{}, def)
	if got, err := call(t.Context(), conn, "small"); err != nil || got != "small" {
		t.Fatalf("small message: %q %v", got, err)
	}
	_, err := call(t.Context(), conn, strings.Repeat("x", 2048))
	if status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("got %v, want ResourceExhausted", err)
	}
}

func TestHealthFollowsTheLifecycle(t *testing.T) {
	def := definition + `drain_delay = "500ms"
`
	ln := grpckindtest.NewListener(t)
	conn := ln.Dial(t)
	hc := healthpb.NewHealthClient(conn)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	var (
		watch  healthpb.Health_WatchClient
		before []healthpb.HealthCheckResponse_ServingStatus
	)
	e := &echo{onStart: func(context.Context) error {
		// The kind listens and serves while OnStart runs; the service is
		// not ready yet.
		for _, name := range []string{"", "mikros.test.Echo"} {
			r, err := hc.Check(ctx, &healthpb.HealthCheckRequest{Service: name})
			if err != nil {
				return err
			}
			before = append(before, r.GetStatus())
		}
		var err error
		if watch, err = hc.Watch(ctx, &healthpb.HealthCheckRequest{}); err != nil {
			return err
		}
		r, err := watch.Recv()
		if err != nil {
			return err
		}
		before = append(before, r.GetStatus())
		return nil
	}}
	svc := servicetest.Start(t, e, def, core.WithKinds(mgrpc.New(mgrpc.WithListener(ln))))
	if err := svc.Err(); err != nil {
		t.Fatal(err)
	}
	ns, sv := healthpb.HealthCheckResponse_NOT_SERVING, healthpb.HealthCheckResponse_SERVING
	if fmt.Sprint(before) != fmt.Sprint([]healthpb.HealthCheckResponse_ServingStatus{ns, ns, ns}) {
		t.Errorf("before ready: %v, want NOT_SERVING everywhere", before)
	}
	expect := func(when string, want healthpb.HealthCheckResponse_ServingStatus) {
		t.Helper()
		r, err := watch.Recv()
		if err != nil || r.GetStatus() != want {
			t.Fatalf("%s: watch got %v %v, want %s", when, r, err, want)
		}
		for _, name := range []string{"", "mikros.test.Echo"} {
			r, err := hc.Check(ctx, &healthpb.HealthCheckRequest{Service: name})
			if err != nil || r.GetStatus() != want {
				t.Fatalf("%s: check %q got %v %v, want %s", when, name, r, err, want)
			}
		}
	}
	expect("ready", sv)

	stopped := make(chan error, 1)
	begin := time.Now()
	go func() { stopped <- svc.Stop() }()
	expect("draining", ns)
	if _, err := watch.Recv(); status.Code(err) != codes.Unavailable {
		t.Errorf("the watch ended with %v, want Unavailable", err)
	}
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
	if took := time.Since(begin); took > 3*time.Second {
		t.Errorf("stopping took %s: the health watch held the graceful stop", took)
	}
}

func TestDrainUnderLoad(t *testing.T) {
	def := definition + `drain_delay = "100ms"
`
	var started, finished atomic.Int64
	e := &echo{echo: func(_ context.Context, in *wrapperspb.StringValue) (*wrapperspb.StringValue, error) {
		started.Add(1)
		time.Sleep(20 * time.Millisecond) // deaf to cancellation: the graceful stop must wait
		finished.Add(1)
		return in, nil
	}}
	svc, conn := grpckindtest.Start(t, e, def)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	const clients = 8
	var ok atomic.Int64
	failures := make(chan error, clients)
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			deadline := time.Now().Add(10 * time.Second)
			for i := 0; i < 1000 && time.Now().Before(deadline); i++ {
				if _, err := call(ctx, conn, "x"); err != nil {
					failures <- err
					return
				}
				ok.Add(1)
			}
			failures <- nil
		})
	}
	time.Sleep(150 * time.Millisecond)
	if err := svc.Stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	wg.Wait()
	close(failures)
	for err := range failures {
		if status.Code(err) != codes.Unavailable {
			t.Errorf("a call failed with %v, want Unavailable", err)
		}
	}
	if ok.Load() == 0 || ok.Load() != finished.Load() || started.Load() != finished.Load() {
		t.Errorf("%d calls OK, %d started and %d finished in the handler: every accepted call must complete", ok.Load(), started.Load(), finished.Load())
	}
	if _, err := call(ctx, conn, "x"); status.Code(err) != codes.Unavailable {
		t.Errorf("after stop: %v, want Unavailable", err)
	}
}

func TestStopCutsCallsAtTheBudget(t *testing.T) {
	def := strings.Replace(definition, `stop_timeout = "5s"`, `stop_timeout = "500ms"`, 1)
	entered := make(chan struct{}, 1)
	e := &echo{echo: func(ctx context.Context, _ *wrapperspb.StringValue) (*wrapperspb.StringValue, error) {
		entered <- struct{}{}
		<-ctx.Done()
		return nil, ctx.Err()
	}}
	svc, conn := grpckindtest.Start(t, e, def)
	result := make(chan error, 1)
	go func() {
		_, err := call(t.Context(), conn, "x")
		result <- err
	}()
	<-entered
	begin := time.Now()
	err := svc.Stop()
	took := time.Since(begin)
	if core.ExitCode(err) != core.ExitFailure || !strings.Contains(err.Error(), "kind grpc stop: calls in flight were cut") {
		t.Fatalf("stop: %v, want the calls cut", err)
	}
	if took > 2*time.Second {
		t.Errorf("stop took %s with a 500ms budget", took)
	}
	if err := <-result; status.Code(err) != codes.Unavailable && status.Code(err) != codes.Canceled {
		t.Errorf("the cut call got %v", err)
	}
}

// TestForcedStopDoesNotWaitForHandlers stops a kind whose handler ignores
// its context: once its context ends, Stop cuts the call and returns at
// once, and Run returns, while the handler sleeps on. gRPC's own Stop waits
// for handlers too when told to (grpc.WaitForHandlers); the kind's does not.
func TestForcedStopDoesNotWaitForHandlers(t *testing.T) {
	const (
		sleep  = 3 * time.Second
		budget = 200 * time.Millisecond
		margin = 400 * time.Millisecond // forcedStopWait, and slack for -race
	)
	for _, tt := range []struct {
		name string
		opts []grpclib.ServerOption
	}{
		{name: "default"},
		{name: "gRPC waits for handlers", opts: []grpclib.ServerOption{grpclib.WaitForHandlers(true)}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			entered := make(chan struct{})
			returned := make(chan struct{})
			e := &echo{echo: func(_ context.Context, in *wrapperspb.StringValue) (*wrapperspb.StringValue, error) {
				defer close(returned)
				close(entered)
				time.Sleep(sleep) // deaf to its context
				return in, nil
			}}
			ln := grpckindtest.NewListener(t)
			conn := ln.Dial(t)
			k := mgrpc.New(mgrpc.WithListener(ln), mgrpc.WithServerOptions(tt.opts...))
			svc := servicetest.Start(t, e, definition, core.WithKinds(k))
			if err := svc.Err(); err != nil {
				t.Fatal(err)
			}
			// The test ends once the handler did, so that goleak sees every
			// goroutine of the server gone.
			t.Cleanup(func() { <-returned })
			result := make(chan error, 1)
			go func() {
				_, err := call(context.Background(), conn, "x")
				result <- err
			}()
			<-entered

			ran := make(chan error, 1)
			go func() { ran <- k.Run(context.Background()) }()
			ctx, cancel := context.WithTimeout(context.Background(), budget)
			defer cancel()
			begin := time.Now()
			err := k.Stop(ctx)
			took := time.Since(begin)
			if err == nil || !strings.Contains(err.Error(), "calls in flight were cut") {
				t.Errorf("Stop: %v, want the calls cut", err)
			}
			if took > budget+margin {
				t.Errorf("Stop took %s with a %s context: it waited for the handler", took, budget)
			}
			select {
			case err := <-ran:
				if err != nil {
					t.Errorf("Run: %v", err)
				}
			case <-time.After(margin):
				t.Errorf("Run did not return within %s of Stop", margin)
			}
			select {
			case err := <-result:
				if status.Code(err) != codes.Unavailable {
					t.Errorf("the cut call got %v, want Unavailable", err)
				}
			case <-time.After(margin):
				t.Errorf("the cut call was not answered within %s of Stop", margin)
			}
			// Core sees the kind finished, and stops the service.
			select {
			case <-svc.Done():
			case <-time.After(sleep / 2):
				t.Errorf("the service did not stop after the kind's Run returned")
			}
			select {
			case <-returned:
				t.Errorf("the handler returned before the test ended: it did not prove anything")
			default:
			}
		})
	}
}

// TestPortInUse: a busy port fails the start with the listener's own
// error, which names the address and is EADDRINUSE for errors.Is (core adds
// its hint about MIKROS_GRPC_PORT from it), and logs no Go stack.
func TestPortInUse(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	port := busy.Addr().(*net.TCPAddr).Port
	def := definition + fmt.Sprintf(`
[services.grpc]
address = "127.0.0.1"
port = %d
`, port)
	k := mgrpc.New()
	svc := servicetest.Start(t, &echo{}, def, core.WithKinds(k))
	err = svc.Wait()
	want := fmt.Sprintf("127.0.0.1:%d", port)
	if core.ExitCode(err) != core.ExitFailure || !strings.Contains(err.Error(), want) {
		t.Fatalf("got %v, want exit 1 naming %s", err, want)
	}
	if !errors.Is(err, syscall.EADDRINUSE) {
		t.Errorf("errors.Is(%v, EADDRINUSE) is false", err)
	}
	if op, ok := errors.AsType[*net.OpError](err); !ok || op.Op != "listen" || op.Addr == nil || op.Addr.String() != want {
		t.Errorf("no *net.OpError of listening on %s in %#v", want, err)
	}
	for _, stack := range []string{"goroutine ", "runtime/debug", ".go:"} {
		if strings.Contains(svc.Logs(), stack) {
			t.Errorf("the logs hold a Go stack (%q):\n%s", stack, svc.Logs())
		}
	}
	select {
	case <-k.Serving():
		t.Error("Serving is closed, but the kind never served")
	default:
	}
}

func TestServing(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	k := mgrpc.New(mgrpc.WithListener(ln))
	select {
	case <-k.Serving():
		t.Fatal("Serving is closed before the start")
	default:
	}
	svc := servicetest.Start(t, &echo{}, definition, core.WithKinds(k))
	if err := svc.Err(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-k.Serving():
	case <-time.After(5 * time.Second):
		t.Fatal("Serving is not closed once the service is ready")
	}
	conn, err := grpclib.NewClient(ln.Addr().String(), grpclib.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if got, err := call(t.Context(), conn, "hi"); err != nil || got != "hi" {
		t.Fatalf("once serving: %q %v", got, err)
	}
}

func TestReflectionAndAddr(t *testing.T) {
	for _, on := range []bool{false, true} {
		t.Run(fmt.Sprint("reflection=", on), func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			k := mgrpc.New(mgrpc.WithListener(ln))
			if k.Addr() != nil || k.Server() != nil {
				t.Fatal("Addr and Server must be nil before the start")
			}
			def := definition + fmt.Sprintf("\n[services.grpc]\nreflection = %v\n", on)
			svc := servicetest.Start(t, &echo{}, def, core.WithKinds(k))
			if err := svc.Err(); err != nil {
				t.Fatal(err)
			}
			if k.Addr().String() != ln.Addr().String() {
				t.Errorf("Addr %s, want %s", k.Addr(), ln.Addr())
			}
			info := k.Server().GetServiceInfo()
			for _, name := range []string{"grpc.health.v1.Health", "mikros.test.Echo"} {
				if _, ok := info[name]; !ok {
					t.Errorf("%s not registered: %v", name, info)
				}
			}
			if _, ok := info["grpc.reflection.v1.ServerReflection"]; ok != on {
				t.Errorf("reflection registered: %v, want %v", ok, on)
			}
		})
	}
}
