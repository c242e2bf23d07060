package http

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	nethttp "net/http"
	"runtime/debug"
	"strconv"

	merrors "github.com/mikros-go/mikros/features/errors"
)

// requestIDHeader is X-Request-ID in the canonical form that
// net/http keys headers by.
const requestIDHeader = "X-Request-Id"

// maxRequestIDLen is the longest request id taken from a request.
const maxRequestIDLen = 128

// exchange is the kind's state for one request: the request's id, the
// writer that remembers whether the response began, and the request the
// handler gets, in one allocation. Every step of the middleware lives in
// serve and in exchange's methods rather than in a chain of handlers, each
// of which would cost an allocation and an indirect call.
//
// The exchange is the context of the request the handler gets (or, with
// observers that return a context of their own, that context's parent):
// RequestID finds it through the context, whichever of its descendants
// asks and for as long as any is kept. That request is a copy of the
// server's (r.WithContext), kept in the exchange's own allocation.
type exchange struct {
	context.Context // the request's context, as the server made it

	w    responseWriter
	kind *Kind
	id   [1]string       // the request's id, as the response header's value: a slice of it allocates nothing
	body *requestBody    // the request's body as the handler reads it; nil without one
	req  nethttp.Request // the request the handler gets (see handOver)
}

// bodyExchange is the exchange of a request with a body, and the body, in
// one allocation.
type bodyExchange struct {
	exchange
	body requestBody
}

// requestBody is a request's body as the handler reads it: it counts the
// bytes read and remembers how reading ended, so that [Error] can tell a
// client's mistake from the server's.
type requestBody struct {
	io.ReadCloser
	n   int64 // bytes read
	err error // the latest error a Read returned, other than io.EOF
	eof bool  // a Read returned io.EOF: the body ended
}

// Read reads from the body, and counts and remembers what it read.
func (b *requestBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n += int64(n)
	if err == io.EOF {
		b.eof = true
	} else if err != nil {
		b.err = err
	}
	return n, err
}

// newExchange returns the exchange of r, with room for its body when it
// has one.
func (k *Kind) newExchange(w nethttp.ResponseWriter, r *nethttp.Request) *exchange {
	var x *exchange
	if hasBody(r) {
		bx := &bodyExchange{}
		x = &bx.exchange
		x.body = &bx.body
	} else {
		x = &exchange{}
	}
	x.Context, x.kind, x.w.ResponseWriter = r.Context(), k, w
	return x
}

// hasBody reports whether r comes with a body (net/http gives a request
// without one http.NoBody).
func hasBody(r *nethttp.Request) bool {
	return r.Body != nil && r.Body != nethttp.NoBody
}

// handOver returns the request the handler gets: r with the context ctx,
// which is the exchange or descends from it. The copy is the exchange's
// own, so that it costs no allocation of its own.
func (x *exchange) handOver(r *nethttp.Request, ctx context.Context) *nethttp.Request {
	x.req = *r.WithContext(ctx) // inlined: the copy WithContext makes does not escape
	return &x.req
}

// readThrough makes the handler read r's body through x.body.
func (x *exchange) readThrough(r *nethttp.Request) {
	if x.body != nil {
		x.body.ReadCloser = r.Body
		r.Body = x.body
	}
}

// exchangeKey is the context key under which an exchange answers for
// itself.
type exchangeKey struct{}

// Value returns the exchange for exchangeKey, and asks the parent context
// otherwise.
func (x *exchange) Value(key any) any {
	if key == (exchangeKey{}) {
		return x
	}
	return x.Context.Value(key)
}

// exchangeOf returns the exchange of the request whose context ctx is (or
// descends from), or nil when the request did not come through the kind.
func exchangeOf(ctx context.Context) *exchange {
	x, _ := ctx.Value(exchangeKey{}).(*exchange)
	return x
}

// RequestID returns the id of the request whose context ctx is (or
// descends from): the request's X-Request-ID when it was sane, or the id
// the kind made for it. It returns "" for a context that did not come from
// the kind.
//
// The id is the request's own for as long as ctx is kept, also after the
// handler returned: in a goroutine the handler started, or in the handler
// that [net/http.TimeoutHandler] gave up on, while the connection serves
// other requests.
func RequestID(ctx context.Context) string {
	if x := exchangeOf(ctx); x != nil {
		return x.id[0]
	}
	return ""
}

// serve is the kind's handler: it gives the request its id, bounds its
// body and reads it through the exchange, recovers a panic, and calls the
// service's handler. With an
// observer, serveObserved does the same inside the observed call.
func (k *Kind) serve(w nethttp.ResponseWriter, r *nethttp.Request) {
	if k.calls != nil {
		k.serveObserved(w, r)
		return
	}
	x := k.newExchange(w, r)
	k.identify(x, w, r)
	k.closeAfter(w, r)
	k.arrived(r)
	r = x.handOver(r, x)
	defer x.recover(r)
	if !k.limitBody(x, w, r) {
		return
	}
	x.readThrough(r)
	k.next.ServeHTTP(&x.w, r)
}

// identify gives the request its id: the one it came with when that is
// sane, or a new one. It sets it on the response.
func (k *Kind) identify(x *exchange, w nethttp.ResponseWriter, r *nethttp.Request) {
	if v := r.Header[requestIDHeader]; len(v) == 1 && saneRequestID(v[0]) {
		x.id[0] = v[0]
	} else {
		x.id[0] = k.newRequestID()
	}
	w.Header()[requestIDHeader] = x.id[:]
}

