package http

import (
	"io"
	"log/slog"
	nethttp "net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mikros-go/mikros/core"
	merrors "github.com/mikros-go/mikros/features/errors"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// propagator is the propagator the tests use, as the tracing feature
// installs it: W3C trace context and baggage.
var propagator = propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})

// recorder returns a tracer provider that samples every span and records
// the spans that end.
func recorder() (*sdktrace.TracerProvider, *tracetest.SpanRecorder) {
	rec := tracetest.NewSpanRecorder()
	return sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample()), sdktrace.WithSpanProcessor(rec)), rec
}

// configured returns a kind configured with the defaults, serving h as
// Start would, without binding a port: untraced, or traced with tp.
func configured(t testing.TB, h nethttp.Handler, tp *sdktrace.TracerProvider) nethttp.Handler {
	t.Helper()
	k := New()
	if err := k.Configure(&core.Setup{Service: handlerService{h}, Logger: slog.New(slog.DiscardHandler)}); err != nil {
		t.Fatal(err)
	}
	k.next = h
	if tp == nil {
		return k.handler
	}
	k.tracing = newTracing(tp, propagator)
	return nethttp.HandlerFunc(k.serveTraced)
}

// spanAttrs returns a span's attributes by key, as "TYPE:value".
func spanAttrs(s sdktrace.ReadOnlySpan) map[attribute.Key]string {
	m := map[attribute.Key]string{}
	for _, kv := range s.Attributes() {
		m[kv.Key] = kv.Value.Type().String() + ":" + kv.Value.String()
	}
	return m
}

