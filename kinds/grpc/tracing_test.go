package grpc_test

// The tests of this file set OpenTelemetry's global tracer provider, which
// the kind reads when it starts: they must not run in parallel with other
// tests (none of them calls t.Parallel), and they put the provider back
// when they end.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	merrors "github.com/mikros-go/mikros/features/errors"
	mgrpc "github.com/mikros-go/mikros/kinds/grpc"
	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
	grpclib "google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// propagator is the propagator the tests install, as the tracing feature
// does: W3C trace context and baggage.
var propagator = propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})

// recorder returns a tracer provider that samples every span and records
// the spans that end.
func recorder() (*sdktrace.TracerProvider, *tracetest.SpanRecorder) {
	rec := tracetest.NewSpanRecorder()
	return sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample()), sdktrace.WithSpanProcessor(rec)), rec
}

// setGlobal installs tp and the propagator as OpenTelemetry's globals, as
// the tracing feature does, and puts the previous ones back when the test
// ends (after the services it started stopped, when it is called first).
func setGlobal(t testing.TB, tp trace.TracerProvider) {
	t.Helper()
	prevTP, prevProp := otel.GetTracerProvider(), otel.GetTextMapPropagator()
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagator)
	t.Cleanup(func() {
		otel.SetTracerProvider(prevTP)
		otel.SetTextMapPropagator(prevProp)
	})
}

// installTracing installs a recording tracer provider as the global one.
func installTracing(t testing.TB) *tracetest.SpanRecorder {
	t.Helper()
	tp, rec := recorder()
	setGlobal(t, tp)
	return rec
}

// ended waits until rec holds n ended spans and returns them, failing the
// test if it does not within a few seconds. (A stats handler ends its span
// after the response is sent, so the client may see the answer first.)
func ended(t *testing.T, rec *tracetest.SpanRecorder, n int) []sdktrace.ReadOnlySpan {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		spans := rec.Ended()
		if len(spans) >= n {
			if len(spans) > n {
				t.Fatalf("%d spans ended, want %d: %v", len(spans), n, names(spans))
			}
			return spans
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d spans ended, want %d: %v", len(spans), n, names(spans))
		}
		time.Sleep(time.Millisecond)
	}
}

func names(spans []sdktrace.ReadOnlySpan) []string {
	var ns []string
	for _, s := range spans {
		ns = append(ns, s.Name())
	}
	return ns
}

// last waits for the span the recorder got after the n it had, and
// returns it.
func last(t *testing.T, rec *tracetest.SpanRecorder, n int) sdktrace.ReadOnlySpan {
	t.Helper()
	return ended(t, rec, n+1)[n]
}

// attrs returns a span's attributes by key, as "TYPE:value".
func attrs(s sdktrace.ReadOnlySpan) map[attribute.Key]string {
	m := map[attribute.Key]string{}
	for _, kv := range s.Attributes() {
		m[kv.Key] = kv.Value.Type().String() + ":" + kv.Value.String()
	}
	return m
}

// perListener are the attributes whose values differ between two
// servers by nature: server.port is the port each listens on. They are
// checked against that port rather than compared.
var perListener = []attribute.Key{"server.port"}

// sameSpan fails the test when got (the kind's span) and want (the
// reference instrumentation's) differ in name, kind, status, attributes
// (but for perListener, checked against ports), events, or parent.
func sameSpan(t *testing.T, got, want sdktrace.ReadOnlySpan, gotPort, wantPort int) {
	t.Helper()
	if got.Name() != want.Name() {
		t.Errorf("name %q, want %q", got.Name(), want.Name())
	}
	if got.SpanKind() != want.SpanKind() {
		t.Errorf("kind %v, want %v", got.SpanKind(), want.SpanKind())
	}
	if got.Status() != want.Status() {
		t.Errorf("status %+v, want %+v", got.Status(), want.Status())
	}
	ga, wa := attrs(got), attrs(want)
	for _, k := range perListener {
		if g, w := ga[k], wa[k]; g != fmt.Sprintf("INT64:%d", gotPort) || w != fmt.Sprintf("INT64:%d", wantPort) {
			t.Errorf("%s: %q (want the kind's port %d) and %q (want %d)", k, g, gotPort, w, wantPort)
		}
		delete(ga, k)
		delete(wa, k)
	}
	for k, w := range wa {
		if g, ok := ga[k]; !ok || g != w {
			t.Errorf("attribute %s = %q, want %q", k, g, w)
		}
	}
	for k, g := range ga {
		if _, ok := wa[k]; !ok {
			t.Errorf("attribute %s = %q, which the reference does not set", k, g)
		}
	}
	if len(got.Events()) != len(want.Events()) {
		t.Errorf("%d events, want %d", len(got.Events()), len(want.Events()))
	}
	if got.Parent().IsRemote() != want.Parent().IsRemote() || got.Parent().TraceID() != want.Parent().TraceID() ||
		got.Parent().SpanID() != want.Parent().SpanID() {
		t.Errorf("parent %v, want %v", got.Parent(), want.Parent())
	}
}

