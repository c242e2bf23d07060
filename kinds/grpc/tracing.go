package grpc

import (
	"context"
	"io"
	"net"
	"slices"
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
	grpclib "google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
)

// The kind traces its calls with the OpenTelemetry API only; the SDK is
// the tracing feature's business. Nothing is attached unless a tracer
// provider was installed: OpenTelemetry's instrumentation costs even with
// its no-op provider (a span, a context and the attribute slices per call),
// so without a provider the kind's interceptors are exactly the untraced
// ones. With one, the traced interceptors replace them: still one
// interceptor per call type, with the span names, attribute slices and
// start options of each method made once, not per call.
//
// The spans follow the semantic conventions as
// go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc
// v0.72 writes them (semconv v1.43.0): what a service's traces show does
// not change when it moves from otelgrpc to the kind.
//
// Metrics come with the metrics feature: their instruments belong in
// [tracing] (made once per kind), and the attribute slices they record
// with in [rpcMethod] and [statusAttrs], so that recording costs no
// allocation for attributes either.

// instrumentationName names the kind's tracer (the instrumentation scope).
const instrumentationName = "github.com/mikros-go/mikros/kinds/grpc"

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

// tracing is what a kind traces with, server and clients alike. A nil
// *tracing means tracing is off.
type tracing struct {
	tracer trace.Tracer
	prop   propagation.TextMapPropagator
	// The metrics feature's instruments go here.
}

// detectTracing returns the kind's tracing when a tracer provider is
// installed, and nil otherwise.
func detectTracing() *tracing {
	tp := installedTracerProvider()
	if tp == nil {
		return nil
	}
	return newTracing(tp, otel.GetTextMapPropagator())
}

