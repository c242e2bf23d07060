package http

import (
	"context"
	"net"
	nethttp "net/http"
	"net/textproto"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mikros-go/mikros/core"
)

// connection is the kind's state for one connection: the server's
// ConnContext makes it, and the context of every request read from the
// connection descends from it. It tells the kind the connection's local
// address, and when an HTTP/1.x connection had its first request (see
// Kind.arrived). It holds nothing of any request: the context of a
// request, kept after its handler returned, must not answer for another.
type connection struct {
	context.Context // the context the server gives the connection

	local net.Addr    // the connection's local address
	asked atomic.Bool // a request reached the kind (HTTP/1.x only)
	fresh bool        // no request yet; guarded by the kind's connTracker
}

// connectionKey is the context key under which a connection answers for
// itself.
type connectionKey struct{}

// Value returns the connection for connectionKey, and asks the parent
// context otherwise.
func (c *connection) Value(key any) any {
	if key == (connectionKey{}) {
		return c
	}
	return c.Context.Value(key)
}

// connContext gives a connection its state, as the server's ConnContext
// does (see Kind.trackedConnContext).
func connContext(ctx context.Context, conn net.Conn) context.Context {
	return newConnection(ctx, conn)
}

// newConnection returns the state of conn, whose context is ctx.
func newConnection(ctx context.Context, conn net.Conn) *connection {
	return &connection{Context: ctx, local: conn.LocalAddr()}
}

// connectionOf returns the connection r was read from, or nil when r did
// not come from the kind's server.
func connectionOf(r *nethttp.Request) *connection {
	c, _ := r.Context().Value(connectionKey{}).(*connection)
	return c
}

// observedExchange is an exchange with the call its observers see, so
// that one allocation carries both.
type observedExchange struct {
	exchange
	call core.Call
	body requestBody
}

// serveObserved is serve inside a call that the observers of
// Setup.Calls see: the call starts once the request has its id, and ends
// once the handler returned or panicked and recovery answered, with the
// status sent and the bytes read and written.
func (k *Kind) serveObserved(w nethttp.ResponseWriter, r *nethttp.Request) {
	ox := &observedExchange{exchange: exchange{Context: r.Context(), kind: k}}
	x := &ox.exchange
	x.w.ResponseWriter = w
	if hasBody(r) {
		x.body = &ox.body
	}
	k.identify(x, w, r)
	k.closeAfter(w, r)
	conn := connectionOf(r)
	if conn != nil && r.ProtoMajor == 1 {
		k.settle(conn)
	}
	call := &ox.call
	call.Protocol = "http"
	call.Method = r.Method
	call.Request = r
	call.Header = headerCarrier(r.Header)
	if conn != nil {
		call.Local = conn.local
	}
	call.Start = time.Now()
	ctx := k.calls.StartCall(x, call) // the exchange: observers may ask for RequestID
	defer k.endCall(ctx, ox)
	// The handler gets the observers' context (with a span, say).
	hctx := ctx
	if ctx != x && exchangeOf(ctx) != x {
		// An observer's context that does not descend from the one it
		// was given: the request's id goes along all the same.
		hctx = &boundContext{Context: ctx, x: x}
	}
	r = x.handOver(r, hctx)
	call.Request = r // the request the handler gets: a ServeMux sets its Pattern
	defer x.recover(r)
	if !k.limitBody(x, w, r) {
		return
	}
	x.readThrough(r)
	k.next.ServeHTTP(&x.w, r)
}

// endCall gives the call its outcome and ends it. It is deferred: the only
// panic that reaches it is http.ErrAbortHandler (see exchange.recover),
// which cut the response, and which it passes on once the call ended.
func (k *Kind) endCall(ctx context.Context, ox *observedExchange) {
	cut := recover()
	call := &ox.call
	call.End = time.Now()
	call.Code = ox.w.status
	if call.Code == 0 {
		call.Code = nethttp.StatusOK // what the server sends for a handler that wrote nothing
	}
	call.Aborted = cut != nil
	call.RequestBytes = ox.body.n
	call.ResponseBytes = ox.w.written
	k.calls.EndCall(ctx, call)
	if cut != nil {
		panic(cut)
	}
}

// arrived records that r reached the kind: the first request of an
// HTTP/1.x connection tells the kind that the connection no longer waits
// for one (an HTTP/2 connection is settled once set up; see connState).
func (k *Kind) arrived(r *nethttp.Request) {
	if r.ProtoMajor != 1 {
		return
	}
	if c := connectionOf(r); c != nil {
		k.settle(c)
	}
}

// settle tells the kind, on c's first request, that c no longer waits for
// one.
func (k *Kind) settle(c *connection) {
	if !c.asked.Load() && !c.asked.Swap(true) {
		k.conns.answered(c)
	}
}

// boundContext is an observer's context that does not descend from the
// exchange it was given, with the exchange, which RequestID finds.
type boundContext struct {
	context.Context
	x *exchange
}

// Value returns the exchange for exchangeKey, and asks the observer's
// context otherwise.
func (c *boundContext) Value(key any) any {
	if key == (exchangeKey{}) {
		return c.x
	}
	return c.Context.Value(key)
}

// headerCarrier is a server's [core.Carrier] over a request's headers.
// Propagators ask for lower-case keys ("traceparent"), which a Header must
// canonicalize ("Traceparent") to look up: the kind keeps the canonical
// forms of the keys it was asked for, so that a lookup allocates nothing.
type headerCarrier nethttp.Header

var _ core.Carrier = headerCarrier(nil)

// Get returns the first value of key, or "".
func (c headerCarrier) Get(key string) string {
	if v := c[canonicalKey(key)]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// Values returns every value of key, for propagators that read a header
// sent several times (baggage).
func (c headerCarrier) Values(key string) []string { return c[canonicalKey(key)] }

// Set does nothing: a server's incoming headers are not written.
func (headerCarrier) Set(string, string) {}

// Keys lists the request's header names, in canonical form.
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
