package tracing_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"sync"
	"testing"

	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/mikros-go/mikros/core"
	"github.com/mikros-go/mikros/features/tracing"
)

// traceparent is the trace context the server calls come with.
const (
	traceparent  = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
	parentTrace  = "0af7651916cd43dd8448eb211c80319c"
	parentSpanID = "b7ad6b7169203331"
)

// call runs one call through f as a kind would: StartCall, then the
// outcome, then EndCall with the context StartCall returned.
func call(ctx context.Context, f *tracing.Feature, c *core.Call, outcome func(*core.Call)) context.Context {
	ctx = f.StartCall(ctx, c)
	if outcome != nil {
		outcome(c)
	}
	f.EndCall(ctx, c)
	return ctx
}

// checkSpan compares a span with what is wanted of it.
func checkSpan(t *testing.T, got sdktrace.ReadOnlySpan, name string, kind trace.SpanKind, status sdktrace.Status, want map[string]string) {
	t.Helper()
	if got.Name() != name {
		t.Errorf("name %q, want %q", got.Name(), name)
	}
	if got.SpanKind() != kind {
		t.Errorf("kind %v, want %v", got.SpanKind(), kind)
	}
	if got.Status() != status {
		t.Errorf("status %+v, want %+v", got.Status(), status)
	}
	if d := diffAttrs(attrs(got.Attributes()), want); d != "" {
		t.Errorf("attributes:\n%s", d)
	}
	if n := len(got.Events()); n != 0 {
		t.Errorf("%d events, want none", n)
	}
	if got.InstrumentationScope().Name != tracing.ScopeName {
		t.Errorf("scope %q, want %q", got.InstrumentationScope().Name, tracing.ScopeName)
	}
}

var (
	unset  = sdktrace.Status{Code: codes.Unset}
	failed = func(msg string) sdktrace.Status { return sdktrace.Status{Code: codes.Error, Description: msg} }
)

// TestGRPCServerSpans checks the server span of gRPC calls: named after
// the method, a child of the caller's trace context, with the attributes
// and status otelgrpc gives them.
func TestGRPCServerSpans(t *testing.T) {
	f, exp := started(t, enabled)
	const method = "/greeter.v1.GreeterService/SayHello"
	base := map[string]string{
		"rpc.method":      "STRING:greeter.v1.GreeterService/SayHello",
		"rpc.system.name": "STRING:grpc",
		"server.address":  "STRING:127.0.0.1",
		"server.port":     "INT64:7070",
	}
	with := func(code string) map[string]string {
		m := map[string]string{"rpc.response.status_code": "STRING:" + code}
		for k, v := range base {
			m[k] = v
		}
		return m
	}
	for _, tc := range []struct {
		name    string
		streams bool
		code    int
		message string
		status  sdktrace.Status
		attrs   map[string]string
	}{
		{name: "ok", attrs: with("OK"), status: unset},
		{name: "not found", code: 5, message: "order 42 not found", attrs: with("NOT_FOUND"), status: unset},
		{name: "invalid argument", code: 3, message: "bad email", attrs: with("INVALID_ARGUMENT"), status: unset},
		{name: "canceled", code: 1, message: "context canceled", attrs: with("CANCELLED"), status: unset},
		{name: "unauthenticated", code: 16, message: "who are you", attrs: with("UNAUTHENTICATED"), status: unset},
		{name: "unknown", code: 2, message: "db: connection reset", attrs: with("UNKNOWN"), status: failed("db: connection reset")},
		{name: "deadline exceeded", code: 4, message: "too slow", attrs: with("DEADLINE_EXCEEDED"), status: failed("too slow")},
		{name: "unimplemented", code: 12, message: "no such method", attrs: with("UNIMPLEMENTED"), status: failed("no such method")},
		{name: "internal (a panic)", code: 13, message: "internal error", attrs: with("INTERNAL"), status: failed("internal error")},
		{name: "unavailable", code: 14, message: "try later", attrs: with("UNAVAILABLE"), status: failed("try later")},
		{name: "stream ok", streams: true, attrs: with("OK"), status: unset},
		{name: "stream data loss", streams: true, code: 15, message: "lost it", attrs: with("DATA_LOSS"), status: failed("lost it")},
		{name: "a code gRPC does not define", code: 42, message: "?", attrs: with("CODE(42)"), status: unset},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := len(exp.GetSpans())
			c := &core.Call{Protocol: "grpc", Method: method, ServerStreams: tc.streams,
				Local: tcpAddr(t, "127.0.0.1:7070"), Header: newCarrier("traceparent", traceparent)}
			var inCall trace.SpanContext
			ctx := call(context.Background(), f, c, func(c *core.Call) { c.Code, c.Message = tc.code, tc.message })
			inCall = trace.SpanContextFromContext(ctx)
			spans := flushed(t, f, exp, n)
			if len(spans) != 1 {
				t.Fatalf("%d spans, want 1", len(spans))
			}
			s := spans.Snapshots()[0]
			checkSpan(t, s, "greeter.v1.GreeterService/SayHello", trace.SpanKindServer, tc.status, tc.attrs)
			if p := s.Parent(); !p.IsRemote() || p.TraceID().String() != parentTrace || p.SpanID().String() != parentSpanID {
				t.Errorf("parent %v, want the caller's", p)
			}
			if !inCall.Equal(s.SpanContext()) {
				t.Errorf("the call's context carries %v, want the span %v", inCall, s.SpanContext())
			}
		})
	}
}

