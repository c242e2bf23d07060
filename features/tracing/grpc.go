package tracing

import (
	"context"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"

	"go.opentelemetry.io/otel/attribute"
	otelcodes "go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/mikros-go/mikros/core"
)

// gRPC calls: a span named after the method ("greeter.v1.Greeter/SayHello"),
// of kind server or client, with rpc.system.name, rpc.method,
// server.address and server.port (a server's local address, a client's
// target), and rpc.response.status_code when it ends. A server span's
// status is Error for the codes that mean the server failed, a client
// span's for every code but OK.

// gRPC status codes (core.Call.Code), as gRPC numbers them.
const (
	codeOK               = 0
	codeUnknown          = 2
	codeDeadlineExceeded = 4
	codeUnimplemented    = 12
	codeInternal         = 13
	codeUnavailable      = 14
	codeDataLoss         = 15
	codeUnauthenticated  = 16
)

// codeNames are the names gRPC's specification gives the codes, which is
// what rpc.response.status_code holds.
var codeNames = [codeUnauthenticated + 1]string{
	"OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED",
	"NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED",
	"FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED",
	"INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
}

// codeName returns the name of a gRPC code, "CODE(n)" for one gRPC does
// not define.
func codeName(code int) string {
	if code >= 0 && code < len(codeNames) {
		return codeNames[code]
	}
	return "CODE(" + strconv.Itoa(code) + ")"
}

// statusAttrs holds, for each gRPC code, the one-attribute slice
// rpc.response.status_code that ends a span.
var statusAttrs = func() (a [len(codeNames)][]attribute.KeyValue) {
	for c := range a {
		a[c] = []attribute.KeyValue{semconv.RPCResponseStatusCode(codeNames[c])}
	}
	return a
}()

// statusAttr returns rpc.response.status_code for code.
func statusAttr(code int) []attribute.KeyValue {
	if code >= 0 && code < len(statusAttrs) {
		return statusAttrs[code]
	}
	return []attribute.KeyValue{semconv.RPCResponseStatusCode(codeName(code))}
}

// serverFault reports whether a code means the server failed, which makes
// a server span's status Error; the others are the caller's doing.
func serverFault(code int) bool {
	switch code {
	case codeUnknown, codeDeadlineExceeded, codeUnimplemented, codeInternal, codeUnavailable, codeDataLoss:
		return true
	}
	return false
}

// endGRPC sets the span's status and rpc.response.status_code from the
// call's code, and ends it.
func endGRPC(span trace.Span, c *core.Call) {
	if c.Code != codeOK && (c.Client || serverFault(c.Code)) {
		span.SetStatus(otelcodes.Error, c.Message)
	}
	span.SetAttributes(statusAttr(c.Code)...)
	span.End()
}

// rpcMethod is what the spans of one method share.
type rpcMethod struct {
	name  string                  // the span name: "package.Service/Method"
	kind  trace.SpanKind          // server or client
	attrs []attribute.KeyValue    // rpc.method, rpc.system.name, and for clients server.address and server.port
	start []trace.SpanStartOption // the span kind and attrs

	// The server's start options with the attributes of its local
	// address added, for the last local address seen.
	local atomic.Pointer[startAt]
}

// startAt are a method's start options for calls on one local address.
type startAt struct {
	local *localAttrs
	start []trace.SpanStartOption
}

// newRPCMethod returns the span name and start options of a method, from
// its full name ("/package.Service/Method"), with extra attributes.
func newRPCMethod(fullMethod string, kind trace.SpanKind, extra ...attribute.KeyValue) *rpcMethod {
	attrs := make([]attribute.KeyValue, 0, 2+len(extra))
	name := fullMethod
	if rest, ok := strings.CutPrefix(fullMethod, "/"); ok {
		name = rest
		attrs = append(attrs, semconv.RPCMethod(name))
	}
	attrs = append(append(attrs, semconv.RPCSystemNameGRPC), extra...)
	return &rpcMethod{
		name:  name,
		kind:  kind,
		attrs: attrs,
		start: []trace.SpanStartOption{trace.WithSpanKind(kind), trace.WithAttributes(attrs...)},
	}
}

