package http

import (
	"context"
	"fmt"
	"io"
	"net"
	nethttp "net/http"
	"net/textproto"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	otelcodes "go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// The kind traces its requests with the OpenTelemetry API only; the SDK is
// the tracing feature's business. Nothing is attached unless a tracer
// provider was installed: OpenTelemetry's instrumentation costs even with
// its no-op provider, so without a provider the server's handler is
// exactly the untraced one. With one, the traced handler takes its place:
// still one wrapper, whose state for a request (span, attributes, body
// counter) comes in the one allocation of the exchange.
//
// The spans follow the semantic conventions as
// go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp v0.72
// writes them (semconv v1.43.0), with one difference: the span gets
// http.route once the request was routed, which otelhttp does only when it
// runs inside the mux (wrapping the mux, it renames the span but leaves
// http.route out).
//
// Metrics come with the metrics feature: their instruments belong in
// [tracing] (made once per kind), and the attributes they record with can
// be cached per route as [route] is.

// instrumentationName names the kind's tracer (the instrumentation scope).
const instrumentationName = "github.com/mikros-go/mikros/kinds/http"

// startupTracerProvider is the global tracer provider as it was when this
// package was initialized: OpenTelemetry's default, which does nothing
// until a provider is installed. Features start after every package was
// initialized, so a provider installed by one is a different value.
var startupTracerProvider = otel.GetTracerProvider()

// installedTracerProvider returns the global tracer provider when one was
// installed after this package was initialized (by the tracing feature,
// or by a program with otel.SetTracerProvider), and nil when none was or
// when it is the no-op provider.
func installedTracerProvider() trace.TracerProvider {
	tp := otel.GetTracerProvider()
	switch tp.(type) {
	case noop.TracerProvider, *noop.TracerProvider:
		return nil
	}
	// The startup provider is a pointer, so the comparison cannot panic:
	// values of another dynamic type are merely unequal.
	if tp == startupTracerProvider {
		return nil
	}
	return tp
}

// maxRoutes bounds the routes whose span names are kept. A ServeMux has as
// many patterns as the service registered; the bound is only a guard.
const maxRoutes = 1024

// tracing is what the kind traces requests with.
type tracing struct {
	tracer trace.Tracer
	prop   propagation.TextMapPropagator
	kind   trace.SpanStartOption
	// The metrics feature's instruments go here.

	mu     sync.Mutex
	routes atomic.Pointer[map[routeKey]*route] // copied on write
}

func newTracing(tp trace.TracerProvider, prop propagation.TextMapPropagator) *tracing {
	return &tracing{
		tracer: tp.Tracer(instrumentationName, trace.WithSchemaURL(semconv.SchemaURL)),
		prop:   prop,
		kind:   trace.WithSpanKind(trace.SpanKindServer),
	}
}

// routeKey identifies a route: the request's method (HEAD requests match
// GET patterns) and the pattern that matched it.
type routeKey struct{ method, pattern string }

// route is what the spans of a route share.
type route struct {
	name string             // "GET /orders/{id}"
	attr attribute.KeyValue // http.route
}

// route returns the span name and http.route of a request routed by a
// ServeMux, made on its first request.
func (t *tracing) route(method, pattern string) *route {
	key := routeKey{method, pattern}
	if rs := t.routes.Load(); rs != nil {
		if rt := (*rs)[key]; rt != nil {
			return rt
		}
	}
	path := routePath(pattern)
	rt := &route{name: spanMethod(method), attr: semconv.HTTPRoute(path)}
	if path != "" {
		rt.name += " " + path
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	var old map[routeKey]*route
	if rs := t.routes.Load(); rs != nil {
		old = *rs
	}
	if len(old) >= maxRoutes {
		return rt
	}
	rs := make(map[routeKey]*route, len(old)+1)
	for k, v := range old {
		rs[k] = v
	}
	rs[key] = rt
	t.routes.Store(&rs)
	return rt
}

// routePath returns the path of a ServeMux pattern, without its method
// and host: "/orders/{id}" for "GET example.com/orders/{id}"; "" when it
// has none.
func routePath(pattern string) string {
	if i := strings.IndexByte(pattern, '/'); i >= 0 {
		return pattern[i:]
	}
	return ""
}

// spanMethod returns the method as a span name begins with it: a known
// method in upper case, or "HTTP" for any other.
func spanMethod(method string) string {
	if m, ok := knownMethod(method); ok {
		return m
	}
	if m, ok := knownMethod(strings.ToUpper(method)); ok {
		return m
	}
	return "HTTP"
}

// knownMethod returns the method and true when it is one of HTTP's
// methods as net/http names them, in upper case.
func knownMethod(method string) (string, bool) {
	switch method {
	case nethttp.MethodGet, nethttp.MethodHead, nethttp.MethodPost, nethttp.MethodPut,
		nethttp.MethodPatch, nethttp.MethodDelete, nethttp.MethodConnect,
		nethttp.MethodOptions, nethttp.MethodTrace:
		return method, true
	}
	return "", false
}

// methodAttrs are http.request.method for the known methods.
var methodAttrs = map[string]attribute.KeyValue{
	nethttp.MethodGet:     semconv.HTTPRequestMethodGet,
	nethttp.MethodHead:    semconv.HTTPRequestMethodHead,
	nethttp.MethodPost:    semconv.HTTPRequestMethodPost,
	nethttp.MethodPut:     semconv.HTTPRequestMethodPut,
	nethttp.MethodPatch:   semconv.HTTPRequestMethodPatch,
	nethttp.MethodDelete:  semconv.HTTPRequestMethodDelete,
	nethttp.MethodConnect: semconv.HTTPRequestMethodConnect,
	nethttp.MethodOptions: semconv.HTTPRequestMethodOptions,
	nethttp.MethodTrace:   semconv.HTTPRequestMethodTrace,
}

var (
	schemeHTTP  = semconv.URLScheme("http")
	schemeHTTPS = semconv.URLScheme("https")
)

// A span gets at its start the attributes that semantic conventions name
// as relevant to sampling, at most maxStartAttrs; and at its end, in one
// call, the others: at most maxEndAttrs. (Each call that adds attributes
// copies the span's; attributes given at the start are copied twice.)
const (
	maxStartAttrs = 9
	maxEndAttrs   = 8
)

// tracedExchange is an exchange with what tracing needs of the request,
// so that they come in one allocation.
type tracedExchange struct {
	exchange
	span  trace.Span
	req   *nethttp.Request // as the handler got it: a ServeMux sets its Pattern
	body  countingBody
	start [maxStartAttrs]attribute.KeyValue
	end   [maxEndAttrs]attribute.KeyValue
	nEnd  int // the attributes of end known at the start
	opts  [2]trace.SpanStartOption
}

// serveTraced is serve with the request's server span around it: the span
// starts from the caller's trace context in the headers, and ends with the
// response's status, once the handler returned or panicked.
func (k *Kind) serveTraced(w nethttp.ResponseWriter, r *nethttp.Request) {
	t := k.tracing
	tx := &tracedExchange{exchange: exchange{kind: k}}
	x := &tx.exchange
	x.w.ResponseWriter = w
	x.Context, tx.span = t.start(tx, r)
	defer t.end(tx)
	r = k.identify(x, w, r)
	tx.req = r
	defer x.recover(r)
	if !k.limitBody(x, w, r) {
		return
	}
	if r.Body != nil && r.Body != nethttp.NoBody {
		tx.body.ReadCloser = r.Body
		r.Body = &tx.body
	}
	k.next.ServeHTTP(&x.w, r)
}

// start extracts the caller's trace context from the request's headers
// and starts the request's span, named after its method until the route
// is known.
func (t *tracing) start(tx *tracedExchange, r *nethttp.Request) (context.Context, trace.Span) {
	ctx := t.prop.Extract(r.Context(), headerCarrier(r.Header))
	tx.nEnd = len(connAttrs(tx.end[:0], r))
	tx.opts[0], tx.opts[1] = t.kind, trace.WithAttributes(startAttrs(tx.start[:0], r)...)
	return t.tracer.Start(ctx, spanMethod(r.Method), tx.opts[:]...)
}

// end names the span after the request's route, when a ServeMux routed it,
// sets the response's attributes and status, and ends the span. It is
// deferred: the only panic that reaches it is http.ErrAbortHandler (see
// exchange.recover), which it passes on once the span ended.
func (t *tracing) end(tx *tracedExchange) {
	aborted := recover()
	span := tx.span
	attrs := tx.end[:tx.nEnd]
	if r := tx.req; r != nil && r.Pattern != "" {
		rt := t.route(r.Method, r.Pattern)
		span.SetName(rt.name)
		if rt.attr.Value.AsString() != "" {
			attrs = append(attrs, rt.attr)
		}
	}
	if tx.body.n > 0 {
		attrs = append(attrs, semconv.HTTPRequestBodySize(int(tx.body.n)))
	}
	if tx.w.written > 0 {
		attrs = append(attrs, semconv.HTTPResponseBodySize(int(tx.w.written)))
	}
	status := tx.w.status
	if status == 0 {
		status = nethttp.StatusOK // what the server sends for a handler that wrote nothing
	}
	attrs = append(attrs, semconv.HTTPResponseStatusCode(status))
	span.SetAttributes(attrs...)
	switch {
	case status < 100 || status >= 600:
		span.SetStatus(otelcodes.Error, fmt.Sprintf("Invalid HTTP status code %d", status))
	case status >= 500:
		span.SetStatus(otelcodes.Error, "")
	case aborted != nil:
		span.SetStatus(otelcodes.Error, "the response was aborted")
	}
	span.End()
	if aborted != nil {
		panic(aborted)
	}
}

// startAttrs appends to a the attributes of r that matter to sampling:
// server.address, http.request.method, url.scheme, server.port (unless
// it is the scheme's), the method as sent when it is not a known one in
// upper case, user_agent.original, client.address (the first address of
// X-Forwarded-For, or the peer's), url.path, and http.route when the
// pattern is already known.
func startAttrs(a []attribute.KeyValue, r *nethttp.Request) []attribute.KeyValue {
	https := r.TLS != nil
	host, port := splitHostPort(r.Host)
	a = append(a, semconv.ServerAddress(host))
	method, original := methodAttr(r.Method)
	a = append(a, method)
	if https {
		a = append(a, schemeHTTPS)
	} else {
		a = append(a, schemeHTTP)
	}
	if port > 0 && (https && port != 443 || !https && port != 80) {
		a = append(a, semconv.ServerPort(port))
	}
	if original.Valid() {
		a = append(a, original)
	}
	if ua := r.Header.Get("User-Agent"); ua != "" {
		a = append(a, semconv.UserAgentOriginal(ua))
	}
	client, _, _ := strings.Cut(r.Header.Get("X-Forwarded-For"), ",")
	if client == "" {
		client, _ = splitHostPort(r.RemoteAddr)
	}
	if client != "" {
		a = append(a, semconv.ClientAddress(client))
	}
	if r.URL != nil && r.URL.Path != "" {
		a = append(a, semconv.URLPath(r.URL.Path))
	}
	if path := routePath(r.Pattern); path != "" {
		a = append(a, semconv.HTTPRoute(path))
	}
	return a
}

// connAttrs appends to a the attributes of r's connection, which the span
// gets at its end: network.peer.address and .port, and
// network.protocol.name (when not http) and .version.
func connAttrs(a []attribute.KeyValue, r *nethttp.Request) []attribute.KeyValue {
	if peer, port := splitHostPort(r.RemoteAddr); peer != "" {
		a = append(a, semconv.NetworkPeerAddress(peer))
		if port > 0 {
			a = append(a, semconv.NetworkPeerPort(port))
		}
	}
	name, version, _ := strings.Cut(r.Proto, "/")
	if name != "" && !strings.EqualFold(name, "http") {
		a = append(a, semconv.NetworkProtocolName(strings.ToLower(name)))
	}
	if version != "" {
		a = append(a, semconv.NetworkProtocolVersion(version))
	}
	return a
}

// methodAttr returns http.request.method, and
// http.request.method_original when the method is not a known one in
// upper case (an invalid attribute otherwise).
func methodAttr(method string) (attr, original attribute.KeyValue) {
	if a, ok := methodAttrs[method]; ok {
		return a, attribute.KeyValue{}
	}
	if method == "" {
		return semconv.HTTPRequestMethodOther, attribute.KeyValue{}
	}
	original = semconv.HTTPRequestMethodOriginal(method)
	if a, ok := methodAttrs[strings.ToUpper(method)]; ok {
		return a, original
	}
	return semconv.HTTPRequestMethodOther, original
}

// splitHostPort splits "host:port", "[ipv6]:port", "host" or "[ipv6]"
// without allocating; port is -1 when absent or invalid.
func splitHostPort(hostport string) (host string, port int) {
	if strings.HasPrefix(hostport, "[") {
		end := strings.LastIndexByte(hostport, ']')
		if end < 0 {
			return "", -1
		}
		if !strings.Contains(hostport[end:], ":") {
			return hostport[1:end], -1
		}
	} else if !strings.Contains(hostport, ":") {
		return hostport, -1
	}
	host, p, err := net.SplitHostPort(hostport)
	if err != nil {
		return host, -1
	}
	n, err := strconv.ParseUint(p, 10, 16)
	if err != nil {
		return host, -1
	}
	return host, int(n)
}

// headerCarrier is propagation.HeaderCarrier without its allocation per
// key and request: propagators ask for lower-case keys ("traceparent"),
// which a Header must canonicalize ("Traceparent") to look up; the kind
// keeps the canonical forms of the keys it was asked for.
type headerCarrier nethttp.Header

func (c headerCarrier) Get(key string) string {
	if v := c[canonicalKey(key)]; len(v) > 0 {
		return v[0]
	}
	return ""
}

func (c headerCarrier) Values(key string) []string { return c[canonicalKey(key)] }

func (c headerCarrier) Set(key, value string) { c[canonicalKey(key)] = []string{value} }

func (c headerCarrier) Keys() []string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	return keys
}

// maxCanonicalKeys bounds the canonical keys kept. Propagators ask for a
// handful of keys; the bound is only a guard.
const maxCanonicalKeys = 64

var (
	canonicalMu   sync.Mutex
	canonicalKeys atomic.Pointer[map[string]string] // copied on write
)

// canonicalKey returns textproto.CanonicalMIMEHeaderKey(key), from the
// keys already seen when it can.
func canonicalKey(key string) string {
	if ks := canonicalKeys.Load(); ks != nil {
		if ck, ok := (*ks)[key]; ok {
			return ck
		}
	}
	ck := textproto.CanonicalMIMEHeaderKey(key)
	canonicalMu.Lock()
	defer canonicalMu.Unlock()
	var old map[string]string
	if ks := canonicalKeys.Load(); ks != nil {
		old = *ks
	}
	if len(old) < maxCanonicalKeys {
		ks := make(map[string]string, len(old)+1)
		for k, v := range old {
			ks[k] = v
		}
		ks[strings.Clone(key)] = ck
		canonicalKeys.Store(&ks)
	}
	return ck
}

// countingBody counts the bytes the handler read of a request's body.
type countingBody struct {
	io.ReadCloser
	n int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n += int64(n)
	return n, err
}