// TestGRPCServerWithoutLocalAddress checks a call whose local address is
// unknown, and one on another local address: the attributes of each
// call's own address, or none.
func TestGRPCServerLocalAddresses(t *testing.T) {
	f, exp := started(t, enabled)
	for _, tc := range []struct {
		local string // "": unknown
		want  map[string]string
	}{
		{local: "", want: map[string]string{}},
		{local: "127.0.0.1:7070", want: map[string]string{"server.address": "STRING:127.0.0.1", "server.port": "INT64:7070"}},
		{local: "[::1]:9000", want: map[string]string{"server.address": "STRING:::1", "server.port": "INT64:9000"}},
		{local: "127.0.0.1:7070", want: map[string]string{"server.address": "STRING:127.0.0.1", "server.port": "INT64:7070"}},
	} {
		n := len(exp.GetSpans())
		c := &core.Call{Protocol: "grpc", Method: "/a.B/C"}
		if tc.local != "" {
			c.Local = tcpAddr(t, tc.local)
		}
		call(context.Background(), f, c, nil)
		s := flushed(t, f, exp, n).Snapshots()[0]
		want := map[string]string{"rpc.method": "STRING:a.B/C", "rpc.system.name": "STRING:grpc", "rpc.response.status_code": "STRING:OK"}
		for k, v := range tc.want {
			want[k] = v
		}
		if d := diffAttrs(attrs(s.Attributes()), want); d != "" {
			t.Errorf("local %q:\n%s", tc.local, d)
		}
		if s.Parent().IsValid() {
			t.Errorf("local %q: parent %v, want none (no trace context came)", tc.local, s.Parent())
		}
	}
}

