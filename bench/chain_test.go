package bench

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/protobuf/types/known/wrapperspb"

	mgrpc "github.com/mikros-go/mikros/kinds/grpc"
	mhttp "github.com/mikros-go/mikros/kinds/http"
)

// The chain benchmarks measure the server's side of a call without the
// transport: the Greeter's handler called as the server calls it, bare and
// through the kind's chain, the kind running in a real service (core,
// through servicetest) whose features are composed by core itself. With
// mikros-observed, they are the real tracing and metrics features
// (package observed), so that the difference to mikros is what observing
// a call costs with the observers a service uses.

// callerTraceparent is the trace context of a caller whose trace is
// recorded, for the variants in which the call continues a trace.
const callerTraceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"

// grpcKind runs the Greeter through the grpc kind in a service with the
// observers obs (see startMikros), and returns the kind, started.
func grpcKind(b testing.TB, obs observers) *mgrpc.Kind {
	b.Helper()
	k := mgrpc.New(mgrpc.WithListener(listen(b)))
	startMikros(b, &Greeter{}, `"grpc"`, k, obs)
	if k.UnaryInterceptor() == nil {
		b.Fatal("the grpc kind has no unary interceptor once started")
	}
	return k
}

// grpcCallContext returns the context of a unary call as gRPC's server
// gives it to the method's handler: canceled when the call ends, with the
// caller's peer (local address local) and the metadata a grpc-go client
// sends, and a caller's trace context when traceparent is not "".
func grpcCallContext(b testing.TB, local net.Addr, traceparent string) context.Context {
	b.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	b.Cleanup(cancel)
	ctx = peer.NewContext(ctx, &peer.Peer{
		Addr:      &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 51234},
		LocalAddr: local,
	})
	md := metadata.MD{
		":authority":   {local.String()},
		"content-type": {"application/grpc"},
		"user-agent":   {"grpc-go/1.85.0"},
		"te":           {"trailers"},
	}
	if traceparent != "" {
		md["traceparent"] = []string{traceparent}
	}
	return metadata.NewIncomingContext(ctx, md)
}

// BenchmarkGRPCChain measures the server's side of SayHello without the
// transport: its handler (as generated code writes it) called with a
// decoded request, without an interceptor (bare), and with the interceptor
// of the grpc kind running in a service (mikros), whose calls tracing and
// metrics observe (mikros-observed). The cases of mikros-observed:
// /caller-traced, the call continues a caller's recorded trace instead of
// starting one; /tracing-only and /metrics-only, one feature observes the
// calls, which tells their costs apart.
func BenchmarkGRPCChain(b *testing.B) {
	plain := grpcKind(b, unobserved)
	observed := grpcKind(b, allObservers)
	tracingOnly := grpcKind(b, observers{tracing: true})
	metricsOnly := grpcKind(b, observers{metrics: true})
	srv := &Greeter{}
	dec := func(m any) error {
		m.(*wrapperspb.StringValue).Value = "Ada"
		return nil
	}
	for _, bc := range []struct {
		name        string
		kind        *mgrpc.Kind // nil: bare
		traceparent string
	}{
		{name: "bare"},
		{name: "mikros", kind: plain},
		{name: "mikros-observed", kind: observed},
		{name: "mikros-observed/caller-traced", kind: observed, traceparent: callerTraceparent},
		{name: "mikros-observed/tracing-only", kind: tracingOnly},
		{name: "mikros-observed/metrics-only", kind: metricsOnly},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var interceptor grpc.UnaryServerInterceptor
			local := net.Addr(&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 7070})
			if bc.kind != nil {
				interceptor, local = bc.kind.UnaryInterceptor(), bc.kind.Addr()
			}
			ctx := grpcCallContext(b, local, bc.traceparent)
			resp, err := sayHelloHandler(srv, ctx, dec, interceptor)
			if err != nil || resp.(*wrapperspb.StringValue).GetValue() != "Hello, Ada" {
				b.Fatalf("SayHello: %v, %v", resp, err)
			}
			b.ReportAllocs()
			before := cpuTime(b)
			for b.Loop() {
				if _, err := sayHelloHandler(srv, ctx, dec, interceptor); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, before)
		})
	}
}

// httpKind runs the Greeter through the http kind in a service with the
// observers obs (see startMikros), and returns the kind, started.
func httpKind(b testing.TB, obs observers) *mhttp.Kind {
	b.Helper()
	k := mhttp.New(mhttp.WithListener(listen(b)))
	startMikros(b, &Greeter{}, `"http"`, k, obs)
	if k.Handler() == nil {
		b.Fatal("the http kind has no handler once started")
	}
	return k
}

// localConn is a connection that only has a local address: what the
// kind's ConnContext reads of a connection.
type localConn struct {
	net.Conn
	local net.Addr
}

// LocalAddr returns the connection's local address.
func (c localConn) LocalAddr() net.Addr { return c.local }

