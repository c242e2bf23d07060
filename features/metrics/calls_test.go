package metrics

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/mikros-go/mikros/core"
	"github.com/mikros-go/mikros/core/definition"
)

func TestGRPCType(t *testing.T) {
	tests := []struct {
		client, server bool
		want           string
	}{
		{false, false, "unary"},
		{true, false, "client_stream"},
		{false, true, "server_stream"},
		{true, true, "bidi_stream"},
	}
	for _, tt := range tests {
		if got := grpcType(tt.client, tt.server); got != tt.want {
			t.Errorf("grpcType(%v, %v) = %q, want %q", tt.client, tt.server, got, tt.want)
		}
	}
}

func TestCodeName(t *testing.T) {
	tests := []struct {
		code int
		want string
	}{
		{0, "OK"}, {1, "Canceled"}, {2, "Unknown"}, {3, "InvalidArgument"},
		{4, "DeadlineExceeded"}, {5, "NotFound"}, {6, "AlreadyExists"},
		{7, "PermissionDenied"}, {8, "ResourceExhausted"}, {9, "FailedPrecondition"},
		{10, "Aborted"}, {11, "OutOfRange"}, {12, "Unimplemented"}, {13, "Internal"},
		{14, "Unavailable"}, {15, "DataLoss"}, {16, "Unauthenticated"},
		{17, "Code(17)"}, {-1, "Code(-1)"},
	}
	for _, tt := range tests {
		if got := codeName(tt.code); got != tt.want {
			t.Errorf("codeName(%d) = %q, want %q", tt.code, got, tt.want)
		}
	}
}

func TestSplitMethod(t *testing.T) {
	tests := []struct{ full, service, method string }{
		{"/greeter.v1.GreeterService/SayHello", "greeter.v1.GreeterService", "SayHello"},
		{"greeter.v1.GreeterService/SayHello", "greeter.v1.GreeterService", "SayHello"},
		{"/Service/Method", "Service", "Method"},
		{"/a/b/c", "a/b", "c"},
		{"/nomethod", "unknown", "/nomethod"},
		{"/service/", "unknown", "/service/"},
		{"//method", "unknown", "//method"},
		{"", "unknown", ""},
	}
	for _, tt := range tests {
		service, method := splitMethod(tt.full)
		if service != tt.service || method != tt.method {
			t.Errorf("splitMethod(%q) = %q, %q; want %q, %q", tt.full, service, method, tt.service, tt.method)
		}
	}
}

func TestRouteLabel(t *testing.T) {
	tests := []struct{ pattern, want string }{
		{"", "unmatched"},
		{"/", "/"},
		{"/items/{id}", "/items/{id}"},
		{"GET /items/{id}", "/items/{id}"},
		{"GET  /items/{id...}", "/items/{id...}"},
		{"POST\t/items/", "/items/"},
		{"example.com/items/", "/items/"},
		{"GET example.com/items/{id}", "/items/{id}"},
		{"GET {host}.example.com/", "/"},
		{"example.com", "unmatched"},
	}
	for _, tt := range tests {
		if got := routeLabel(tt.pattern); got != tt.want {
			t.Errorf("routeLabel(%q) = %q, want %q", tt.pattern, got, tt.want)
		}
	}
}

func TestMethodLabel(t *testing.T) {
	tests := []struct{ method, want string }{
		{"GET", "GET"}, {"HEAD", "HEAD"}, {"POST", "POST"}, {"PUT", "PUT"},
		{"PATCH", "PATCH"}, {"DELETE", "DELETE"}, {"CONNECT", "CONNECT"},
		{"OPTIONS", "OPTIONS"}, {"TRACE", "TRACE"},
		{"get", "_OTHER"}, {"BREW", "_OTHER"}, {"", "_OTHER"}, {"PROPFIND", "_OTHER"},
	}
	for _, tt := range tests {
		if got := methodLabel(tt.method); got != tt.want {
			t.Errorf("methodLabel(%q) = %q, want %q", tt.method, got, tt.want)
		}
	}
}

// started returns a feature that started without core, on the default
// settings, its handler mounted on a mux that nothing serves.
func started(tb testing.TB) *Feature {
	tb.Helper()
	def, err := definition.Parse("service.toml", []byte("name = \"bench\"\ntypes = [\"grpc\"]\nversion = \"v1.0.0\"\nproduct = \"demo\"\n[admin]\nport = 9090\n"),
		definition.Options{Kinds: []string{"grpc"}, LookupEnv: func(string) (string, bool) { return "", false }})
	if err != nil {
		tb.Fatal(err)
	}
	f := New()
	if err := f.Configure(&core.Setup{Definition: def, Admin: http.NewServeMux()}); err != nil {
		tb.Fatal(err)
	}
	if err := f.Start(context.Background()); err != nil {
		tb.Fatal(err)
	}
	return f
}