// TestGRPCClientSpans checks the client span of gRPC calls: every code
// but OK is an error.
func TestGRPCClientSpans(t *testing.T) {
	f, exp := started(t, enabled)
	for _, tc := range []struct {
		name    string
		target  string
		code    int
		message string
		status  sdktrace.Status
		server  map[string]string
	}{
		{name: "ok", target: "orders.internal:7070", status: unset,
			server: map[string]string{"server.address": "STRING:orders.internal", "server.port": "INT64:7070"}},
		{name: "not found", target: "orders.internal:7070", code: 5, message: "no order 42", status: failed("no order 42"),
			server: map[string]string{"server.address": "STRING:orders.internal", "server.port": "INT64:7070"}},
		{name: "canceled", target: "orders.internal:7070", code: 1, message: "context canceled", status: failed("context canceled"),
			server: map[string]string{"server.address": "STRING:orders.internal", "server.port": "INT64:7070"}},
		{name: "target without port", target: "orders", code: 14, message: "down", status: failed("down"),
			server: map[string]string{"server.address": "STRING:orders"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := len(exp.GetSpans())
			c := &core.Call{Protocol: "grpc", Client: true, Method: "/orders.v1.Orders/Get", Target: tc.target, Header: newCarrier()}
			call(context.Background(), f, c, func(c *core.Call) { c.Code, c.Message = tc.code, tc.message })
			s := flushed(t, f, exp, n).Snapshots()[0]
			want := map[string]string{
				"rpc.method":               "STRING:orders.v1.Orders/Get",
				"rpc.system.name":          "STRING:grpc",
				"rpc.response.status_code": "STRING:" + []string{"OK", "CANCELLED", "", "", "", "NOT_FOUND", "", "", "", "", "", "", "", "", "UNAVAILABLE"}[tc.code],
			}
			for k, v := range tc.server {
				want[k] = v
			}
			checkSpan(t, s, "orders.v1.Orders/Get", trace.SpanKindClient, tc.status, want)
			if got := c.Header.Get("traceparent"); got != "00-"+s.SpanContext().TraceID().String()+"-"+s.SpanContext().SpanID().String()+"-01" {
				t.Errorf("traceparent sent %q, want the client span's", got)
			}
		})
	}
}

// TestClientAndServerShareATrace sends a call from inside a span and
// serves it with the metadata the client call wrote: the client span is
// the child of that span, the server span the client span's child, all in
// one trace, and baggage goes along.
func TestClientAndServerShareATrace(t *testing.T) {
	for _, protocol := range []string{"grpc", "http"} {
		t.Run(protocol, func(t *testing.T) {
			f, exp := started(t, enabled)
			ctx, root := f.TracerProvider().Tracer("test").Start(context.Background(), "root")
			member, err := baggage.NewMember("tenant", "acme")
			if err != nil {
				t.Fatal(err)
			}
			bag, err := baggage.New(member)
			if err != nil {
				t.Fatal(err)
			}
			ctx = baggage.ContextWithBaggage(ctx, bag)

			header := newCarrier()
			client := &core.Call{Protocol: protocol, Client: true, Method: "/orders.v1.Orders/Get", Target: "127.0.0.1:7070", Header: header}
			if protocol == "http" {
				client.Method = "GET"
			}
			call(ctx, f, client, func(c *core.Call) { c.Code = map[string]int{"grpc": 0, "http": 200}[protocol] })

			server := &core.Call{Protocol: protocol, Method: "/orders.v1.Orders/Get", Header: header}
			if protocol == "http" {
				server.Method, server.Request = "GET", httptest.NewRequest("GET", "http://127.0.0.1:7070/orders/1", nil)
			}
			sctx := f.StartCall(context.Background(), server)
			serverBaggage := baggage.FromContext(sctx).Member("tenant").Value()
			f.EndCall(sctx, server)
			root.End()

			spans := flushed(t, f, exp, 0).Snapshots()
			if len(spans) != 3 {
				t.Fatalf("%d spans, want 3", len(spans))
			}
			byKind := map[trace.SpanKind]sdktrace.ReadOnlySpan{}
			for _, s := range spans[:2] {
				byKind[s.SpanKind()] = s
			}
			c, s := byKind[trace.SpanKindClient], byKind[trace.SpanKindServer]
			if c == nil || s == nil {
				t.Fatalf("spans %v: want a client and a server span", spans)
			}
			if c.SpanContext().TraceID() != root.SpanContext().TraceID() || c.Parent().SpanID() != root.SpanContext().SpanID() {
				t.Errorf("client span: parent %v, want the root span %v", c.Parent(), root.SpanContext())
			}
			if s.Parent().TraceID() != c.SpanContext().TraceID() || s.Parent().SpanID() != c.SpanContext().SpanID() || !s.Parent().IsRemote() {
				t.Errorf("server span: parent %v, want the client span %v, remote", s.Parent(), c.SpanContext())
			}
			if serverBaggage != "acme" {
				t.Errorf("the server's baggage has tenant %q, want acme", serverBaggage)
			}
		})
	}
}

