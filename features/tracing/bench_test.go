package tracing_test

import (
	"context"
	"net"
	"net/http/httptest"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/mikros-go/mikros/core"
	"github.com/mikros-go/mikros/features/tracing"
)

// discard is an exporter that drops every batch, so that benchmarks
// measure tracing without the network.
type discard struct{}

func (discard) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (discard) Shutdown(context.Context) error                             { return nil }

// oneHeader is a carrier holding one trace context, read without
// allocating, as the kinds' carriers read their metadata.
type oneHeader struct{ traceparent string }

func (h oneHeader) Get(key string) string {
	if key == "traceparent" {
		return h.traceparent
	}
	return ""
}
func (oneHeader) Set(string, string) {}
func (oneHeader) Keys() []string     { return []string{"traceparent"} }

// benchFeature starts the feature with the default settings (sampler
// always_on, batches of 512) exporting to discard.
func benchFeature(b *testing.B) *tracing.Feature {
	b.Helper()
	f := tracing.New(tracing.WithExporter(discard{}))
	if err := f.Configure(setup(parse(b, enabled, nil))); err != nil {
		b.Fatal(err)
	}
	if err := f.Start(b.Context()); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = f.Stop(context.Background()) })
	return f
}

// BenchmarkSDK measures what the SDK itself costs, with the same
// provider: a server span with no attributes, and one given at its end the
// attributes of a gRPC server span (5) or of an HTTP server span (13). It
// is the floor under BenchmarkCall.
func BenchmarkSDK(b *testing.B) {
	local := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 7070}
	grpcAttrs := []attribute.KeyValue{
		attribute.String("rpc.method", "greeter.v1.GreeterService/SayHello"),
		attribute.String("rpc.system.name", "grpc"),
		attribute.String("server.address", local.IP.String()),
		attribute.Int("server.port", local.Port),
		attribute.String("rpc.response.status_code", "OK"),
	}
	httpAttrs := []attribute.KeyValue{
		attribute.String("server.address", "orders.example"),
		attribute.String("http.request.method", "GET"),
		attribute.String("url.scheme", "http"),
		attribute.Int("server.port", 8080),
		attribute.String("user_agent.original", "orders-client/1.0"),
		attribute.String("client.address", "192.0.2.1"),
		attribute.String("url.path", "/orders/42"),
		attribute.String("http.route", "/orders/{id}"),
		attribute.String("network.peer.address", "192.0.2.1"),
		attribute.Int("network.peer.port", 1234),
		attribute.String("network.protocol.version", "1.1"),
		attribute.Int("http.response.body.size", 8),
		attribute.Int("http.response.status_code", 200),
	}
	server := []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindServer)}
	for _, bc := range []struct {
		name  string
		attrs []attribute.KeyValue
	}{{"span", nil}, {"span-5-attributes", grpcAttrs}, {"span-13-attributes", httpAttrs}} {
		b.Run(bc.name, func(b *testing.B) {
			tracer := benchFeature(b).TracerProvider().Tracer("bench")
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				_, span := tracer.Start(ctx, "greeter.v1.GreeterService/SayHello", server...)
				span.SetAttributes(bc.attrs...)
				span.End()
			}
		})
	}
}

// BenchmarkCall measures StartCall and EndCall of one call, as a kind
// makes them, with every span recorded and handed to the batch processor.
// "traced" calls come with a trace context to continue; the others start
// a trace.
func BenchmarkCall(b *testing.B) {
	local := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 7070}
	for _, bc := range []struct {
		name string
		call func() *core.Call
		end  func(*core.Call)
	}{
		{name: "grpc-server", call: func() *core.Call {
			return &core.Call{Protocol: "grpc", Method: "/greeter.v1.GreeterService/SayHello", Local: local, Header: oneHeader{}}
		}},
		{name: "grpc-server-traced", call: func() *core.Call {
			return &core.Call{Protocol: "grpc", Method: "/greeter.v1.GreeterService/SayHello", Local: local, Header: oneHeader{traceparent}}
		}},
		{name: "grpc-client", call: func() *core.Call {
			return &core.Call{Protocol: "grpc", Client: true, Method: "/greeter.v1.GreeterService/SayHello", Target: "greeter:7070", Header: oneHeader{}}
		}},
		{name: "http-server", call: func() *core.Call {
			req := httptest.NewRequest("GET", "http://orders.example:8080/orders/42", nil)
			req.Header.Set("User-Agent", "orders-client/1.0")
			return &core.Call{Protocol: "http", Method: "GET", Request: req, Header: oneHeader{}}
		}, end: func(c *core.Call) { c.Request.Pattern, c.Code, c.ResponseBytes = "GET /orders/{id}", 200, 8 }},
		{name: "http-server-traced", call: func() *core.Call {
			req := httptest.NewRequest("GET", "http://orders.example:8080/orders/42", nil)
			req.Header.Set("User-Agent", "orders-client/1.0")
			return &core.Call{Protocol: "http", Method: "GET", Request: req, Header: oneHeader{traceparent}}
		}, end: func(c *core.Call) { c.Request.Pattern, c.Code, c.ResponseBytes = "GET /orders/{id}", 200, 8 }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			f := benchFeature(b)
			c := bc.call()
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				cctx := f.StartCall(ctx, c)
				if bc.end != nil {
					bc.end(c)
				}
				f.EndCall(cctx, c)
				if c.Request != nil {
					c.Request.Pattern = ""
				}
			}
		})
	}
}
