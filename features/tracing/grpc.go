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

// endGRPC sets the span's attributes and status from the call's method,
// address and code, and ends it.
func (r *run) endGRPC(span trace.Span, c *core.Call) {
	var set *attrSet
	if c.Client {
		set = &r.calls.grpcClientMethod(c).attrs
	} else {
		set = r.calls.grpcServerMethod(c.Method).on(r.calls.localAttrs(c.Local))
	}
	span.SetAttributes(set.end(c.Code)...)
	if c.Code != codeOK && (c.Client || serverFault(c.Code)) {
		span.SetStatus(otelcodes.Error, c.Message)
	}
	span.End()
}

// rpcMethod is what the spans of one method share: the name, and the
// attributes.
//
// A span gets all its attributes when it ends, in one slice made once per
// method, address and code: the SDK then copies them once, where start
// options would have it copy them twice and again for the status code.
// The feature's samplers decide from the trace id and the caller's
// decision alone, so none needs the attributes at the start.
type rpcMethod struct {
	name  string  // the span name: "package.Service/Method"
	attrs attrSet // rpc.method, rpc.system.name, and for clients server.address and server.port

	// For a server, the attributes with those of its local address
	// added, for the last local address seen.
	local atomic.Pointer[localSet]
}

// attrSet is the attributes of a method's spans on one address, with the
// slice that ends them for each gRPC code, made on first use.
type attrSet struct {
	attrs []attribute.KeyValue
	ends  [len(codeNames)]atomic.Pointer[[]attribute.KeyValue]
}

// end returns the attributes of a span that ended with code.
func (s *attrSet) end(code int) []attribute.KeyValue {
	if code < 0 || code >= len(s.ends) {
		return append(slices.Clip(s.attrs), statusAttr(code)...)
	}
	if a := s.ends[code].Load(); a != nil {
		return *a
	}
	a := append(slices.Clip(s.attrs), statusAttr(code)...)
	s.ends[code].Store(&a)
	return a
}

// localSet is a method's attributes on one local address.
type localSet struct {
	local *localAttrs
	set   attrSet
}

// newRPCMethod returns what the spans of a method share, from its full
// name ("/package.Service/Method"), with extra attributes.
func newRPCMethod(fullMethod string, extra ...attribute.KeyValue) *rpcMethod {
	attrs := make([]attribute.KeyValue, 0, 2+len(extra))
	name := fullMethod
	if rest, ok := strings.CutPrefix(fullMethod, "/"); ok {
		name = rest
		attrs = append(attrs, semconv.RPCMethod(name))
	}
	attrs = append(append(attrs, semconv.RPCSystemNameGRPC), extra...)
	return &rpcMethod{name: name, attrs: attrSet{attrs: attrs}}
}

// on returns the method's attributes for a call on a connection whose
// local address has the attributes la (nil: none known).
func (m *rpcMethod) on(la *localAttrs) *attrSet {
	if la == nil {
		return &m.attrs
	}
	if ls := m.local.Load(); ls != nil && ls.local == la {
		return &ls.set
	}
	ls := &localSet{local: la, set: attrSet{attrs: append(slices.Clip(m.attrs.attrs), la.attrs...)}}
	m.local.Store(ls)
	return &ls.set
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

// grpcServerMethod returns what the server spans of a method share.
func (cs *calls) grpcServerMethod(method string) *rpcMethod {
	if m, ok := cs.grpcServer.get(method); ok {
		return m
	}
	return cs.grpcServer.add(method, newRPCMethod(method))
}

// startGRPCServer continues the caller's trace, read from the call's
// metadata, with the server span of the call.
func (r *run) startGRPCServer(ctx context.Context, c *core.Call) context.Context {
	m := r.calls.grpcServerMethod(c.Method)
	if c.Header != nil {
		ctx = r.prop.Extract(ctx, c.Header)
	}
	ctx, _ = r.tracer.Start(ctx, m.name, serverKind...)
	return ctx
}

// clientKey identifies what the spans of a client's calls share: the
// target and the method.
type clientKey struct{ target, method string }

// grpcClientMethod returns what the client spans of a call's method and
// target share.
func (cs *calls) grpcClientMethod(c *core.Call) *rpcMethod {
	key := clientKey{c.Target, c.Method}
	if m, ok := cs.grpcClient.get(key); ok {
		return m
	}
	var server []attribute.KeyValue
	if c.Target != "" {
		server = addrAttrs(c.Target)
	}
	return cs.grpcClient.add(key, newRPCMethod(c.Method, server...))
}

// startGRPCClient starts the client span of a call, a child of the span
// ctx carries, and writes its trace context into the call's metadata.
func (r *run) startGRPCClient(ctx context.Context, c *core.Call) context.Context {
	ctx, _ = r.tracer.Start(ctx, r.calls.grpcClientMethod(c).name, clientKind...)
	if c.Header != nil {
		r.prop.Inject(ctx, c.Header)
	}
	return ctx
}