// TestHTTPServerSpans checks the span of HTTP requests, each as the
// kind's wrapper describes it: the request before the handler (with the
// caller's trace context), then, once the handler returned, the request
// as the ServeMux routed it, the status, the body sizes.
func TestHTTPServerSpans(t *testing.T) {
	f, exp := started(t, enabled)
	common := func(extra map[string]string) map[string]string {
		m := map[string]string{
			"http.request.method":       "STRING:GET",
			"server.address":            "STRING:orders.example",
			"server.port":               "INT64:8080",
			"url.scheme":                "STRING:http",
			"url.path":                  "STRING:/orders/42",
			"user_agent.original":       "STRING:orders-client/1.0",
			"client.address":            "STRING:192.0.2.1",
			"network.peer.address":      "STRING:192.0.2.1",
			"network.peer.port":         "INT64:54321",
			"network.protocol.version":  "STRING:1.1",
			"http.route":                "STRING:/orders/{id}",
			"http.response.body.size":   "INT64:8",
			"http.response.status_code": "INT64:200",
		}
		for k, v := range extra {
			if v == "" {
				delete(m, k)
			} else {
				m[k] = v
			}
		}
		return m
	}
	for _, tc := range []struct {
		name, method, url, pattern string
		header                     map[string]string
		proto                      string
		code                       int
		in, out                    int64
		aborted                    bool
		span                       string
		status                     sdktrace.Status
		attrs                      map[string]string
	}{
		{name: "get", method: "GET", url: "http://orders.example:8080/orders/42", pattern: "GET /orders/{id}", code: 200, out: 8,
			span: "GET /orders/{id}", status: unset, attrs: common(nil)},
		{name: "default port", method: "GET", url: "http://orders.example/orders/42", pattern: "GET /orders/{id}", code: 200, out: 8,
			span: "GET /orders/{id}", status: unset, attrs: common(map[string]string{"server.port": ""})},
		{name: "https", method: "GET", url: "https://orders.example:8443/orders/42", pattern: "GET /orders/{id}", code: 200, out: 8,
			span: "GET /orders/{id}", status: unset, attrs: common(map[string]string{"url.scheme": "STRING:https", "server.port": "INT64:8443"})},
		{name: "https default port", method: "GET", url: "https://orders.example/orders/42", pattern: "GET /orders/{id}", code: 200, out: 8,
			span: "GET /orders/{id}", status: unset, attrs: common(map[string]string{"url.scheme": "STRING:https", "server.port": ""})},
		{name: "https on port 80", method: "GET", url: "https://orders.example:80/orders/42", pattern: "GET /orders/{id}", code: 200, out: 8,
			span: "GET /orders/{id}", status: unset, attrs: common(map[string]string{"url.scheme": "STRING:https", "server.port": "INT64:80"})},
		{name: "ipv6 host", method: "GET", url: "http://[::1]:8080/orders/42", pattern: "GET /orders/{id}", code: 200, out: 8,
			span: "GET /orders/{id}", status: unset, attrs: common(map[string]string{"server.address": "STRING:::1"})},
		{name: "post with body", method: "POST", url: "http://orders.example:8080/orders", pattern: "POST /orders", code: 201, in: 12, out: 12,
			span: "POST /orders", status: unset, attrs: common(map[string]string{
				"http.request.method": "STRING:POST", "url.path": "STRING:/orders", "http.route": "STRING:/orders",
				"http.request.body.size": "INT64:12", "http.response.body.size": "INT64:12", "http.response.status_code": "INT64:201"})},
		{name: "no content", method: "DELETE", url: "http://orders.example:8080/orders/42", pattern: "DELETE /orders/{id}", code: 204,
			span: "DELETE /orders/{id}", status: unset, attrs: common(map[string]string{
				"http.request.method": "STRING:DELETE", "http.response.body.size": "", "http.response.status_code": "INT64:204"})},
		{name: "head on a get route", method: "HEAD", url: "http://orders.example:8080/orders/42", pattern: "GET /orders/{id}", code: 200,
			span: "HEAD /orders/{id}", status: unset, attrs: common(map[string]string{
				"http.request.method": "STRING:HEAD", "http.response.body.size": ""})},
		{name: "forwarded", method: "GET", url: "http://orders.example:8080/orders/42", pattern: "GET /orders/{id}", code: 200, out: 8,
			header: map[string]string{"X-Forwarded-For": "203.0.113.9, 10.0.0.1"},
			span:   "GET /orders/{id}", status: unset, attrs: common(map[string]string{"client.address": "STRING:203.0.113.9"})},
		{name: "503", method: "GET", url: "http://orders.example:8080/orders/42", pattern: "GET /orders/{id}", code: 503, out: 8,
			span: "GET /orders/{id}", status: failed(""), attrs: common(map[string]string{"http.response.status_code": "INT64:503"})},
		{name: "404 from the handler", method: "GET", url: "http://orders.example:8080/orders/42", pattern: "GET /orders/{id}", code: 404, out: 8,
			span: "GET /orders/{id}", status: unset, attrs: common(map[string]string{"http.response.status_code": "INT64:404"})},
		{name: "nothing written", method: "GET", url: "http://orders.example:8080/orders/42", pattern: "GET /orders/{id}",
			span: "GET /orders/{id}", status: unset, attrs: common(map[string]string{"http.response.body.size": ""})},
		{name: "prefix pattern", method: "GET", url: "http://orders.example:8080/orders/42", pattern: "/orders/", code: 200, out: 8,
			span: "GET /orders/", status: unset, attrs: common(map[string]string{"http.route": "STRING:/orders/"})},
		{name: "pattern with a host", method: "GET", url: "http://orders.example:8080/orders/42", pattern: "GET orders.example/orders/{id}", code: 200, out: 8,
			span: "GET /orders/{id}", status: unset, attrs: common(nil)},
		{name: "not routed", method: "GET", url: "http://orders.example:8080/orders/42", code: 404, out: 19,
			span: "GET", status: unset, attrs: common(map[string]string{
				"http.route": "", "http.response.body.size": "INT64:19", "http.response.status_code": "INT64:404"})},
		{name: "unknown method", method: "PURGE", url: "http://orders.example:8080/orders/42", code: 405,
			span: "HTTP", status: unset, attrs: common(map[string]string{
				"http.request.method": "STRING:_OTHER", "http.request.method_original": "STRING:PURGE", "http.route": "",
				"http.response.body.size": "", "http.response.status_code": "INT64:405"})},
		{name: "lower-case method", method: "get", url: "http://orders.example:8080/orders/42", code: 405,
			span: "GET", status: unset, attrs: common(map[string]string{
				"http.request.method_original": "STRING:get", "http.route": "",
				"http.response.body.size": "", "http.response.status_code": "INT64:405"})},
		{name: "http/2", method: "GET", url: "http://orders.example:8080/orders/42", pattern: "GET /orders/{id}", proto: "HTTP/2.0", code: 200, out: 8,
			span: "GET /orders/{id}", status: unset, attrs: common(map[string]string{"network.protocol.version": "STRING:2.0"})},
		{name: "invalid status", method: "GET", url: "http://orders.example:8080/orders/42", pattern: "GET /orders/{id}", code: 700, out: 8,
			span: "GET /orders/{id}", status: failed("Invalid HTTP status code 700"), attrs: common(map[string]string{"http.response.status_code": "INT64:700"})},
		{name: "aborted", method: "GET", url: "http://orders.example:8080/orders/42", pattern: "GET /orders/{id}", code: 200, out: 7, aborted: true,
			span: "GET /orders/{id}", status: failed("the response was aborted"), attrs: common(map[string]string{"http.response.body.size": "INT64:7"})},
		{name: "aborted with a 500", method: "GET", url: "http://orders.example:8080/orders/42", pattern: "GET /orders/{id}", code: 500, aborted: true,
			span: "GET /orders/{id}", status: failed(""), attrs: common(map[string]string{"http.response.body.size": "", "http.response.status_code": "INT64:500"})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := len(exp.GetSpans())
			req := httptest.NewRequest(tc.method, tc.url, nil)
			req.RemoteAddr = "192.0.2.1:54321"
			req.Header.Set("User-Agent", "orders-client/1.0")
			req.Header.Set("Traceparent", traceparent)
			for k, v := range tc.header {
				req.Header.Set(k, v)
			}
			if tc.proto != "" {
				req.Proto = tc.proto
			}
			c := &core.Call{Protocol: "http", Method: req.Method, Request: req, Header: propagation.HeaderCarrier(req.Header)}
			call(context.Background(), f, c, func(c *core.Call) {
				c.Request.Pattern = tc.pattern // as the ServeMux sets it
				c.Code, c.RequestBytes, c.ResponseBytes, c.Aborted = tc.code, tc.in, tc.out, tc.aborted
			})
			spans := flushed(t, f, exp, n).Snapshots()
			if len(spans) != 1 {
				t.Fatalf("%d spans, want 1", len(spans))
			}
			checkSpan(t, spans[0], tc.span, trace.SpanKindServer, tc.status, tc.attrs)
			if p := spans[0].Parent(); !p.IsRemote() || p.TraceID().String() != parentTrace {
				t.Errorf("parent %v, want the request's", p)
			}
		})
	}
}