// listen returns a loopback listener and its port.
func listen(t testing.TB) (net.Listener, int) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln, ln.Addr().(*net.TCPAddr).Port
}

// plainServer serves e with the kind's interceptors, untraced, and the
// server options given, on a loopback port until the test ends.
func plainServer(t testing.TB, e *echo, opts ...grpclib.ServerOption) (addr string, port int) {
	t.Helper()
	ln, port := listen(t)
	log := slog.New(slog.DiscardHandler)
	s := grpclib.NewServer(append([]grpclib.ServerOption{
		grpclib.UnaryInterceptor(mgrpc.UnaryInterceptor(log, "orders")),
		grpclib.StreamInterceptor(mgrpc.StreamInterceptor(log, "orders")),
	}, opts...)...)
	s.RegisterService(&echoDesc, e)
	go func() { _ = s.Serve(ln) }()
	t.Cleanup(s.Stop)
	return ln.Addr().String(), port
}

// dial returns a plain connection to addr, closed when the test ends.
func dial(t testing.TB, addr string, opts ...grpclib.DialOption) *grpclib.ClientConn {
	t.Helper()
	conn, err := grpclib.NewClient(addr, append([]grpclib.DialOption{grpclib.WithTransportCredentials(insecure.NewCredentials())}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

// repeat calls Repeat on conn and reads the stream to its end.
func repeat(ctx context.Context, conn grpclib.ClientConnInterface, msg string) error {
	ss, err := conn.NewStream(ctx, repeatDesc, repeatMethod)
	if err != nil {
		return err
	}
	if err := ss.SendMsg(wrapperspb.String(msg)); err != nil {
		return err
	}
	if err := ss.CloseSend(); err != nil {
		return err
	}
	for {
		if err := ss.RecvMsg(new(wrapperspb.StringValue)); err != nil {
			if err == io.EOF {
				return nil
			}
			return err
		}
	}
}

// tracedCase is a call, made the same way to the kind and to the
// reference.
type tracedCase struct {
	name   string
	echo   func(context.Context, *wrapperspb.StringValue) (*wrapperspb.StringValue, error)
	repeat func(*wrapperspb.StringValue, grpclib.ServerStream) error
	stream bool // call Repeat rather than Echo
}

// switchable returns a service whose behaviour is the case cur holds (the
// default one while it holds none), so that one server serves every case.
func switchable() (*echo, *atomic.Pointer[tracedCase]) {
	cur := new(atomic.Pointer[tracedCase])
	e := &echo{
		echo: func(ctx context.Context, in *wrapperspb.StringValue) (*wrapperspb.StringValue, error) {
			if tc := cur.Load(); tc != nil && tc.echo != nil {
				return tc.echo(ctx, in)
			}
			return in, nil
		},
		repeat: func(in *wrapperspb.StringValue, ss grpclib.ServerStream) error {
			if tc := cur.Load(); tc != nil && tc.repeat != nil {
				return tc.repeat(in, ss)
			}
			return (&echo{}).Repeat(in, ss)
		},
	}
	return e, cur
}

var tracedCases = []tracedCase{
	{name: "unary ok"},
	{name: "unary not found", echo: func(context.Context, *wrapperspb.StringValue) (*wrapperspb.StringValue, error) {
		return nil, merrors.New(merrors.NotFound, "order 42 not found").WithCode("ORDER_NOT_FOUND")
	}},
	{name: "unary plain error", echo: func(context.Context, *wrapperspb.StringValue) (*wrapperspb.StringValue, error) {
		return nil, errors.New("db: connection reset")
	}},
	{name: "unary status unavailable", echo: func(context.Context, *wrapperspb.StringValue) (*wrapperspb.StringValue, error) {
		return nil, status.Error(codes.Unavailable, "try later")
	}},
	{name: "unary invalid argument", echo: func(context.Context, *wrapperspb.StringValue) (*wrapperspb.StringValue, error) {
		return nil, merrors.New(merrors.InvalidArgument, "bad email")
	}},
	{name: "unary panic", echo: func(context.Context, *wrapperspb.StringValue) (*wrapperspb.StringValue, error) {
		panic("boom")
	}},
	{name: "stream ok", stream: true},
	{name: "stream error", stream: true, repeat: func(in *wrapperspb.StringValue, ss grpclib.ServerStream) error {
		if err := ss.SendMsg(in); err != nil {
			return err
		}
		return merrors.New(merrors.DataLoss, "lost it")
	}},
	{name: "stream panic", stream: true, repeat: func(*wrapperspb.StringValue, grpclib.ServerStream) error {
		panic("boom")
	}},
}

// TestServerSpansMatchOtelgrpc makes the same calls to the kind, traced
// through the global tracer provider, and to a server with the kind's
// interceptors untraced and otelgrpc's stats handler, each with its own
// span recorder, and compares the server spans.
//
// Compared: name, kind, status code and description, every attribute
// (rpc.method, rpc.system.name, server.address, server.port,
// rpc.response.status_code), the number of events (none), and the parent,
// remote, from the trace context the call carries. server.port is each
// server's own port, so it is checked against it instead. Not compared:
// the instrumentation scope (the kind's tracer is named after its module),
// ids and times.
func TestServerSpansMatchOtelgrpc(t *testing.T) {
	e, cur := switchable()
	rec := installTracing(t)
	svc, k := startLoopback(t, e, nil, nil)
	t.Cleanup(func() { _ = svc.Stop() })
	if !mgrpc.Traced(k) {
		t.Fatal("the kind does not trace with a tracer provider installed")
	}
	mikrosConn := dial(t, k.Addr().String())
	mikrosPort := k.Addr().(*net.TCPAddr).Port

	refTP, refRec := recorder()
	refAddr, refPort := plainServer(t, e, grpclib.StatsHandler(otelgrpc.NewServerHandler(
		otelgrpc.WithTracerProvider(refTP), otelgrpc.WithPropagators(propagator))))
	refConn := dial(t, refAddr)

	// The callers' trace context: the server spans are its children.
	parent := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{1, 2, 3}, SpanID: trace.SpanID{4, 5, 6}, TraceFlags: trace.FlagsSampled,
	})
	ctx := metadata.AppendToOutgoingContext(context.Background(),
		"traceparent", "00-"+parent.TraceID().String()+"-"+parent.SpanID().String()+"-01")

	for i, tc := range tracedCases {
		t.Run(tc.name, func(t *testing.T) {
			cur.Store(&tc)
			var gotErr, wantErr error
			if tc.stream {
				gotErr, wantErr = repeat(ctx, mikrosConn, "hi"), repeat(ctx, refConn, "hi")
			} else {
				_, gotErr = call(ctx, mikrosConn, "hi")
				_, wantErr = call(ctx, refConn, "hi")
			}
			if status.Code(gotErr) != status.Code(wantErr) {
				t.Fatalf("the calls answered differently: %v and %v", gotErr, wantErr)
			}
			got, want := last(t, rec, i), last(t, refRec, i)
			sameSpan(t, got, want, mikrosPort, refPort)
			if got.Parent().TraceID() != parent.TraceID() || !got.Parent().IsRemote() {
				t.Errorf("parent %v, want the caller's %v", got.Parent(), parent)
			}
		})
	}
}

// TestClientSpansMatchOtelgrpc makes the same calls through a connection
// of Kind.Client and through one with otelgrpc's client stats handler, to
// the same (untraced) server, and compares the client spans as
// TestServerSpansMatchOtelgrpc does the server's. Both connections target
// 127.0.0.1 and the server's port, so every attribute is compared.
func TestClientSpansMatchOtelgrpc(t *testing.T) {
	e, cur := switchable()
	addr, port := plainServer(t, e)
	rec := installTracing(t)
	svc, k := startLoopback(t, &echo{}, func(int) string {
		return fmt.Sprintf("\n[clients.echo]\nhost = \"127.0.0.1\"\nport = %d\n", port)
	}, nil)
	t.Cleanup(func() { _ = svc.Stop() })
	mikrosConn, err := k.Client("echo")
	if err != nil {
		t.Fatal(err)
	}
	refTP, refRec := recorder()
	refConn := dial(t, addr, grpclib.WithStatsHandler(otelgrpc.NewClientHandler(
		otelgrpc.WithTracerProvider(refTP), otelgrpc.WithPropagators(propagator))))

	ctx := context.Background()
	for i, tc := range tracedCases {
		t.Run(tc.name, func(t *testing.T) {
			cur.Store(&tc)
			var gotErr, wantErr error
			if tc.stream {
				gotErr, wantErr = repeat(ctx, mikrosConn, "hi"), repeat(ctx, refConn, "hi")
			} else {
				_, gotErr = call(ctx, mikrosConn, "hi")
				_, wantErr = call(ctx, refConn, "hi")
			}
			if (gotErr == nil) != (wantErr == nil) {
				t.Fatalf("the calls answered differently: %v and %v", gotErr, wantErr)
			}
			sameSpan(t, last(t, rec, i), last(t, refRec, i), port, port)
		})
	}
}

// TestClientAndServerSpansShareATrace calls the service itself through
// Kind.Client, inside a span: the client span is that span's child, and
// the server span the client span's child, all in one trace.
func TestClientAndServerSpansShareATrace(t *testing.T) {
	rec := installTracing(t)
	svc, k := startLoopback(t, &echo{}, self("self", ""), nil)
	t.Cleanup(func() { _ = svc.Stop() })
	conn, err := k.Client("self")
	if err != nil {
		t.Fatal(err)
	}
	ctx, root := otel.Tracer("test").Start(context.Background(), "root")
	if _, err := call(ctx, conn, "hi"); err != nil {
		t.Fatal(err)
	}
	if err := repeat(ctx, conn, "hi"); err != nil {
		t.Fatal(err)
	}
	root.End()
	spans := ended(t, rec, 5)
	byKind := map[trace.SpanKind][]sdktrace.ReadOnlySpan{}
	for _, s := range spans {
		byKind[s.SpanKind()] = append(byKind[s.SpanKind()], s)
	}
	clients, servers := byKind[trace.SpanKindClient], byKind[trace.SpanKindServer]
	if len(clients) != 2 || len(servers) != 2 {
		t.Fatalf("spans %v: want 2 client and 2 server spans", names(spans))
	}
	for _, c := range clients {
		s := servers[slices.IndexFunc(servers, func(s sdktrace.ReadOnlySpan) bool { return s.Name() == c.Name() })]
		if c.SpanContext().TraceID() != root.SpanContext().TraceID() || c.Parent().SpanID() != root.SpanContext().SpanID() {
			t.Errorf("client span %s: parent %v, want the root span", c.Name(), c.Parent())
		}
		if s.Parent().TraceID() != c.SpanContext().TraceID() || s.Parent().SpanID() != c.SpanContext().SpanID() || !s.Parent().IsRemote() {
			t.Errorf("server span %s: parent %v, want the client span %v", s.Name(), s.Parent(), c.SpanContext())
		}
	}
}

// TestTracingOnlyWithAProvider checks that the kind attaches its tracing
// only when a tracer provider other than OpenTelemetry's default (and
// other than the no-op one) is installed when it starts.
func TestTracingOnlyWithAProvider(t *testing.T) {
	for _, tc := range []struct {
		name   string
		tp     trace.TracerProvider // nil: leave the default
		traced bool
	}{
		{name: "default", traced: false},
		{name: "no-op", tp: noop.NewTracerProvider(), traced: false},
		{name: "sdk", tp: sdktrace.NewTracerProvider(), traced: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.tp != nil {
				setGlobal(t, tc.tp)
			}
			svc, k := startLoopback(t, &echo{}, nil, nil)
			t.Cleanup(func() { _ = svc.Stop() })
			if got := mgrpc.Traced(k); got != tc.traced {
				t.Errorf("traced = %v, want %v", got, tc.traced)
			}
		})
	}
}