// compareSpans fails the test when got and want differ in name (unless
// ignoreName), kind, status, attributes (but for those ignored), events,
// or parent.
func compareSpans(t *testing.T, got, want sdktrace.ReadOnlySpan, ignoreName bool, ignore ...attribute.Key) {
	t.Helper()
	if !ignoreName && got.Name() != want.Name() {
		t.Errorf("name %q, want %q", got.Name(), want.Name())
	}
	if got.SpanKind() != want.SpanKind() {
		t.Errorf("kind %v, want %v", got.SpanKind(), want.SpanKind())
	}
	if got.Status() != want.Status() {
		t.Errorf("status %+v, want %+v", got.Status(), want.Status())
	}
	ga, wa := spanAttrs(got), spanAttrs(want)
	for _, k := range ignore {
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
	if gp, wp := got.Parent(), want.Parent(); gp.TraceID() != wp.TraceID() || gp.SpanID() != wp.SpanID() || gp.IsRemote() != wp.IsRemote() {
		t.Errorf("parent %v, want %v", got.Parent(), want.Parent())
	}
}

// traceparent is the trace context the requests come with.
const traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"

// TestSpansMatchOtelhttp serves the same requests through the kind traced
// and through references made of the kind untraced and otelhttp, each
// with its own span recorder, and compares the spans.
//
// The requests are the same *http.Request values (made alike for each
// handler), so every attribute is compared, network.peer.port included.
// There are two references, since otelhttp cannot both see the route and
// see the kind's answer to a panic:
//
//   - inner: otelhttp inside the ServeMux, around each route's handler, as
//     otelhttp must be placed to know the route at the span's start. Its
//     spans must equal the kind's in every way. A handler's panic goes
//     through it (the kind's recovery is outside), so it records no
//     status: the panic case is not compared with it, and requests the
//     mux does not route get no span from it.
//   - outer: otelhttp around the kind's untraced handler. It sees every
//     answer, the panic's 500 included, but not the route (the ServeMux
//     routes the kind's copy of the request, not otelhttp's): its span
//     name is the method alone and it has no http.route. Its spans must
//     equal the kind's but for those two, which the test checks are the
//     only differences for a routed request.
//
// Not compared: the instrumentation scope (the kind's tracer is named
// after its module), ids and times.
func TestSpansMatchOtelhttp(t *testing.T) {
	tp, rec := recorder()
	innerTP, innerRec := recorder()
	outerTP, outerRec := recorder()

	mux := func(wrap func(nethttp.Handler) nethttp.Handler) *nethttp.ServeMux {
		m := nethttp.NewServeMux()
		m.Handle("GET /orders/{id}", wrap(nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
			_, _ = io.WriteString(w, "order "+r.PathValue("id"))
		})))
		m.Handle("POST /orders", wrap(nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
			b, _ := io.ReadAll(r.Body)
			w.WriteHeader(nethttp.StatusCreated)
			_, _ = w.Write(b)
		})))
		m.Handle("DELETE /orders/{id}", wrap(nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
			w.WriteHeader(nethttp.StatusNoContent)
		})))
		m.Handle("GET /fail", wrap(HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) error {
			return merrors.New(merrors.Unavailable, "try later")
		})))
		m.Handle("GET /missing", wrap(HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) error {
			return merrors.New(merrors.NotFound, "no such thing")
		})))
		m.Handle("GET /silent", wrap(nethttp.HandlerFunc(func(nethttp.ResponseWriter, *nethttp.Request) {})))
		m.Handle("GET /panic", wrap(nethttp.HandlerFunc(func(nethttp.ResponseWriter, *nethttp.Request) {
			panic("boom")
		})))
		m.Handle("/any/", wrap(nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
			_, _ = io.WriteString(w, "any")
		})))
		return m
	}
	none := func(h nethttp.Handler) nethttp.Handler { return h }
	mikros := configured(t, mux(none), tp)
	inner := configured(t, mux(func(h nethttp.Handler) nethttp.Handler {
		return otelhttp.NewHandler(h, "", otelhttp.WithTracerProvider(innerTP), otelhttp.WithPropagators(propagator))
	}), nil)
	outer := otelhttp.NewHandler(configured(t, mux(none), nil), "", otelhttp.WithTracerProvider(outerTP), otelhttp.WithPropagators(propagator))

	for _, tc := range []struct {
		name, method, url, body string
		header                  map[string]string
		routed                  bool // the mux routes it: the outer reference does not know the route
		panics                  bool // its handler panics: the inner reference records no status
	}{
		{name: "get", method: "GET", url: "http://orders.example:8080/orders/42", routed: true},
		{name: "default port", method: "GET", url: "http://orders.example/orders/42", routed: true},
		{name: "https", method: "GET", url: "https://orders.example:8443/orders/42", routed: true},
		{name: "https default port", method: "GET", url: "https://orders.example/orders/42", routed: true},
		{name: "ipv6 host", method: "GET", url: "http://[::1]:8080/orders/42", routed: true},
		{name: "post with body", method: "POST", url: "http://orders.example:8080/orders", body: "hello, world", routed: true},
		{name: "no content", method: "DELETE", url: "http://orders.example:8080/orders/7", routed: true},
		{name: "head on get route", method: "HEAD", url: "http://orders.example:8080/orders/42", routed: true},
		{name: "forwarded", method: "GET", url: "http://orders.example:8080/orders/42", routed: true,
			header: map[string]string{"X-Forwarded-For": "203.0.113.9, 10.0.0.1"}},
		{name: "503 problem", method: "GET", url: "http://orders.example:8080/fail", routed: true},
		{name: "404 problem", method: "GET", url: "http://orders.example:8080/missing", routed: true},
		{name: "nothing written", method: "GET", url: "http://orders.example:8080/silent", routed: true},
		{name: "prefix pattern", method: "GET", url: "http://orders.example:8080/any/thing", routed: true},
		{name: "not routed", method: "GET", url: "http://orders.example:8080/nowhere"},
		{name: "method not allowed", method: "PUT", url: "http://orders.example:8080/fail"},
		{name: "unknown method", method: "PURGE", url: "http://orders.example:8080/orders/42"},
		{name: "panic", method: "GET", url: "http://orders.example:8080/panic", routed: true, panics: true},
		{name: "body too large", method: "POST", url: "http://orders.example:8080/orders", body: strings.Repeat("x", DefaultMaxBodyBytes+1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			serve := func(h nethttp.Handler) *httptest.ResponseRecorder {
				var body io.Reader
				if tc.body != "" {
					body = strings.NewReader(tc.body)
				}
				req := httptest.NewRequest(tc.method, tc.url, body)
				if body == nil {
					req.Body = nethttp.NoBody // as the server gives a request without a body
				}
				req.RemoteAddr = "192.0.2.1:54321"
				req.Header.Set("User-Agent", "orders-client/1.0")
				req.Header.Set("Traceparent", traceparent)
				for k, v := range tc.header {
					req.Header.Set(k, v)
				}
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req)
				return w
			}
			n, ni, no := len(rec.Ended()), len(innerRec.Ended()), len(outerRec.Ended())
			got := serve(mikros)
			wantOuter := serve(outer)
			if got.Code != wantOuter.Code {
				t.Fatalf("answered %d, the reference %d", got.Code, wantOuter.Code)
			}
			spans := rec.Ended()[n:]
			outerSpans := outerRec.Ended()[no:]
			if len(spans) != 1 || len(outerSpans) != 1 {
				t.Fatalf("%d spans and %d from the reference, want 1 each", len(spans), len(outerSpans))
			}
			span := spans[0]
			if !span.Parent().IsRemote() || span.Parent().TraceID().String() != "0af7651916cd43dd8448eb211c80319c" {
				t.Errorf("parent %v, want the request's", span.Parent())
			}
			if tc.routed {
				compareSpans(t, span, outerSpans[0], true, "http.route")
				if span.Name() == outerSpans[0].Name() || spanAttrs(span)["http.route"] == "" {
					t.Errorf("name %q, route %q: the kind knows the route, the outer reference does not", span.Name(), spanAttrs(span)["http.route"])
				}
				if tc.panics {
					return
				}
				if serve(inner).Code != got.Code {
					t.Fatal("the inner reference answered differently")
				}
				innerSpans := innerRec.Ended()[ni:]
				if len(innerSpans) != 1 {
					t.Fatalf("%d spans from the inner reference, want 1", len(innerSpans))
				}
				compareSpans(t, span, innerSpans[0], false)
			} else {
				compareSpans(t, span, outerSpans[0], false)
			}
		})
	}
}

