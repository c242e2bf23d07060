package tracing

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"go.opentelemetry.io/otel/attribute"
	otelcodes "go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/mikros-go/mikros/core"
)

// HTTP server calls: a span named after the request's method ("GET")
// until a ServeMux routed the request, then after its route ("GET
// /orders/{id}"), of kind server, with the request's attributes, then the
// route, the body sizes and the response's status. Its status is Error for
// a 5xx (or invalid) status, and for a response cut after it began.
//
// HTTP client calls: a span named after the method, of kind client, with
// http.request.method, server.address and server.port (the target) and
// http.response.status_code; Error for a 4xx or 5xx, or no response.

// maxHTTPAttrs is the room for the attributes a span gets at once: at most
// 17, 14 of the request and 3 of its outcome.
const maxHTTPAttrs = 17

// attrBuf holds the attributes of one call while they are handed to its
// span, which copies them; pooled, so that the call does not allocate
// them.
type attrBuf [maxHTTPAttrs]attribute.KeyValue

var attrBufs = sync.Pool{New: func() any { return new(attrBuf) }}

// withAttrs hands fill a buffer to append attributes to, sets on span
// what it appended, and puts the buffer back.
func withAttrs(span trace.Span, fill func([]attribute.KeyValue) []attribute.KeyValue) {
	buf := attrBufs.Get().(*attrBuf)
	a := fill(buf[:0])
	span.SetAttributes(a...)
	clear(a) // let go of the request's strings
	attrBufs.Put(buf)
}

// startHTTPServer continues the caller's trace, read from the request's
// headers, with the server span of the request, named after its method.
func (r *run) startHTTPServer(ctx context.Context, c *core.Call) context.Context {
	method := c.Method
	if c.Request != nil {
		method = c.Request.Method
	}
	switch {
	case c.Header != nil:
		ctx = r.prop.Extract(ctx, c.Header)
	case c.Request != nil:
		ctx = r.prop.Extract(ctx, propagation.HeaderCarrier(c.Request.Header))
	}
	ctx, _ = r.tracer.Start(ctx, spanMethod(method), serverKind...)
	return ctx
}

// endHTTPServer names the span after the request's route, when a ServeMux
// routed it, sets its attributes and status, and ends it.
//
// The span gets all its attributes here, at once, read from the request
// as the handler got it and from the outcome: the SDK then copies them
// once, where attributes given at the start are copied twice and copied
// again to add the outcome's. The feature's samplers decide from the trace
// id and the caller's decision alone, so none needs them at the start.
func (r *run) endHTTPServer(span trace.Span, c *core.Call) {
	status := c.Code
	if status == 0 {
		status = http.StatusOK // what the server sends for a handler that wrote nothing
	}
	withAttrs(span, func(a []attribute.KeyValue) []attribute.KeyValue {
		if req := c.Request; req != nil {
			a = connAttrs(requestAttrs(a, req), req)
			if req.Pattern != "" {
				rt := r.calls.route(req.Method, req.Pattern)
				span.SetName(rt.name)
			}
		}
		if c.RequestBytes > 0 {
			a = append(a, semconv.HTTPRequestBodySize(int(c.RequestBytes)))
		}
		if c.ResponseBytes > 0 {
			a = append(a, semconv.HTTPResponseBodySize(int(c.ResponseBytes)))
		}
		return append(a, semconv.HTTPResponseStatusCode(status))
	})
	switch {
	case status < 100 || status >= 600:
		span.SetStatus(otelcodes.Error, fmt.Sprintf("Invalid HTTP status code %d", status))
	case status >= 500:
		span.SetStatus(otelcodes.Error, "")
	case c.Aborted:
		span.SetStatus(otelcodes.Error, "the response was aborted")
	}
	span.End()
}