// TestHTTPClientSpans checks the span of a request the service sends.
func TestHTTPClientSpans(t *testing.T) {
	f, exp := started(t, enabled)
	for _, tc := range []struct {
		name, method, target string
		code                 int
		message              string
		status               sdktrace.Status
		attrs                map[string]string
	}{
		{name: "ok", method: "GET", target: "payments.internal:8080", code: 200, status: unset, attrs: map[string]string{
			"http.request.method": "STRING:GET", "server.address": "STRING:payments.internal", "server.port": "INT64:8080",
			"http.response.status_code": "INT64:200"}},
		{name: "client error", method: "POST", target: "payments.internal", code: 422, status: failed(""), attrs: map[string]string{
			"http.request.method": "STRING:POST", "server.address": "STRING:payments.internal", "http.response.status_code": "INT64:422"}},
		{name: "no response", method: "GET", target: "payments.internal:8080", message: "connection refused", status: failed("connection refused"), attrs: map[string]string{
			"http.request.method": "STRING:GET", "server.address": "STRING:payments.internal", "server.port": "INT64:8080"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := len(exp.GetSpans())
			header := newCarrier()
			c := &core.Call{Protocol: "http", Client: true, Method: tc.method, Target: tc.target, Header: header}
			call(context.Background(), f, c, func(c *core.Call) { c.Code, c.Message = tc.code, tc.message })
			s := flushed(t, f, exp, n).Snapshots()[0]
			checkSpan(t, s, tc.method, trace.SpanKindClient, tc.status, tc.attrs)
			if header.Get("traceparent") == "" {
				t.Error("no traceparent sent")
			}
		})
	}
}