// httpRequest returns GET /hello?name=Ada as a net/http server reads it
// from a keep-alive HTTP/1.1 connection to local, from a Go client: its
// context descends from the server's (ServerContextKey), then the
// connection's, made by connContext when it is not nil (the kind's
// ConnContext), with the connection's local address, canceled when the
// connection ends, then the request's own, canceled when it ends.
func httpRequest(b testing.TB, local net.Addr, connContext func(context.Context, net.Conn) context.Context, traceparent string) *http.Request {
	b.Helper()
	ctx := context.WithValue(context.Background(), http.ServerContextKey, &http.Server{})
	if connContext != nil {
		ctx = connContext(ctx, localConn{local: local})
	}
	ctx = context.WithValue(ctx, http.LocalAddrContextKey, local)
	ctx, cancelConn := context.WithCancel(ctx)
	ctx, cancel := context.WithCancel(ctx)
	b.Cleanup(func() { cancel(); cancelConn() })
	r := httptest.NewRequestWithContext(ctx, http.MethodGet, "/hello?name=Ada", nil)
	r.Body = http.NoBody // as the server gives a request without a body
	r.Host = local.String()
	r.RemoteAddr = "127.0.0.1:51234"
	r.Header.Set("User-Agent", "Go-http-client/1.1")
	if traceparent != "" {
		r.Header.Set("Traceparent", traceparent)
	}
	return r
}

// BenchmarkHTTPChain measures the server's side of GET /hello?name=Ada
// without the transport: the Greeter's handler (a ServeMux) called
// directly (bare), and through the handler of the http kind running in a
// service (mikros), whose calls tracing and metrics observe
// (mikros-observed, with the same cases as BenchmarkGRPCChain). The
// request is an HTTP/1.1 one whose context descends from the kind's
// ConnContext, as the kind's server makes it, so that the kind takes its
// server's path.
func BenchmarkHTTPChain(b *testing.B) {
	plain := httpKind(b, unobserved)
	observed := httpKind(b, allObservers)
	tracingOnly := httpKind(b, observers{tracing: true})
	metricsOnly := httpKind(b, observers{metrics: true})
	bare := (&Greeter{}).HTTPHandler()
	for _, bc := range []struct {
		name        string
		kind        *mhttp.Kind // nil: bare
		traceparent string
	}{
		{name: "bare"},
		{name: "mikros", kind: plain},
		{name: "mikros-observed", kind: observed},
		{name: "mikros-observed/caller-traced", kind: observed, traceparent: callerTraceparent},
		{name: "mikros-observed/tracing-only", kind: tracingOnly},
		{name: "mikros-observed/metrics-only", kind: metricsOnly},
	} {
		b.Run(bc.name, func(b *testing.B) {
			h := bare
			local := net.Addr(&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8080})
			var connContext func(context.Context, net.Conn) context.Context
			if bc.kind != nil {
				h, local, connContext = bc.kind.Handler(), bc.kind.Addr(), bc.kind.ConnContext
			}
			req := httpRequest(b, local, connContext, bc.traceparent)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != http.StatusOK || w.Body.String() != wantBody {
				b.Fatalf("%d %q", w.Code, w.Body.String())
			}
			b.ReportAllocs()
			before := cpuTime(b)
			for b.Loop() {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatal(w.Code)
				}
			}
			reportCPU(b, before)
		})
	}
}

// TestChains checks what the chain benchmarks call: the kinds' chains, in
// services unobserved and observed, answer the greeting as the bare
// handlers do, and in the observed services every call makes one span.
func TestChains(t *testing.T) {
	dec := func(m any) error {
		m.(*wrapperspb.StringValue).Value = "Ada"
		return nil
	}
	for _, tc := range []struct {
		name string
		obs  observers
	}{
		{"mikros", unobserved},
		{"mikros-observed", allObservers},
		{"mikros-observed/tracing-only", observers{tracing: true}},
		{"mikros-observed/metrics-only", observers{metrics: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, traceparent := range []string{"", callerTraceparent} {
				gk := mgrpc.New(mgrpc.WithListener(listen(t)))
				gs := startMikros(t, &Greeter{}, `"grpc"`, gk, tc.obs)
				hk := mhttp.New(mhttp.WithListener(listen(t)))
				hs := startMikros(t, &Greeter{}, `"http"`, hk, tc.obs)
				var gBefore, hBefore int64
				if tc.obs.tracing {
					gBefore, hBefore = gs.exported(t), hs.exported(t)
				}

				ctx := grpcCallContext(t, gk.Addr(), traceparent)
				resp, err := sayHelloHandler(&Greeter{}, ctx, dec, gk.UnaryInterceptor())
				if err != nil || resp.(*wrapperspb.StringValue).GetValue() != "Hello, Ada" {
					t.Errorf("grpc chain: %v, %v", resp, err)
				}
				w := httptest.NewRecorder()
				hk.Handler().ServeHTTP(w, httpRequest(t, hk.Addr(), hk.ConnContext, traceparent))
				if w.Code != http.StatusOK || w.Body.String() != wantBody || w.Header().Get("X-Request-Id") == "" {
					t.Errorf("http chain: %d %q, request id %q", w.Code, w.Body.String(), w.Header().Get("X-Request-Id"))
				}

				if tc.obs.tracing {
					if n := gs.exported(t) - gBefore; n != 1 {
						t.Errorf("grpc chain: %d spans, want 1", n)
					}
					if n := hs.exported(t) - hBefore; n != 1 {
						t.Errorf("http chain: %d spans, want 1", n)
					}
				}
			}
		})
	}
}