// startHTTPClient starts the client span of a request, a child of the span
// ctx carries, and writes its trace context into the request's headers.
func (r *run) startHTTPClient(ctx context.Context, c *core.Call) context.Context {
	ctx, span := r.tracer.Start(ctx, spanMethod(c.Method), clientKind...)
	if span.IsRecording() {
		server, ok := r.calls.httpClient.get(c.Target)
		if !ok {
			server = r.calls.httpClient.add(c.Target, targetAttrs(c.Target))
		}
		withAttrs(span, func(a []attribute.KeyValue) []attribute.KeyValue {
			method, original := methodAttr(c.Method)
			a = append(a, method)
			if original.Valid() {
				a = append(a, original)
			}
			return append(a, server...)
		})
	}
	if c.Header != nil {
		r.prop.Inject(ctx, c.Header)
	}
	return ctx
}

// targetAttrs returns server.address and server.port of a client's
// target, "host:port" or "host".
func targetAttrs(target string) []attribute.KeyValue {
	host, port := splitHostPort(target)
	var a []attribute.KeyValue
	if host != "" {
		a = append(a, semconv.ServerAddress(host))
	}
	if port > 0 {
		a = append(a, semconv.ServerPort(port))
	}
	return a
}

// endHTTPClient sets the response's status on a client span and ends it.
func endHTTPClient(span trace.Span, c *core.Call) {
	switch {
	case c.Code > 0:
		span.SetAttributes(semconv.HTTPResponseStatusCode(c.Code))
		if c.Code >= 400 {
			span.SetStatus(otelcodes.Error, "")
		}
	default:
		span.SetStatus(otelcodes.Error, c.Message)
	}
	span.End()
}

// routeKey identifies a route: the request's method (HEAD requests match
// GET patterns) and the pattern that matched it.
type routeKey struct{ method, pattern string }

// route is what the spans of a route share.
type route struct {
	name string // "GET /orders/{id}"
}

// route returns the span name and http.route of a request routed by a
// ServeMux, made on its first request.
func (cs *calls) route(method, pattern string) *route {
	key := routeKey{method, pattern}
	if rt, ok := cs.routes.get(key); ok {
		return rt
	}
	rt := &route{name: spanMethod(method)}
	if path := routePath(pattern); path != "" {
		rt.name += " " + path
	}
	return cs.routes.add(key, rt)
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
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut,
		http.MethodPatch, http.MethodDelete, http.MethodConnect,
		http.MethodOptions, http.MethodTrace:
		return method, true
	}
	return "", false
}

// methodAttrs are http.request.method for the known methods.
var methodAttrs = map[string]attribute.KeyValue{
	http.MethodGet:     semconv.HTTPRequestMethodGet,
	http.MethodHead:    semconv.HTTPRequestMethodHead,
	http.MethodPost:    semconv.HTTPRequestMethodPost,
	http.MethodPut:     semconv.HTTPRequestMethodPut,
	http.MethodPatch:   semconv.HTTPRequestMethodPatch,
	http.MethodDelete:  semconv.HTTPRequestMethodDelete,
	http.MethodConnect: semconv.HTTPRequestMethodConnect,
	http.MethodOptions: semconv.HTTPRequestMethodOptions,
	http.MethodTrace:   semconv.HTTPRequestMethodTrace,
}

var (
	schemeHTTP  = semconv.URLScheme("http")
	schemeHTTPS = semconv.URLScheme("https")
)

// requestAttrs appends to a the attributes of r: server.address,
// http.request.method, url.scheme, server.port (unless it is the
// scheme's), the method as sent when it is not a known one in upper case,
// user_agent.original, client.address (the first address of
// X-Forwarded-For, or the peer's), url.path, and http.route when a
// ServeMux routed it.
func requestAttrs(a []attribute.KeyValue, r *http.Request) []attribute.KeyValue {
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

// connAttrs appends to a the attributes of r's connection:
// network.peer.address and .port, and network.protocol.name (when not
// http) and .version.
func connAttrs(a []attribute.KeyValue, r *http.Request) []attribute.KeyValue {
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
