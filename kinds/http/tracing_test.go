package http_test

// The tests of this file set OpenTelemetry's global tracer provider, which
// the kind reads when it starts: no test of this package runs in parallel,
// and they put the provider back when they end.

import (
	"fmt"
	"io"
	"net"
	nethttp "net/http"
	"strings"
	"testing"
	"time"

	"github.com/mikros-go/mikros/kinds/http/httpkindtest"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// installTracing installs a recording tracer provider and the W3C
// propagators as OpenTelemetry's globals, as the tracing feature does, and
// puts the previous ones back when the test ends (after the services it
// started stopped, since it is called first).
func installTracing(t *testing.T) *tracetest.SpanRecorder {
	t.Helper()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample()), sdktrace.WithSpanProcessor(rec))
	prevTP, prevProp := otel.GetTracerProvider(), otel.GetTextMapPropagator()
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	t.Cleanup(func() {
		otel.SetTracerProvider(prevTP)
		otel.SetTextMapPropagator(prevProp)
	})
	return rec
}

// TestTracedService runs a service with a tracer provider installed and
// checks the span of a request over a real connection: a child of the
// caller's trace context, named after the route, with the attributes of
// the connection, and the span the handler sees in its context.
func TestTracedService(t *testing.T) {
	rec := installTracing(t)
	seen := make(chan trace.SpanContext, 1)
	mux := nethttp.NewServeMux()
	mux.HandleFunc("GET /hello/{name}", func(w nethttp.ResponseWriter, r *nethttp.Request) {
		seen <- trace.SpanContextFromContext(r.Context())
		fmt.Fprintf(w, "hello, %s", r.PathValue("name"))
	})
	_, url := httpkindtest.Start(t, &api{mux}, definition)
	port := url[strings.LastIndexByte(url, ':')+1:]

	req, err := nethttp.NewRequestWithContext(t.Context(), nethttp.MethodGet, url+"/hello/ana", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
	req.Header.Set("User-Agent", "tester/1")
	r := do(newClient(t), req)
	if r.err != nil || r.status != 200 {
		t.Fatalf("status %d, error %v", r.status, r.err)
	}
	var span sdktrace.ReadOnlySpan
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		if spans := rec.Ended(); len(spans) > 0 {
			if len(spans) != 1 {
				t.Fatalf("%d spans, want 1", len(spans))
			}
			span = spans[0]
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no span ended")
		}
	}
	if got := <-seen; !got.Equal(span.SpanContext()) {
		t.Errorf("the handler's context has span %v, want %v", got, span.SpanContext())
	}
	if span.Name() != "GET /hello/{name}" || span.SpanKind() != trace.SpanKindServer {
		t.Errorf("span %q, kind %v", span.Name(), span.SpanKind())
	}
	if p := span.Parent(); !p.IsRemote() || p.TraceID().String() != "0af7651916cd43dd8448eb211c80319c" || p.SpanID().String() != "b7ad6b7169203331" {
		t.Errorf("parent %v, want the request's trace context", p)
	}
	got := map[attribute.Key]string{}
	for _, kv := range span.Attributes() {
		got[kv.Key] = kv.Value.String()
	}
	peerPort := got["network.peer.port"]
	delete(got, "network.peer.port") // the client's port, whatever it is
	want := map[attribute.Key]string{
		"http.request.method":       "GET",
		"url.scheme":                "http",
		"url.path":                  "/hello/ana",
		"http.route":                "/hello/{name}",
		"server.address":            "127.0.0.1",
		"server.port":               port,
		"network.peer.address":      "127.0.0.1",
		"client.address":            "127.0.0.1",
		"network.protocol.version":  "1.1",
		"user_agent.original":       "tester/1",
		"http.response.status_code": "200",
		"http.response.body.size":   "10",
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s = %q, want %q", k, got[k], w)
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected attribute %s = %q", k, g)
		}
	}
	if _, _, err := net.SplitHostPort("127.0.0.1:" + peerPort); err != nil || peerPort == "" {
		t.Errorf("network.peer.port = %q", peerPort)
	}
}

// TestTracedRequestBody checks the body sizes of a traced request over a
// real connection.
func TestTracedRequestBody(t *testing.T) {
	rec := installTracing(t)
	mux := nethttp.NewServeMux()
	mux.HandleFunc("POST /echo", func(w nethttp.ResponseWriter, r *nethttp.Request) {
		_, _ = io.Copy(w, r.Body)
	})
	_, url := httpkindtest.Start(t, &api{mux}, definition)
	req, err := nethttp.NewRequestWithContext(t.Context(), nethttp.MethodPost, url+"/echo", strings.NewReader("0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	if r := do(newClient(t), req); r.err != nil || r.body != "0123456789abcdef" {
		t.Fatalf("body %q, error %v", r.body, r.err)
	}
	for deadline := time.Now().Add(5 * time.Second); len(rec.Ended()) == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no span ended")
		}
	}
	got := map[attribute.Key]string{}
	for _, kv := range rec.Ended()[0].Attributes() {
		got[kv.Key] = kv.Value.String()
	}
	if got["http.request.body.size"] != "16" || got["http.response.body.size"] != "16" {
		t.Errorf("body sizes %q and %q, want 16 and 16", got["http.request.body.size"], got["http.response.body.size"])
	}
}
