package tracing

import (
	"context"
	"sync"
	"sync/atomic"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/mikros-go/mikros/core"
)

// The feature makes the spans of the kinds' calls from the core.Call each
// kind describes them with. Their names, kinds, statuses and attributes are
// those of OpenTelemetry's semantic conventions as the contrib
// instrumentations otelgrpc and otelhttp v0.72 write them (semconv
// v1.43.0), so that a service's traces look the same whichever of them
// made them.
//
// What the spans of a method or a route share (names, start options,
// attribute slices, the attribute of each status code) is made once and
// kept, so that a call pays for its span, not for describing it.

// Protocols of the kinds of this repository (core.Call.Protocol).
const (
	protocolGRPC = "grpc"
	protocolHTTP = "http"
)

// The start options of server and client spans, made once: a variadic
// argument made at the call would be allocated for each span.
var (
	serverKind = []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindServer)}
	clientKind = []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindClient)}
)

// calls is what the spans of one run's calls share.
type calls struct {
	grpcServer cache[string, *rpcMethod]           // by full method
	grpcClient cache[clientKey, *rpcMethod]        // by target and full method
	local      atomic.Pointer[localAttrs]          // of the last server connection seen
	routes     cache[routeKey, *route]             // by method and pattern
	httpClient cache[string, []attribute.KeyValue] // server.address and server.port by target
}

// StartCall starts the span of a call a kind serves or sends, and returns
// ctx carrying it. A server call's span continues the trace of the
// caller, read from c.Header; a client call's span is a child of the span
// ctx carries, and its trace context is written into c.Header for the
// server. Before Start, it returns ctx as it is.
func (f *Feature) StartCall(ctx context.Context, c *core.Call) context.Context {
	r := f.run.Load()
	if r == nil {
		return ctx
	}
	switch c.Protocol {
	case protocolGRPC:
		if c.Client {
			return r.startGRPCClient(ctx, c)
		}
		return r.startGRPCServer(ctx, c)
	case protocolHTTP:
		if c.Client {
			return r.startHTTPClient(ctx, c)
		}
		return r.startHTTPServer(ctx, c)
	}
	return r.startOther(ctx, c)
}

// EndCall sets the outcome of the call on the span StartCall started,
// which ctx carries, and ends it.
func (f *Feature) EndCall(ctx context.Context, c *core.Call) {
	r := f.run.Load()
	if r == nil {
		return
	}
	span := trace.SpanFromContext(ctx)
	if !span.IsRecording() {
		span.End()
		return
	}
	switch c.Protocol {
	case protocolGRPC:
		r.endGRPC(span, c)
	case protocolHTTP:
		if c.Client {
			endHTTPClient(span, c)
		} else {
			r.endHTTPServer(span, c)
		}
	default:
		span.End()
	}
}

// startOther starts the span of a call of a protocol the feature has no
// conventions for: named after its method (or its protocol), with no
// attributes.
func (r *run) startOther(ctx context.Context, c *core.Call) context.Context {
	name := c.Method
	if name == "" {
		name = c.Protocol
	}
	if c.Client {
		ctx, _ = r.tracer.Start(ctx, name, clientKind...)
		if c.Header != nil {
			r.prop.Inject(ctx, c.Header)
		}
		return ctx
	}
	if c.Header != nil {
		ctx = r.prop.Extract(ctx, c.Header)
	}
	ctx, _ = r.tracer.Start(ctx, name, serverKind...)
	return ctx
}

// maxCached bounds each cache. A service has as many methods and routes
// as it registered and calls as many as its code names, but a server's
// method or route can come from its callers (an unknown method); past the
// bound, what is not cached is made for each call.
const maxCached = 1024

// cache is a map read without locking and copied on write, for what is
// made once and read by every call.
type cache[K comparable, V any] struct {
	mu sync.Mutex
	m  atomic.Pointer[map[K]V]
}

// get returns the value kept for k.
func (c *cache[K, V]) get(k K) (V, bool) {
	if m := c.m.Load(); m != nil {
		v, ok := (*m)[k]
		return v, ok
	}
	var zero V
	return zero, false
}

// add keeps v for k unless a value is already kept for it, or the cache
// is full, and returns the value kept (v when none is).
func (c *cache[K, V]) add(k K, v V) V {
	c.mu.Lock()
	defer c.mu.Unlock()
	var old map[K]V
	if m := c.m.Load(); m != nil {
		old = *m
	}
	if kept, ok := old[k]; ok {
		return kept
	}
	if len(old) >= maxCached {
		return v
	}
	m := make(map[K]V, len(old)+1)
	for k, v := range old {
		m[k] = v
	}
	m[k] = v
	c.m.Store(&m)
	return v
}