// TestOtherProtocol checks the span of a call of a protocol the feature
// has no conventions for: named after its method, and nothing more.
func TestOtherProtocol(t *testing.T) {
	f, exp := started(t, enabled)
	call(context.Background(), f, &core.Call{Protocol: "amqp", Method: "orders.created", Header: newCarrier("traceparent", traceparent)}, nil)
	call(context.Background(), f, &core.Call{Protocol: "amqp", Client: true, Header: newCarrier()}, nil)
	spans := flushed(t, f, exp, 0).Snapshots()
	if len(spans) != 2 {
		t.Fatalf("%d spans, want 2", len(spans))
	}
	checkSpan(t, spans[0], "orders.created", trace.SpanKindServer, unset, map[string]string{})
	if spans[0].Parent().TraceID().String() != parentTrace {
		t.Errorf("parent %v, want the caller's", spans[0].Parent())
	}
	checkSpan(t, spans[1], "amqp", trace.SpanKindClient, unset, map[string]string{})
}

// TestNotSampled checks that with sampler = "always_off" calls still
// propagate a trace context (not sampled), and that nothing is exported.
func TestNotSampled(t *testing.T) {
	f, exp := started(t, enabled+`sampler = "always_off"`+"\n")
	header := newCarrier()
	ctx := call(context.Background(), f, &core.Call{Protocol: "grpc", Client: true, Method: "/a.B/C", Target: "b:7070", Header: header}, nil)
	if sc := trace.SpanContextFromContext(ctx); !sc.IsValid() || sc.IsSampled() {
		t.Errorf("span context %v, want a valid one, not sampled", sc)
	}
	if tp := header.Get("traceparent"); len(tp) != 55 || tp[53:] != "00" {
		t.Errorf("traceparent %q, want one with the flags 00", tp)
	}
	// A caller that sampled its trace decides for the server.
	call(context.Background(), f, &core.Call{Protocol: "grpc", Method: "/a.B/C", Header: newCarrier("traceparent", traceparent)}, nil)
	spans := flushed(t, f, exp, 0)
	if len(spans) != 1 || spans[0].Parent.TraceID().String() != parentTrace {
		t.Errorf("spans %v, want the one span of the sampled caller", spans)
	}
}

