package main

// The tests of this file prove that the spans the tracing feature makes of
// the greeter's calls are those the stock OpenTelemetry instrumentations,
// otelgrpc and otelhttp, make of the same calls: same names, kinds,
// statuses, attribute keys and values, events and parents. Each call is
// made twice, once to (or from) the greeter with the tracing feature,
// whose spans go to an in-memory exporter, and once through the stock
// instrumentation on an SDK tracer provider of the test's; the two spans
// are then compared. Values that differ by nature between two listeners
// or two connections (the server's port, the peer's port) are checked
// against what each should be instead.

import (
	"context"
	"fmt"
	"io"
	nethttp "net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/mikros-go/mikros/core"
	greeterv1 "github.com/mikros-go/mikros/examples/greeter/proto/greeter/v1"
	"github.com/mikros-go/mikros/features/tracing"
	mgrpc "github.com/mikros-go/mikros/kinds/grpc"
)

// propagator is what the tracing feature propagates: W3C trace context
// and baggage. The stock instrumentations are given the same.
var propagator = propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})

// callerParent is the trace context the calls to the servers come with:
// server spans are its children.
var callerParent = trace.NewSpanContext(trace.SpanContextConfig{
	TraceID:    trace.TraceID{0x0a, 0xf7, 0x65, 0x19, 0x16, 0xcd, 0x43, 0xdd, 0x84, 0x48, 0xeb, 0x21, 0x1c, 0x80, 0x31, 0x9c},
	SpanID:     trace.SpanID{0xb7, 0xad, 0x6b, 0x71, 0x69, 0x20, 0x33, 0x31},
	TraceFlags: trace.FlagsSampled,
	Remote:     true,
})

// traceparent is callerParent as the traceparent header writes it.
var traceparent = fmt.Sprintf("00-%s-%s-01", callerParent.TraceID(), callerParent.SpanID())

// traced is the greeter running with the tracing feature, its spans kept
// in memory.
type traced struct {
	*running
	feature *tracing.Feature
	spans   *tracetest.InMemoryExporter
}

// startTraced runs the greeter with [features.tracing] enabled and its
// spans handed to an in-memory exporter, and forgets the startup trace.
func startTraced(t *testing.T) *traced {
	t.Helper()
	exp := tracetest.NewInMemoryExporter()
	f := tracing.New(tracing.WithExporter(exp))
	r := start(t, setup{edits: []edit{enable("tracing")}, features: []core.Feature{f}})
	tr := &traced{running: r, feature: f, spans: exp}
	tr.flush(t)
	exp.Reset()
	return tr
}

// flush exports the spans that ended, and returns those exported so far.
func (tr *traced) flush(t *testing.T) tracetest.SpanStubs {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := tr.feature.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	return tr.spans.GetSpans()
}

// reference returns an SDK tracer provider that exports every span, as it
// ends, to the exporter returned, for the stock instrumentations.
func reference(t *testing.T) (*sdktrace.TracerProvider, *tracetest.InMemoryExporter) {
	t.Helper()
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp), sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.AlwaysSample())))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return tp, exp
}