// limitBody bounds the request's body to max_body_bytes. It answers 413
// and returns false, without reading the body, when its Content-Length is
// over.
func (k *Kind) limitBody(x *exchange, w nethttp.ResponseWriter, r *nethttp.Request) bool {
	if r.ContentLength > k.set.MaxBodyBytes {
		x.body = nil // not read
		Error(&x.w, r, &nethttp.MaxBytesError{Limit: k.set.MaxBodyBytes})
		return false
	}
	if r.Body != nil && r.Body != nethttp.NoBody {
		// The server's own writer, not ours: it is told to close the
		// connection once the limit is hit.
		r.Body = nethttp.MaxBytesReader(w, r.Body, k.set.MaxBodyBytes)
	}
	return true
}

// recover turns a panic in the handler into a 500 problem, logged with
// its stack unless the kind's StackLimiter holds it back as a repeat.
// When the response had already begun, the connection is cut instead (by
// panicking with http.ErrAbortHandler, which the server does not log), so
// that the client cannot take a partial response for a whole one. A panic
// with http.ErrAbortHandler itself goes on as it is.
func (x *exchange) recover(r *nethttp.Request) {
	v := recover()
	if v == nil {
		return
	}
	if v == nethttp.ErrAbortHandler { // compared as the server does
		panic(v)
	}
	p := merrors.New(merrors.Internal, "internal error").Problem()
	p.Instance = r.URL.Path
	stack := debug.Stack()
	if ok, suppressed, since := x.kind.panics.Allow(stack); ok {
		attrs := append(requestAttrs(x, r, p.Status), slog.String("panic", fmt.Sprint(v)), slog.String("stack", string(stack)))
		if suppressed > 0 {
			attrs = append(attrs, slog.Int("suppressed", suppressed), slog.Time("suppressed_since", since))
		}
		x.kind.log.LogAttrs(r.Context(), slog.LevelError, "http: panic serving request", attrs...)
	}
	if x.w.status != 0 {
		panic(nethttp.ErrAbortHandler)
	}
	writeProblem(&x.w, p)
}

// newRequestID returns a new request id: the kind's random prefix and the
// next number, in hex.
func (k *Kind) newRequestID() string {
	var buf [len(k.idPrefix) + 16]byte
	b := append(buf[:0], k.idPrefix[:]...)
	return string(strconv.AppendUint(b, k.idSeq.Add(1), 16))
}

// saneRequestID reports whether a request id from a client may be used:
// 1 to 128 visible ASCII characters, so that it cannot forge log lines or
// headers.
func saneRequestID(id string) bool {
	if id == "" || len(id) > maxRequestIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; c <= ' ' || c > '~' {
			return false
		}
	}
	return true
}

// requestAttrs are the log fields that say which request a line is about.
func requestAttrs(x *exchange, r *nethttp.Request, status int) []slog.Attr {
	attrs := make([]slog.Attr, 0, 8)
	if x != nil {
		attrs = append(attrs, slog.String("request.id", x.id[0]))
	}
	return append(attrs,
		slog.String("http.request.method", r.Method),
		slog.String("url.path", r.URL.Path),
		slog.Int("http.response.status_code", status))
}

// responseWriter is the writer handlers get: it remembers whether, and
// with which status, the response began. It lets through the optional
// interfaces handlers use (Flusher, Hijacker, io.ReaderFrom) and unwraps
// for http.ResponseController.
type responseWriter struct {
	nethttp.ResponseWriter
	status  int   // 0 until the response began
	written int64 // bytes of the body written through Write and ReadFrom
}

func (w *responseWriter) WriteHeader(code int) {
	w.ResponseWriter.WriteHeader(code)
	// 1xx responses other than 101 are interim: the real one follows.
	if w.status == 0 && (code >= 200 || code == nethttp.StatusSwitchingProtocols) {
		w.status = code
	}
}

func (w *responseWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = nethttp.StatusOK
	}
	n, err := w.ResponseWriter.Write(p)
	w.written += int64(n)
	return n, err
}

// ReadFrom keeps io.Copy into the response as fast as the server's own
// writer makes it (sendfile for files).
func (w *responseWriter) ReadFrom(src io.Reader) (int64, error) {
	if w.status == 0 {
		w.status = nethttp.StatusOK
	}
	var n int64
	var err error
	if rf, ok := w.ResponseWriter.(io.ReaderFrom); ok {
		n, err = rf.ReadFrom(src)
	} else {
		n, err = io.Copy(struct{ io.Writer }{w.ResponseWriter}, src)
	}
	w.written += n
	return n, err
}

// Flush sends what was written so far, when the server's writer can.
func (w *responseWriter) Flush() {
	if w.status == 0 {
		w.status = nethttp.StatusOK
	}
	_ = nethttp.NewResponseController(w.ResponseWriter).Flush()
}

// Hijack hands the connection over to the handler, when the server's
// writer can.
func (w *responseWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, rw, err := nethttp.NewResponseController(w.ResponseWriter).Hijack()
	if err == nil {
		w.status = nethttp.StatusSwitchingProtocols
	}
	return c, rw, err
}

// Unwrap returns the server's writer, for http.ResponseController.
func (w *responseWriter) Unwrap() nethttp.ResponseWriter { return w.ResponseWriter }