// startOn returns the method's start options for a call on a connection
// whose local address has the attributes la (nil: none known), made once
// per method and local address.
func (m *rpcMethod) startOn(la *localAttrs) []trace.SpanStartOption {
	if la == nil {
		return m.start
	}
	if at := m.local.Load(); at != nil && at.local == la {
		return at.start
	}
	attrs := append(slices.Clip(m.attrs), la.attrs...)
	at := &startAt{local: la, start: []trace.SpanStartOption{trace.WithSpanKind(m.kind), trace.WithAttributes(attrs...)}}
	m.local.Store(at)
	return at.start
}

// localAttrs are server.address and server.port of a connection's local
// address.
type localAttrs struct {
	addr  net.Addr
	attrs []attribute.KeyValue
}

// localAttrs returns server.address and server.port of a server call's
// local address; nil when it has none. Most servers see one local address
// on every connection, so the last one is kept, and compared without
// allocating.
func (cs *calls) localAttrs(addr net.Addr) *localAttrs {
	if addr == nil {
		return nil
	}
	if last := cs.local.Load(); last != nil && sameAddr(last.addr, addr) {
		return last
	}
	la := &localAttrs{addr: addr, attrs: addrAttrs(addr.String())}
	cs.local.Store(la)
	return la
}

// sameAddr reports whether a and b are the same TCP address. Other
// addresses are never the same, so their attributes are made again.
func sameAddr(a, b net.Addr) bool {
	ta, ok := a.(*net.TCPAddr)
	if !ok {
		return false
	}
	tb, ok := b.(*net.TCPAddr)
	return ok && (ta == tb || ta.Port == tb.Port && ta.Zone == tb.Zone && ta.IP.Equal(tb.IP))
}

// addrAttrs returns server.address and server.port for a "host:port", or
// server.address alone for an address without a port.
func addrAttrs(hostport string) []attribute.KeyValue {
	host, p, err := net.SplitHostPort(hostport)
	if err != nil {
		return []attribute.KeyValue{semconv.ServerAddress(hostport)}
	}
	port, err := strconv.Atoi(p)
	if err != nil {
		return []attribute.KeyValue{semconv.ServerAddress(host)}
	}
	return []attribute.KeyValue{semconv.ServerAddress(host), semconv.ServerPort(port)}
}

// startGRPCServer continues the caller's trace, read from the call's
// metadata, with the server span of the call.
func (r *run) startGRPCServer(ctx context.Context, c *core.Call) context.Context {
	m, ok := r.calls.grpcServer.get(c.Method)
	if !ok {
		m = r.calls.grpcServer.add(c.Method, newRPCMethod(c.Method, trace.SpanKindServer))
	}
	start := m.startOn(r.calls.localAttrs(c.Local))
	if c.Header != nil {
		ctx = r.prop.Extract(ctx, c.Header)
	}
	ctx, _ = r.tracer.Start(ctx, m.name, start...)
	return ctx
}

// clientKey identifies what the spans of a client's calls share: the
// target and the method.
type clientKey struct{ target, method string }

// startGRPCClient starts the client span of a call, a child of the span
// ctx carries, and writes its trace context into the call's metadata.
func (r *run) startGRPCClient(ctx context.Context, c *core.Call) context.Context {
	key := clientKey{c.Target, c.Method}
	m, ok := r.calls.grpcClient.get(key)
	if !ok {
		var server []attribute.KeyValue
		if c.Target != "" {
			server = addrAttrs(c.Target)
		}
		m = r.calls.grpcClient.add(key, newRPCMethod(c.Method, trace.SpanKindClient, server...))
	}
	ctx, _ = r.tracer.Start(ctx, m.name, m.start...)
	if c.Header != nil {
		r.prop.Inject(ctx, c.Header)
	}
	return ctx
}