// waitSpans waits, up to 5s, for the spans get returns to hold one of kind
// and returns it. (A stats handler may end its span after the caller got
// the response.) It fails the test when none or several arrive.
func waitSpans(t *testing.T, get func() tracetest.SpanStubs, kind trace.SpanKind) tracetest.SpanStub {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		var found []tracetest.SpanStub
		for _, s := range get() {
			if s.SpanKind == kind {
				found = append(found, s)
			}
		}
		if len(found) > 1 {
			t.Fatalf("%d spans of kind %s, want 1: %v", len(found), kind, names(found))
		}
		if len(found) == 1 {
			return found[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("no span of kind %s within 5s", kind)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func names(spans []tracetest.SpanStub) []string {
	var ns []string
	for _, s := range spans {
		ns = append(ns, s.Name)
	}
	return ns
}

// attrValues returns a span's attributes by key, as "TYPE:value".
func attrValues(s tracetest.SpanStub) map[attribute.Key]string {
	m := map[attribute.Key]string{}
	for _, kv := range s.Attributes {
		m[kv.Key] = kv.Value.Type().String() + ":" + kv.Value.String()
	}
	return m
}

// sameSpan fails the test when got (the tracing feature's span) and want
// (the stock instrumentation's) differ in name, kind, status, attributes,
// events or parent. The attributes of perCall are not compared: each is
// checked by its function, given the span's value and whether it is the
// feature's span.
func sameSpan(t *testing.T, got, want tracetest.SpanStub, perCall map[attribute.Key]func(v string, ours bool) error) {
	t.Helper()
	if got.Name != want.Name {
		t.Errorf("name %q, want %q", got.Name, want.Name)
	}
	if got.SpanKind != want.SpanKind {
		t.Errorf("kind %v, want %v", got.SpanKind, want.SpanKind)
	}
	if got.Status != want.Status {
		t.Errorf("status %+v, want %+v", got.Status, want.Status)
	}
	ga, wa := attrValues(got), attrValues(want)
	for k, check := range perCall {
		if err := check(ga[k], true); err != nil {
			t.Errorf("%s (tracing feature): %v", k, err)
		}
		if err := check(wa[k], false); err != nil {
			t.Errorf("%s (stock instrumentation): %v", k, err)
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
			t.Errorf("attribute %s = %q, which the stock instrumentation does not set", k, g)
		}
	}
	if len(got.Events) != len(want.Events) {
		t.Errorf("%d events, want %d", len(got.Events), len(want.Events))
	}
	if got.Parent.IsValid() != want.Parent.IsValid() || got.Parent.IsRemote() != want.Parent.IsRemote() ||
		got.Parent.TraceID() != want.Parent.TraceID() || got.Parent.SpanID() != want.Parent.SpanID() {
		t.Errorf("parent %v, want %v", got.Parent, want.Parent)
	}
}

// is returns a check that a value is want.
func is(want string) func(string, bool) error {
	return func(v string, _ bool) error {
		if v != want {
			return fmt.Errorf("%q, want %q", v, want)
		}
		return nil
	}
}

// either returns a check that a value is ours for the feature's span and
// theirs for the stock instrumentation's.
func either(ours, theirs string) func(string, bool) error {
	return func(v string, feature bool) error {
		if feature {
			return is(ours)(v, true)
		}
		return is(theirs)(v, false)
	}
}

// grpcCall is one gRPC call of the greeter's, made through conn.
type grpcCall struct {
	name string
	call func(ctx context.Context, conn grpc.ClientConnInterface) error
}

var grpcCalls = []grpcCall{
	{"SayHello OK", func(ctx context.Context, conn grpc.ClientConnInterface) error {
		_, err := greeterv1.NewGreeterServiceClient(conn).SayHello(ctx, &greeterv1.SayHelloRequest{Name: "Ada"})
		return err
	}},
	{"SayHello InvalidArgument", func(ctx context.Context, conn grpc.ClientConnInterface) error {
		_, err := greeterv1.NewGreeterServiceClient(conn).SayHello(ctx, &greeterv1.SayHelloRequest{})
		return err
	}},
	{"Health.Check OK", func(ctx context.Context, conn grpc.ClientConnInterface) error {
		_, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
		return err
	}},
	{"Health.Check NotFound", func(ctx context.Context, conn grpc.ClientConnInterface) error {
		_, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{Service: "no.such.Service"})
		return err
	}},
}

// unknownMethod calls a method the greeter does not have: it answers
// Unimplemented before any interceptor runs, so that only a client sees
// the call (the gRPC kind observes the calls its interceptor serves).
var unknownMethod = grpcCall{"unknown method Unimplemented", func(ctx context.Context, conn grpc.ClientConnInterface) error {
	return conn.Invoke(ctx, "/greeter.v1.GreeterService/SayGoodbye", &greeterv1.SayHelloRequest{}, &greeterv1.SayHelloResponse{})
}}

// dial returns a plain connection to addr, closed when the test ends.
func dial(t *testing.T, addr string, opts ...grpc.DialOption) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient(addr, append([]grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

// sameOutcome fails the test when two calls did not answer with the same
// status code. (The kind's client gives its errors the status as their
// cause, which status.Code finds.)
func sameOutcome(t *testing.T, got, want error) {
	t.Helper()
	if status.Code(got) != status.Code(want) {
		t.Fatalf("the calls answered differently: %v and %v", got, want)
	}
}

// TestGRPCServerSpansMatchOtelgrpc serves the greeter twice: with the
// tracing feature, and with the feature off and otelgrpc's server stats
// handler on the gRPC kind's server (the kind's own interceptor then
// observes nothing, but still answers errors as the greeter does). Each
// call, made to both with the caller's trace context, gives each a server
// span; they must be the same. server.port is each server's own port.
func TestGRPCServerSpansMatchOtelgrpc(t *testing.T) {
	ours := startTraced(t)
	refTP, refSpans := reference(t)
	ref := start(t, setup{grpc: []mgrpc.Option{mgrpc.WithServerOptions(grpc.StatsHandler(
		otelgrpc.NewServerHandler(otelgrpc.WithTracerProvider(refTP), otelgrpc.WithPropagators(propagator))))}})
	ourConn, refConn := dial(t, ours.grpcAddr), dial(t, ref.grpcAddr)
	ctx := metadata.AppendToOutgoingContext(context.Background(), "traceparent", traceparent)

	for _, tc := range grpcCalls {
		t.Run(tc.name, func(t *testing.T) {
			ours.spans.Reset()
			refSpans.Reset()
			ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			sameOutcome(t, tc.call(ctx, ourConn), tc.call(ctx, refConn))
			got := waitSpans(t, func() tracetest.SpanStubs { return ours.flush(t) }, trace.SpanKindServer)
			want := waitSpans(t, refSpans.GetSpans, trace.SpanKindServer)
			sameSpan(t, got, want, map[attribute.Key]func(string, bool) error{
				"server.port": either(fmt.Sprintf("INT64:%d", ours.grpcPort()), fmt.Sprintf("INT64:%d", ref.grpcPort())),
			})
			if got.Parent.SpanID() != callerParent.SpanID() || !got.Parent.IsRemote() {
				t.Errorf("parent %v, want the caller's %v", got.Parent, callerParent)
			}
		})
	}
}

// TestGRPCClientSpansMatchOtelgrpc makes each call through the gRPC kind's
// client "greeter", with the tracing feature, and through a connection
// with otelgrpc's client stats handler, both to the same server (the
// greeter itself), and compares the client spans, every attribute
// included.
func TestGRPCClientSpansMatchOtelgrpc(t *testing.T) {
	ours := startTraced(t)
	ourConn, err := ours.grpc.Client("greeter")
	if err != nil {
		t.Fatal(err)
	}
	refTP, refSpans := reference(t)
	refConn := dial(t, ours.grpcAddr, grpc.WithStatsHandler(
		otelgrpc.NewClientHandler(otelgrpc.WithTracerProvider(refTP), otelgrpc.WithPropagators(propagator))))

	for _, tc := range append(grpcCalls, unknownMethod) {
		t.Run(tc.name, func(t *testing.T) {
			ours.spans.Reset()
			refSpans.Reset()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			sameOutcome(t, tc.call(ctx, ourConn), tc.call(ctx, refConn))
			got := waitSpans(t, func() tracetest.SpanStubs { return ours.flush(t) }, trace.SpanKindClient)
			want := waitSpans(t, refSpans.GetSpans, trace.SpanKindClient)
			sameSpan(t, got, want, nil)
		})
	}
}

// TestHTTPServerSpansMatchOtelhttp serves the greeter's handler twice:
// through the http kind with the tracing feature, and by a bare net/http
// server with otelhttp's handler. Each request, made to both with the same
// headers, gives each a server span; they must be the same. server.port is
// each server's own port, network.peer.port each connection's.
//
// otelhttp sets http.route when it runs once the request was routed, so a
// service that routes with a ServeMux puts it on each route, and requests
// no route matched get no span; wrapped around the whole ServeMux, it names
// the span after the route but sets no http.route. The feature observes
// every request and sets http.route once routed: its spans are those of
// otelhttp on the route for routed requests, and those of otelhttp around
// the ServeMux for the others. Both stock servers are here, and each case
// says which one it matches.
func TestHTTPServerSpansMatchOtelhttp(t *testing.T) {
	ours := startTraced(t)
	refTP, refSpans := reference(t)
	instrument := func(h nethttp.Handler) nethttp.Handler {
		return otelhttp.NewHandler(h, "greeter", otelhttp.WithTracerProvider(refTP), otelhttp.WithPropagators(propagator))
	}
	// onRoute has otelhttp on the greeter's one route, as a service that
	// instruments its routes does.
	onRoute := nethttp.NewServeMux()
	onRoute.Handle("GET /hello", instrument((&greeter{}).HTTPHandler()))
	routed := httptest.NewServer(onRoute)
	t.Cleanup(routed.Close)
	// around has otelhttp around the greeter's handler, for the requests
	// no route matches.
	around := httptest.NewServer(instrument((&greeter{}).HTTPHandler()))
	t.Cleanup(around.Close)
	client := httpClient(t)

	for _, tc := range []struct {
		name, method, target string
		header               map[string]string
		status               int
		ref                  *httptest.Server
	}{
		{name: "200", method: "GET", target: "/hello?name=Ada", status: 200, ref: routed},
		{name: "400", method: "GET", target: "/hello", status: 400, ref: routed},
		{name: "HEAD", method: "HEAD", target: "/hello?name=Ada", status: 200, ref: routed},
		{name: "X-Forwarded-For", method: "GET", target: "/hello?name=Ada", status: 200, ref: routed,
			header: map[string]string{"X-Forwarded-For": "203.0.113.7, 10.0.0.1"}},
		{name: "404 unmatched", method: "GET", target: "/nope", status: 404, ref: around},
		{name: "405", method: "POST", target: "/hello?name=Ada", status: 405, ref: around},
		{name: "a method of its own", method: "PURGE", target: "/hello", status: 405, ref: around},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ours.spans.Reset()
			refSpans.Reset()
			send := func(base string) (int, string) {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				req, err := nethttp.NewRequestWithContext(ctx, tc.method, base+tc.target, nil)
				if err != nil {
					t.Fatal(err)
				}
				req.Header.Set("Traceparent", traceparent)
				req.Header.Set("User-Agent", "greeter-test/1")
				for k, v := range tc.header {
					req.Header.Set(k, v)
				}
				resp, err := client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				body, _ := io.ReadAll(resp.Body)
				return resp.StatusCode, string(body)
			}
			gotStatus, gotBody := send(ours.httpURL)
			wantStatus, wantBody := send(tc.ref.URL)
			if gotStatus != tc.status || wantStatus != tc.status || gotBody != wantBody {
				t.Fatalf("the servers answered differently: %d %q and %d %q, want %d", gotStatus, gotBody, wantStatus, wantBody, tc.status)
			}
			got := waitSpans(t, func() tracetest.SpanStubs { return ours.flush(t) }, trace.SpanKindServer)
			want := waitSpans(t, refSpans.GetSpans, trace.SpanKindServer)
			sameSpan(t, got, want, map[attribute.Key]func(string, bool) error{
				"server.port": either(fmt.Sprintf("INT64:%d", ours.httpPort()), fmt.Sprintf("INT64:%d", port(strings.TrimPrefix(tc.ref.URL, "http://")))),
				"network.peer.port": func(v string, _ bool) error {
					var port int
					if _, err := fmt.Sscanf(v, "INT64:%d", &port); err != nil || port <= 0 || port > 65535 {
						return fmt.Errorf("%q is not the client's port", v)
					}
					return nil
				},
			})
			if got.Parent.SpanID() != callerParent.SpanID() || !got.Parent.IsRemote() {
				t.Errorf("parent %v, want the caller's %v", got.Parent, callerParent)
			}
		})
	}
}