// TestTracedClientStreamEndsWhenCanceled checks that a client stream
// abandoned by canceling its context still ends its span, Canceled.
func TestTracedClientStreamEndsWhenCanceled(t *testing.T) {
	block := make(chan struct{})
	e := &echo{repeat: func(_ *wrapperspb.StringValue, ss grpclib.ServerStream) error {
		select {
		case <-ss.Context().Done():
		case <-block:
		}
		return nil
	}}
	defer close(block)
	_, port := plainServer(t, e)
	rec := installTracing(t)
	svc, k := startLoopback(t, &echo{}, func(int) string {
		return fmt.Sprintf("\n[clients.echo]\nhost = \"127.0.0.1\"\nport = %d\n", port)
	}, nil)
	t.Cleanup(func() { _ = svc.Stop() })
	conn, err := k.Client("echo")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ss, err := conn.NewStream(ctx, repeatDesc, repeatMethod)
	if err != nil {
		t.Fatal(err)
	}
	if err := ss.SendMsg(wrapperspb.String("hi")); err != nil {
		t.Fatal(err)
	}
	cancel()
	s := ended(t, rec, 1)[0]
	if got := attrs(s)["rpc.response.status_code"]; got != "STRING:CANCELLED" {
		t.Errorf("rpc.response.status_code = %q, want CANCELLED", got)
	}
	if !strings.Contains(s.Status().Description, "canceled") {
		t.Errorf("status %+v", s.Status())
	}
}
