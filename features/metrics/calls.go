package metrics

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mikros-go/mikros/core"
)

// The request metrics are labeled vectors, but a call never resolves its
// labels through them: each gRPC method and each HTTP route and method
// resolves its histogram and its counters once, the first time it is seen,
// and keeps them in copy-on-write maps and arrays of atomic pointers that
// calls read without a lock. A call after the first does a map lookup or
// two, one counter increment and one histogram observation, and allocates
// nothing.

// cache is a map that many goroutines read without a lock while a few add
// to it: every addition copies the map. It suits keys that are few and
// fixed once the service warmed up: methods, routes, status codes.
type cache[K comparable, V any] struct {
	m  atomic.Pointer[map[K]V]
	mu sync.Mutex // serializes additions
}

// get returns the value of k, if the map holds it.
func (c *cache[K, V]) get(k K) (V, bool) {
	if m := c.m.Load(); m != nil {
		v, ok := (*m)[k]
		return v, ok
	}
	var zero V
	return zero, false
}

// len returns how many keys the map holds.
func (c *cache[K, V]) len() int {
	if m := c.m.Load(); m != nil {
		return len(*m)
	}
	return 0
}

// add returns the value of k, storing the one build makes when the map does
// not hold it yet.
func (c *cache[K, V]) add(k K, build func() V) V {
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.m.Load()
	if old != nil {
		if v, ok := (*old)[k]; ok {
			return v
		}
	}
	var n int
	if old != nil {
		n = len(*old)
	}
	next := make(map[K]V, n+1)
	if old != nil {
		for key, v := range *old {
			next[key] = v
		}
	}
	v := build()
	next[k] = v
	c.m.Store(&next)
	return v
}

// counter holds a resolved counter, so that an atomic pointer can keep it.
type counter struct{ prometheus.Counter }

// The values of grpc_type.
const (
	typeUnary        = "unary"
	typeClientStream = "client_stream"
	typeServerStream = "server_stream"
	typeBidiStream   = "bidi_stream"
)

// grpcType returns grpc_type for a call whose caller sends a stream
// (clientStreams) and whose server sends one (serverStreams).
func grpcType(clientStreams, serverStreams bool) string {
	switch {
	case clientStreams && serverStreams:
		return typeBidiStream
	case clientStreams:
		return typeClientStream
	case serverStreams:
		return typeServerStream
	}
	return typeUnary
}

// codeNames are the names of the gRPC status codes, indexed by code, as
// google.golang.org/grpc/codes.Code's String method writes them.
var codeNames = [...]string{
	"OK", "Canceled", "Unknown", "InvalidArgument", "DeadlineExceeded",
	"NotFound", "AlreadyExists", "PermissionDenied", "ResourceExhausted",
	"FailedPrecondition", "Aborted", "OutOfRange", "Unimplemented",
	"Internal", "Unavailable", "DataLoss", "Unauthenticated",
}

// codeName returns grpc_code for a gRPC status code: its name, or
// "Code(n)" for a code gRPC does not define.
func codeName(code int) string {
	if code >= 0 && code < len(codeNames) {
		return codeNames[code]
	}
	return "Code(" + strconv.Itoa(code) + ")"
}

// splitMethod splits a gRPC full method, "/package.Service/Method", into
// its service and method names. A name that is not of that form is kept
// whole as the method, with the service "unknown".
func splitMethod(full string) (service, method string) {
	name := strings.TrimPrefix(full, "/")
	if i := strings.LastIndexByte(name, '/'); i > 0 && i < len(name)-1 {
		return name[:i], name[i+1:]
	}
	return "unknown", full
}

// grpcKey identifies a gRPC method and the way it streams.
type grpcKey struct {
	method string
	typ    string
	past   bool // the key of the methods past maxMethods, method ""
}

// grpcMethod is what the calls of one gRPC method record into.
type grpcMethod struct {
	handled *prometheus.CounterVec
	labels  [3]string // grpc_type, grpc_service, grpc_method
	seconds prometheus.Observer
	codes   [len(codeNames)]atomic.Pointer[counter]
}

// counter returns the counter of code, resolving it the first time.
func (m *grpcMethod) counter(code int) prometheus.Counter {
	if code < 0 || code >= len(m.codes) {
		return m.handled.WithLabelValues(m.labels[0], m.labels[1], m.labels[2], codeName(code))
	}
	if c := m.codes[code].Load(); c != nil {
		return c.Counter
	}
	c := &counter{m.handled.WithLabelValues(m.labels[0], m.labels[1], m.labels[2], codeNames[code])}
	if !m.codes[code].CompareAndSwap(nil, c) {
		c = m.codes[code].Load()
	}
	return c.Counter
}

// grpcSide holds the metrics of one side of gRPC calls: server or client.
type grpcSide struct {
	handled *prometheus.CounterVec
	seconds *prometheus.HistogramVec
	methods cache[grpcKey, *grpcMethod]
}

// newGRPCSide makes the metrics of gRPC calls the service serves (side
// "server") or sends ("client").
func newGRPCSide(side string, buckets []float64) *grpcSide {
	what := "served"
	if side == "client" {
		what = "sent"
	}
	return &grpcSide{
		handled: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "grpc_" + side + "_handled_total",
			Help: "gRPC calls " + what + " that completed, by type, service, method and status code.",
		}, []string{"grpc_type", "grpc_service", "grpc_method", "grpc_code"}),
		seconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "grpc_" + side + "_handling_seconds",
			Help:    "Duration of the gRPC calls " + what + ", from their start to their status, in seconds.",
			Buckets: buckets,
		}, []string{"grpc_type", "grpc_service", "grpc_method"}),
	}
}