// TestCallsBeforeStart checks that a feature that did not start leaves
// calls alone.
func TestCallsBeforeStart(t *testing.T) {
	f := tracing.New()
	ctx, span := noop.NewTracerProvider().Tracer("t").Start(context.Background(), "x")
	defer span.End()
	c := &core.Call{Protocol: "grpc", Method: "/a.B/C", Header: newCarrier()}
	if got := f.StartCall(ctx, c); got != ctx {
		t.Error("StartCall changed the context")
	}
	f.EndCall(ctx, c)
	if len(c.Header.Keys()) != 0 {
		t.Errorf("the call's metadata got %v", c.Header.Keys())
	}
}

// TestConcurrentCalls makes calls of many methods from several goroutines
// at once, as the kinds do, for the race detector to watch the caches.
func TestConcurrentCalls(t *testing.T) {
	f, exp := started(t, enabled+"max_queue_size = 10000\n") // room for every span: none is dropped
	const goroutines, calls = 8, 100
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range calls {
				method := fmt.Sprintf("/s.S/M%d", i%20)
				local := tcpAddr(t, fmt.Sprintf("127.0.0.1:%d", 7000+g%3))
				code := i % 17
				call(context.Background(), f, &core.Call{Protocol: "grpc", Method: method, Local: local}, func(c *core.Call) { c.Code = code })
				call(context.Background(), f, &core.Call{Protocol: "grpc", Client: true, Method: method, Target: "b:7070"}, nil)
				req := httptest.NewRequest("GET", "http://a/x", nil)
				call(context.Background(), f, &core.Call{Protocol: "http", Method: "GET", Request: req}, func(c *core.Call) {
					c.Request.Pattern = fmt.Sprintf("GET /r%d", i%5)
				})
			}
		})
	}
	wg.Wait()
	if n := len(flushed(t, f, exp, 0)); n != goroutines*calls*3 {
		t.Errorf("%d spans, want %d", n, goroutines*calls*3)
	}
}