func newTracing(tp trace.TracerProvider, prop propagation.TextMapPropagator) *tracing {
	return &tracing{
		tracer: tp.Tracer(instrumentationName, trace.WithSchemaURL(semconv.SchemaURL)),
		prop:   prop,
	}
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
// whose local address has the attributes la (nil: none known). They are
// made once per method and local address, so that the span gets every
// attribute but its status at its start, which costs the SDK less than
// adding them later.
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

// statusAttrs holds, for each gRPC code, the one-attribute slice
// rpc.response.status_code that ends a span.
var statusAttrs = func() (a [codes.Unauthenticated + 1][]attribute.KeyValue) {
	for c := range a {
		a[c] = []attribute.KeyValue{semconv.RPCResponseStatusCode(codeName(codes.Code(c)))}
	}
	return a
}()

// statusAttr returns rpc.response.status_code for code.
func statusAttr(code codes.Code) []attribute.KeyValue {
	if int(code) < len(statusAttrs) {
		return statusAttrs[code]
	}
	return []attribute.KeyValue{semconv.RPCResponseStatusCode(codeName(code))}
}

// codeName returns the name gRPC's specification gives a code
// ("NOT_FOUND"), which is what rpc.response.status_code holds.
func codeName(c codes.Code) string {
	switch c {
	case codes.OK:
		return "OK"
	case codes.Canceled:
		return "CANCELLED"
	case codes.Unknown:
		return "UNKNOWN"
	case codes.InvalidArgument:
		return "INVALID_ARGUMENT"
	case codes.DeadlineExceeded:
		return "DEADLINE_EXCEEDED"
	case codes.NotFound:
		return "NOT_FOUND"
	case codes.AlreadyExists:
		return "ALREADY_EXISTS"
	case codes.PermissionDenied:
		return "PERMISSION_DENIED"
	case codes.ResourceExhausted:
		return "RESOURCE_EXHAUSTED"
	case codes.FailedPrecondition:
		return "FAILED_PRECONDITION"
	case codes.Aborted:
		return "ABORTED"
	case codes.OutOfRange:
		return "OUT_OF_RANGE"
	case codes.Unimplemented:
		return "UNIMPLEMENTED"
	case codes.Internal:
		return "INTERNAL"
	case codes.Unavailable:
		return "UNAVAILABLE"
	case codes.DataLoss:
		return "DATA_LOSS"
	case codes.Unauthenticated:
		return "UNAUTHENTICATED"
	}
	return "CODE(" + strconv.FormatUint(uint64(c), 10) + ")"
}

// serverFault reports whether a code means the server failed, which makes
// a server span's status Error; the others are the caller's doing.
func serverFault(c codes.Code) bool {
	switch c {
	case codes.Unknown, codes.DeadlineExceeded, codes.Unimplemented,
		codes.Internal, codes.Unavailable, codes.DataLoss:
		return true
	}
	return false
}

// endSpan sets the span's status and rpc.response.status_code from the
// call's error, and ends it. fault says which codes make the status Error.
func endSpan(span trace.Span, err error, fault func(codes.Code) bool) {
	code := codes.OK
	if err != nil {
		st, _ := status.FromError(err)
		code = st.Code()
		if fault(code) {
			span.SetStatus(otelcodes.Error, st.Message())
		}
	}
	span.SetAttributes(statusAttr(code)...)
	span.End()
}

// anyFault is the client's rule: every code but OK is an error.
func anyFault(c codes.Code) bool { return c != codes.OK }

// serverTracing is the server's side of tracing.
type serverTracing struct {
	*tracing
	methods map[string]*rpcMethod      // the registered methods, by full name; read-only once serving
	local   atomic.Pointer[localAttrs] // server.address and server.port of the last connection seen
}

// newServerTracing returns the server's tracing, with the span names and
// start options of the methods of services made once.
func newServerTracing(t *tracing, services map[string]grpclib.ServiceInfo) *serverTracing {
	st := &serverTracing{tracing: t, methods: map[string]*rpcMethod{}}
	for svc, info := range services {
		for _, m := range info.Methods {
			full := "/" + svc + "/" + m.Name
			st.methods[full] = newRPCMethod(full, trace.SpanKindServer)
		}
	}
	return st
}

// start extracts the caller's trace context from the call's metadata and
// starts the server span of the call.
func (t *serverTracing) start(ctx context.Context, fullMethod string) (context.Context, trace.Span) {
	m := t.methods[fullMethod]
	if m == nil { // a method not registered (an unknown-service handler): not cached, the name comes from the caller
		m = newRPCMethod(fullMethod, trace.SpanKindServer)
	}
	start := m.startOn(t.localAttrs(ctx))
	ctx = t.prop.Extract(ctx, &incomingCarrier{ctx: ctx})
	return t.tracer.Start(ctx, m.name, start...)
}

// localAttrs are server.address and server.port of a connection's local
// address.
type localAttrs struct {
	addr  net.Addr
	attrs []attribute.KeyValue
}

// localAttrs returns server.address and server.port of the call's
// connection: its local address; nil when the call has none. Most servers
// see one local address on every connection, so the last one is kept,
// and compared without allocating.
func (t *serverTracing) localAttrs(ctx context.Context) *localAttrs {
	p, ok := peer.FromContext(ctx)
	if !ok || p.LocalAddr == nil {
		return nil
	}
	if last := t.local.Load(); last != nil && sameAddr(last.addr, p.LocalAddr) {
		return last
	}
	la := &localAttrs{addr: p.LocalAddr, attrs: addrAttrs(p.LocalAddr.String())}
	t.local.Store(la)
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

// incomingCarrier reads a call's incoming metadata for a propagator,
// without copying all of it.
type incomingCarrier struct{ ctx context.Context }

func (c *incomingCarrier) Get(key string) string {
	if v := metadata.ValueFromIncomingContext(c.ctx, key); len(v) > 0 {
		return v[0]
	}
	return ""
}

func (*incomingCarrier) Set(string, string) {}

func (c *incomingCarrier) Keys() []string {
	md, _ := metadata.FromIncomingContext(c.ctx)
	keys := make([]string, 0, len(md))
	for k := range md {
		keys = append(keys, k)
	}
	return keys
}

// outgoingCarrier collects what a propagator injects, to be appended to a
// call's outgoing metadata.
type outgoingCarrier struct{ kv []string }

func (*outgoingCarrier) Get(string) string { return "" }

func (c *outgoingCarrier) Set(key, value string) { c.kv = append(c.kv, strings.ToLower(key), value) }

func (c *outgoingCarrier) Keys() []string {
	keys := make([]string, 0, len(c.kv)/2)
	for i := 0; i < len(c.kv); i += 2 {
		keys = append(keys, c.kv[i])
	}
	return keys
}

// tracedServerStream is a server stream whose context carries the call's
// span.
type tracedServerStream struct {
	grpclib.ServerStream
	ctx context.Context
}

func (s *tracedServerStream) Context() context.Context { return s.ctx }

// maxClientMethods bounds the methods whose span names and options a
// client keeps; a client calls the methods of its generated stubs, so the
// bound is only a guard.
const maxClientMethods = 1024

// clientTracing is the tracing of one client connection.
type clientTracing struct {
	*tracing
	server []attribute.KeyValue // server.address and server.port of the connection's target

	mu      sync.Mutex
	methods atomic.Pointer[map[string]*rpcMethod] // copied on write
}

func newClientTracing(t *tracing, target string) *clientTracing {
	return &clientTracing{tracing: t, server: addrAttrs(target)}
}

// method returns the span name and start options of a method, made on
// its first call.
func (t *clientTracing) method(fullMethod string) *rpcMethod {
	if ms := t.methods.Load(); ms != nil {
		if m := (*ms)[fullMethod]; m != nil {
			return m
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	var old map[string]*rpcMethod
	if ms := t.methods.Load(); ms != nil {
		old = *ms
	}
	if m := old[fullMethod]; m != nil {
		return m
	}
	m := newRPCMethod(fullMethod, trace.SpanKindClient, t.server...)
	if len(old) >= maxClientMethods {
		return m
	}
	ms := make(map[string]*rpcMethod, len(old)+1)
	for k, v := range old {
		ms[k] = v
	}
	ms[fullMethod] = m
	t.methods.Store(&ms)
	return m
}

// start starts the client span of a call and injects its context into the
// call's outgoing metadata.
func (t *clientTracing) start(ctx context.Context, fullMethod string) (context.Context, trace.Span) {
	m := t.method(fullMethod)
	ctx, span := t.tracer.Start(ctx, m.name, m.start...)
	c := &outgoingCarrier{}
	t.prop.Inject(ctx, c)
	if len(c.kv) > 0 {
		ctx = metadata.AppendToOutgoingContext(ctx, c.kv...)
	}
	return ctx, span
}

// unaryTraced is caller.unary with a client span around the call.
func (c *caller) unaryTraced(ctx context.Context, method string, req, reply any, cc *grpclib.ClientConn, invoker grpclib.UnaryInvoker, opts ...grpclib.CallOption) error {
	if c.timeout > 0 {
		if _, ok := ctx.Deadline(); !ok {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, c.timeout)
			defer cancel()
		}
	}
	ctx, span := c.tracing.start(ctx, method)
	err := invoker(ctx, method, req, reply, cc, opts...)
	endSpan(span, err, anyFault)
	if err != nil {
		return c.fromStatus(err)
	}
	return nil
}

// streamTraced is caller.stream with a client span that lasts as long as
// the stream.
func (c *caller) streamTraced(ctx context.Context, desc *grpclib.StreamDesc, cc *grpclib.ClientConn, method string, streamer grpclib.Streamer, opts ...grpclib.CallOption) (grpclib.ClientStream, error) {
	ctx, span := c.tracing.start(ctx, method)
	cs, err := streamer(ctx, desc, cc, method, opts...)
	if err != nil {
		endSpan(span, err, anyFault)
		return nil, c.fromStatus(err)
	}
	s := &tracedClientStream{clientStream: clientStream{ClientStream: cs, c: c}, desc: desc, span: span}
	// A stream its caller abandons by canceling its context ends there.
	s.stop = context.AfterFunc(ctx, func() { s.end(status.FromContextError(ctx.Err()).Err()) })
	return s, nil
}

// tracedClientStream ends its span when the stream ends: when a receive
// returns its status (io.EOF is OK), after the one response of a stream
// that is not server-streaming, when a send or the headers fail, or when
// the caller's context ends first.
type tracedClientStream struct {
	clientStream
	desc  *grpclib.StreamDesc
	span  trace.Span
	stop  func() bool
	ended atomic.Bool
}

// finish ends the span with the stream's error (nil: OK).
func (s *tracedClientStream) finish(err error) {
	s.stop()
	s.end(err)
}

// end ends the span, once.
func (s *tracedClientStream) end(err error) {
	if !s.ended.Swap(true) {
		endSpan(s.span, err, anyFault)
	}
}

func (s *tracedClientStream) RecvMsg(m any) error {
	err := s.ClientStream.RecvMsg(m)
	switch {
	case err == io.EOF:
		s.finish(nil)
	case err != nil:
		s.finish(err)
	case !s.desc.ServerStreams:
		s.finish(nil)
	}
	return s.c.streamErr(err)
}

func (s *tracedClientStream) SendMsg(m any) error {
	err := s.ClientStream.SendMsg(m)
	if err != nil && err != io.EOF { // io.EOF: the stream ended, and RecvMsg tells how
		s.finish(err)
	}
	return s.c.streamErr(err)
}

func (s *tracedClientStream) Header() (metadata.MD, error) {
	md, err := s.ClientStream.Header()
	if err != nil {
		s.finish(err)
	}
	return md, s.c.streamErr(err)
}