// TestAbortedResponseSpan checks the span of a request whose handler
// panicked after its response began: the connection is cut (the panic
// goes on as http.ErrAbortHandler), and the span ends with an Error
// status.
func TestAbortedResponseSpan(t *testing.T) {
	tp, rec := recorder()
	h := configured(t, nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		_, _ = io.WriteString(w, "partial")
		panic("boom")
	}), tp)
	req := httptest.NewRequest("GET", "/stream", nil)
	func() {
		defer func() {
			if v := recover(); v != nethttp.ErrAbortHandler {
				t.Errorf("panic %v, want http.ErrAbortHandler", v)
			}
		}()
		h.ServeHTTP(httptest.NewRecorder(), req)
	}()
	spans := rec.Ended()
	if len(spans) != 1 {
		t.Fatalf("%d spans, want 1", len(spans))
	}
	if st := spans[0].Status(); st.Code.String() != "Error" {
		t.Errorf("status %+v, want Error", st)
	}
	if got := spanAttrs(spans[0])["http.response.status_code"]; got != "INT64:200" {
		t.Errorf("http.response.status_code = %q", got)
	}
}

// TestTracingOnlyWithAProvider checks that the kind attaches its tracing
// only when a tracer provider other than OpenTelemetry's default (and
// other than the no-op one) is installed when it starts. It sets the
// global provider: no test runs in parallel with it.
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
				prev := otel.GetTracerProvider()
				otel.SetTracerProvider(tc.tp)
				t.Cleanup(func() { otel.SetTracerProvider(prev) })
			}
			k := started(t, nethttp.NotFoundHandler())
			if got := k.tracing != nil; got != tc.traced {
				t.Errorf("traced = %v, want %v", got, tc.traced)
			}
		})
	}
}

// TestSplitHostPort covers the forms of Host and RemoteAddr.
func TestSplitHostPort(t *testing.T) {
	for _, tc := range []struct {
		in   string
		host string
		port int
	}{
		{"example.com", "example.com", -1},
		{"example.com:8080", "example.com", 8080},
		{"example.com:http", "example.com", -1},
		{"example.com:70000", "example.com", -1},
		{"[::1]", "::1", -1},
		{"[::1]:443", "::1", 443},
		{"[::1", "", -1},
		{"", "", -1},
		{"10.0.0.1:1", "10.0.0.1", 1},
	} {
		if host, port := splitHostPort(tc.in); host != tc.host || port != tc.port {
			t.Errorf("splitHostPort(%q) = %q, %d; want %q, %d", tc.in, host, port, tc.host, tc.port)
		}
	}
}