// TestConcurrentCalls records calls from many goroutines, on methods,
// routes and codes first seen at once, and expects every call counted.
func TestConcurrentCalls(t *testing.T) {
	f := started(t)
	const goroutines, calls = 8, 200
	methods := []string{"/s.S/A", "/s.S/B", "/s.S/C"}
	patterns := []string{"GET /a", "GET /b/{id}", ""}
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			ctx := context.Background()
			for i := range calls {
				c := &core.Call{Protocol: "grpc", Method: methods[i%len(methods)], Start: time.Now(), Client: g%2 == 1}
				ctx = f.StartCall(ctx, c)
				c.Code = i % 17
				f.EndCall(ctx, c)

				r := &http.Request{Method: http.MethodGet, Pattern: patterns[i%len(patterns)]}
				h := &core.Call{Protocol: "http", Method: r.Method, Request: r, Start: time.Now()}
				ctx = f.StartCall(ctx, h)
				h.Code = 200 + (i/3)%3
				f.EndCall(ctx, h)
			}
		})
	}
	wg.Wait()
	r := f.run.Load()
	if got := testutil.CollectAndCount(r.grpcServer.handled) + testutil.CollectAndCount(r.grpcClient.handled); got != 2*len(methods)*17 {
		t.Errorf("%d gRPC series, want %d", got, 2*len(methods)*17)
	}
	if got := testutil.CollectAndCount(r.httpServer.requests); got != 3*3 {
		t.Errorf("%d HTTP series, want 9", got)
	}
	var sum float64
	for _, m := range methods {
		for code := range 17 {
			sum += testutil.ToFloat64(r.grpcServer.handled.WithLabelValues("unary", "s.S", m[len("/s.S/"):], codeNames[code]))
			sum += testutil.ToFloat64(r.grpcClient.handled.WithLabelValues("unary", "s.S", m[len("/s.S/"):], codeNames[code]))
		}
	}
	if sum != goroutines*calls {
		t.Errorf("%v gRPC calls counted, want %d", sum, goroutines*calls)
	}
	sum = 0
	for _, route := range []string{"/a", "/b/{id}", "unmatched"} {
		for code := 200; code < 203; code++ {
			sum += testutil.ToFloat64(r.httpServer.requests.WithLabelValues("GET", route, strconv.Itoa(code)))
		}
	}
	if sum != goroutines*calls {
		t.Errorf("%v HTTP requests counted, want %d", sum, goroutines*calls)
	}
}

// TestBeforeStart: calls, startup phases and Provide before Start do
// nothing.
func TestBeforeStart(t *testing.T) {
	f := New()
	c := &core.Call{Protocol: "grpc", Method: "/s.S/A"}
	f.EndCall(f.StartCall(context.Background(), c), c)
	f.RecordStartup(context.Background(), []core.Phase{{Name: "configure"}})
	if got := f.Provide(); got != nil {
		t.Errorf("Provide before Start = %v, want nil", got)
	}
	if err := f.Start(context.Background()); err == nil {
		t.Error("Start without Configure succeeded")
	}
}

// TestNoAllocs: a call on a method, route and code seen before allocates
// nothing.
func TestNoAllocs(t *testing.T) {
	f := started(t)
	ctx := context.Background()
	grpc := &core.Call{Protocol: "grpc", Method: "/greeter.v1.GreeterService/SayHello", Code: 5}
	r := &http.Request{Method: http.MethodGet, Pattern: "GET /items/{id}"}
	web := &core.Call{Protocol: "http", Method: r.Method, Request: r, Code: 200}
	tests := []struct {
		name string
		call *core.Call
	}{{"grpc", grpc}, {"http", web}}
	for _, tt := range tests {
		f.EndCall(ctx, tt.call) // first sight: resolves the series
		allocs := testing.AllocsPerRun(100, func() {
			tt.call.Start = time.Now()
			f.EndCall(f.StartCall(ctx, tt.call), tt.call)
		})
		if allocs != 0 {
			t.Errorf("%s: %v allocations per call, want 0", tt.name, allocs)
		}
	}
}

// BenchmarkCall measures what the feature adds to one call: StartCall and
// EndCall, on a method or route and a code seen before. The clock read
// that sets the call's Start is the kind's, and is left out.
func BenchmarkCall(b *testing.B) {
	f := started(b)
	r := &http.Request{Method: http.MethodGet, Pattern: "GET /items/{id}"}
	calls := []struct {
		name string
		call core.Call
	}{
		{"grpc", core.Call{Protocol: "grpc", Method: "/greeter.v1.GreeterService/SayHello"}},
		{"grpc-client", core.Call{Protocol: "grpc", Client: true, Method: "/billing.v1.BillingService/Charge", Code: 14}},
		{"http", core.Call{Protocol: "http", Method: r.Method, Request: r, Code: 200}},
	}
	for _, bc := range calls {
		b.Run(bc.name, func(b *testing.B) {
			ctx := context.Background()
			c := bc.call
			c.Start = time.Now()
			b.ReportAllocs()
			for b.Loop() {
				f.EndCall(f.StartCall(ctx, &c), &c)
			}
		})
		b.Run(bc.name+"-parallel", func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				ctx := context.Background()
				c := bc.call
				c.Start = time.Now()
				for pb.Next() {
					f.EndCall(f.StartCall(ctx, &c), &c)
				}
			})
		})
	}
}

// TestMethodsBounded serves calls on more distinct gRPC methods than the
// bound, as callers can make a server with an unknown-service handler
// see: the series stay bounded, and every call is still counted.
func TestMethodsBounded(t *testing.T) {
	f := started(t)
	const calls = maxMethods + 100
	for i := range calls {
		f.EndCall(context.Background(), &core.Call{Protocol: "grpc", Method: "/s.S/M" + strconv.Itoa(i)})
	}
	r := f.run.Load()
	if n := testutil.CollectAndCount(r.grpcServer.handled); n > maxMethods+1 {
		t.Errorf("%d series of grpc_server_handled_total after calls on %d methods, want at most %d", n, calls, maxMethods+1)
	}
	if got := testutil.ToFloat64(r.grpcServer.handled.WithLabelValues(typeUnary, unknownLabel, unknownLabel, "OK")); got != 100 {
		t.Errorf("calls past the bound counted %v under the unknown method, want 100", got)
	}
}