// maxMethods bounds the methods a side keeps series for. A service calls
// and registers a fixed set of methods, but a server with an
// unknown-service handler sees the methods its callers make up: past the
// bound, calls on methods not seen yet are recorded under unknownLabel.
const maxMethods = 1024

// unknownLabel is grpc_service and grpc_method of the calls on methods
// past maxMethods.
const unknownLabel = "unknown"

// method returns the metrics of a method, resolving them the first time.
func (g *grpcSide) method(full string, clientStreams, serverStreams bool) *grpcMethod {
	k := grpcKey{method: full, typ: grpcType(clientStreams, serverStreams)}
	if m, ok := g.methods.get(k); ok {
		return m
	}
	if g.methods.len() >= maxMethods {
		k = grpcKey{typ: k.typ, past: true}
		if m, ok := g.methods.get(k); ok {
			return m
		}
	} else {
		k.method = strings.Clone(full)
	}
	return g.methods.add(k, func() *grpcMethod {
		service, method := unknownLabel, unknownLabel
		if !k.past {
			service, method = splitMethod(k.method)
		}
		m := &grpcMethod{handled: g.handled, labels: [3]string{k.typ, service, method}}
		m.seconds = g.seconds.WithLabelValues(k.typ, service, method)
		return m
	})
}

// unmatched is the route label of HTTP requests that no ServeMux pattern
// matched: the 404 and 405 answers of a ServeMux, and every request of a
// service whose handler is not routed by a ServeMux.
const unmatched = "unmatched"

// otherMethod is the method label of HTTP requests whose method is not one
// of the methods RFC 9110 and RFC 5789 define, written in upper case.
const otherMethod = "_OTHER"

// methods are the values of the method label: the methods RFC 9110 and
// RFC 5789 define, then otherMethod.
var methods = [...]string{
	http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut,
	http.MethodPatch, http.MethodDelete, http.MethodConnect,
	http.MethodOptions, http.MethodTrace, otherMethod,
}

// methodIndex returns the index in methods of the method label of an HTTP
// request's method: the method when it is a standard one, otherMethod
// otherwise, so that callers cannot add series by sending made-up methods.
func methodIndex(method string) int {
	switch method {
	case http.MethodGet:
		return 0
	case http.MethodHead:
		return 1
	case http.MethodPost:
		return 2
	case http.MethodPut:
		return 3
	case http.MethodPatch:
		return 4
	case http.MethodDelete:
		return 5
	case http.MethodConnect:
		return 6
	case http.MethodOptions:
		return 7
	case http.MethodTrace:
		return 8
	}
	return len(methods) - 1
}

// methodLabel returns the method label of an HTTP request's method.
func methodLabel(method string) string { return methods[methodIndex(method)] }

// routeLabel returns the route label of a ServeMux pattern such as
// "GET example.com/items/{id}": its path, "/items/{id}", without the
// method and the host; unmatched for no pattern.
func routeLabel(pattern string) string {
	if pattern == "" {
		return unmatched
	}
	rest := pattern
	if i := strings.IndexAny(rest, " \t"); i >= 0 {
		rest = rest[i:]
	}
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		return rest[i:]
	}
	return unmatched
}

// httpPattern holds the metrics of the requests one ServeMux pattern
// matched, by method label (indexed as methods).
type httpPattern struct {
	route   string
	methods [len(methods)]atomic.Pointer[httpRoute]
}

// httpRoute is what the requests of one route and method record into.
type httpRoute struct {
	requests *prometheus.CounterVec
	labels   [2]string // method, route
	seconds  prometheus.Observer
	codes    cache[int, prometheus.Counter]
}

// counter returns the counter of status code, resolving it the first time.
func (r *httpRoute) counter(code int) prometheus.Counter {
	if c, ok := r.codes.get(code); ok {
		return c
	}
	return r.codes.add(code, func() prometheus.Counter {
		return r.requests.WithLabelValues(r.labels[0], r.labels[1], strconv.Itoa(code))
	})
}

// httpServer holds the metrics of the HTTP requests the service serves.
type httpServer struct {
	requests *prometheus.CounterVec
	seconds  *prometheus.HistogramVec
	patterns cache[string, *httpPattern]
}

// newHTTPServer makes the metrics of the HTTP requests the service serves.
func newHTTPServer(buckets []float64) *httpServer {
	return &httpServer{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "http_server_requests_total",
			Help: "HTTP requests served, by method, route pattern and status code.",
		}, []string{"method", "route", "code"}),
		seconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "http_server_request_duration_seconds",
			Help:    "Duration of the HTTP requests served, from their start to the handler's return, in seconds.",
			Buckets: buckets,
		}, []string{"method", "route"}),
	}
}

// route returns the metrics of a ServeMux pattern and a request method,
// resolving them the first time.
func (h *httpServer) route(pattern, method string) *httpRoute {
	p, ok := h.patterns.get(pattern)
	if !ok {
		p = h.patterns.add(strings.Clone(pattern), func() *httpPattern {
			return &httpPattern{route: routeLabel(pattern)}
		})
	}
	i := methodIndex(method)
	if r := p.methods[i].Load(); r != nil {
		return r
	}
	r := &httpRoute{requests: h.requests, labels: [2]string{methods[i], p.route}}
	r.seconds = h.seconds.WithLabelValues(methods[i], p.route)
	if !p.methods[i].CompareAndSwap(nil, r) {
		r = p.methods[i].Load()
	}
	return r
}

// seconds returns how long c took in seconds, from its Start to its End
// (to now when the kind did not set End), and false when its Start is
// unknown.
func seconds(c *core.Call) (float64, bool) {
	if c.Start.IsZero() {
		return 0, false
	}
	if c.End.IsZero() {
		return time.Since(c.Start).Seconds(), true
	}
	return c.End.Sub(c.Start).Seconds(), true
}
