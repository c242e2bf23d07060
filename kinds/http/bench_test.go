package http

import (
	"context"
	"errors"
	"log/slog"
	"net"
	nethttp "net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/mikros-go/mikros/core"
	merrors "github.com/mikros-go/mikros/features/errors"
)

// BenchmarkHTTPChain measures what the kind's middleware adds to a request:
// the handler called directly (bare), and through the kind's wrapper as the
// server calls it (mikros), with the request's context descending from the
// connection's, as the server makes it. The budget is +400ns and +5
// allocations. Besides the time per request, the benchmarks report the
// process's CPU time per request (cpu-ns/op), which other work on the
// machine skews less.
//
//   - mikros/request-id-sent: the request brings a sane X-Request-ID.
//   - mikros/http2: the request is an HTTP/2 one, whose connection serves
//     several at once; the kind gives it the same context of its own
//     (r.WithContext, in the exchange's allocation) as an HTTP/1.x one.
//   - mikros-observed: a feature observes calls, with a no-op observer: the
//     kind's own cost of observing.
//   - mikros-observed/new-context: the observer returns a context of its
//     own, as tracing does with its span, which the handler must get.
func BenchmarkHTTPChain(b *testing.B) {
	hello := []byte("hello")
	h := nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write(hello)
	})
	plain := benchKind(b, h, nil)
	observed := benchKind(b, h, noopObserver{})
	withContext := benchKind(b, h, contextObserver{})

	for _, bc := range []struct {
		name  string
		h     nethttp.Handler
		id    string // X-Request-ID sent, if any
		proto int    // the request's major version; 1 unless set
	}{
		{name: "bare", h: h},
		{name: "mikros", h: plain.handler},
		{name: "mikros/request-id-sent", h: plain.handler, id: "0af7651916cd43dd8448eb211c80319c"},
		{name: "mikros/http2", h: plain.handler, proto: 2},
		{name: "mikros-observed", h: observed.handler},
		{name: "mikros-observed/new-context", h: withContext.handler},
	} {
		b.Run(bc.name, func(b *testing.B) {
			req := benchRequest(b, nethttp.MethodGet, "/hello")
			if bc.id != "" {
				req.Header.Set("X-Request-ID", bc.id)
			}
			if bc.proto == 2 {
				req.Proto, req.ProtoMajor, req.ProtoMinor = "HTTP/2.0", 2, 0
			}
			b.ReportAllocs()
			before := cpuTime(b)
			for b.Loop() {
				w := httptest.NewRecorder()
				bc.h.ServeHTTP(w, req)
				if w.Code != nethttp.StatusOK {
					b.Fatal(w.Code)
				}
			}
			reportCPU(b, before)
		})
	}
}

// BenchmarkError measures answering a request with a problem.
func BenchmarkError(b *testing.B) {
	k := benchKind(b, HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) error {
		return errNotFound
	}), nil)
	req := benchRequest(b, nethttp.MethodGet, "/orders/42")
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		k.handler.ServeHTTP(w, req)
		if w.Code != nethttp.StatusNotFound {
			b.Fatal(w.Code)
		}
	}
}

var errNotFound = merrors.New(merrors.NotFound, "order not found").WithCode("ORDER_NOT_FOUND")

// benchKind returns a kind configured with the defaults, serving h, and
// observed by calls when it is not nil, as Start leaves it but without a
// listener.
func benchKind(b *testing.B, h nethttp.Handler, calls core.CallObserver) *Kind {
	b.Helper()
	k := New()
	if err := k.Configure(&core.Setup{Service: handlerService{h}, Logger: slog.New(slog.DiscardHandler), Calls: calls}); err != nil {
		b.Fatal(err)
	}
	k.next = h // as Start sets it
	return k
}

// benchRequest returns a request whose context descends from a
// connection's, as the kind's server makes it: the connection's context
// (ConnContext), canceled when the connection ends, then the request's.
func benchRequest(b *testing.B, method, target string) *nethttp.Request {
	b.Helper()
	connCtx, cancelConn := context.WithCancel(connContext(context.Background(), addrConn{local: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8080}}))
	ctx, cancel := context.WithCancel(connCtx)
	b.Cleanup(func() { cancel(); cancelConn() })
	req := httptest.NewRequestWithContext(ctx, method, target, nil)
	req.Body = nethttp.NoBody // as the server gives a request without a body
	return req
}

// addrConn is a net.Conn that only has a local address.
type addrConn struct {
	net.Conn
	local net.Addr
}

func (c addrConn) LocalAddr() net.Addr { return c.local }

// noopObserver observes calls and does nothing.
type noopObserver struct{}

func (noopObserver) StartCall(ctx context.Context, _ *core.Call) context.Context { return ctx }
func (noopObserver) EndCall(context.Context, *core.Call)                         {}

// contextObserver gives every call a context of its own, as a tracer
// gives it a span.
type contextObserver struct{}

type observedKey struct{}

func (contextObserver) StartCall(ctx context.Context, c *core.Call) context.Context {
	return context.WithValue(ctx, observedKey{}, c)
}
func (contextObserver) EndCall(context.Context, *core.Call) {}

// runningKind returns a kind serving h on a loopback listener with the
// default settings, changed by set; it is stopped when the benchmark or
// test ends.
func runningKind(tb testing.TB, h nethttp.Handler, set func(*settings)) *Kind {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	k := New(WithListener(ln))
	if err := k.Configure(&core.Setup{Service: handlerService{h}, Logger: slog.New(slog.DiscardHandler)}); err != nil {
		tb.Fatal(err)
	}
	if set != nil {
		set(&k.set)
	}
	if err := k.Start(context.Background()); err != nil {
		tb.Fatal(err)
	}
	ran := make(chan error, 1)
	go func() { ran <- k.Run(context.Background()) }()
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = k.Stop(ctx)
		if err := <-ran; err != nil && !errors.Is(err, nethttp.ErrServerClosed) {
			tb.Errorf("Run: %v", err)
		}
	})
	return k
}

// BenchmarkDeadlines measures what net/http does to a connection's
// deadlines for each request of a keep-alive HTTP/1.1 connection, on
// loopback TCP connections taking requests in turn (64, as many as
// bench/load.sh's wrk keeps open): with the kind's defaults
// (read_header_timeout and idle_timeout only), and with read_timeout and
// write_timeout set too. Their difference is what those two settings cost
// every request, without the rest of a round trip, whose variation hides
// it.
func BenchmarkDeadlines(b *testing.B) {
	const conns = 64
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, conns)
	go func() {
		defer close(accepted)
		for range conns {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted <- c
		}
	}()
	server := make([]net.Conn, 0, conns)
	for range conns {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		sc, ok := <-accepted
		if !ok {
			b.Fatal("a connection was not accepted")
		}
		defer sc.Close()
		server = append(server, sc)
	}

	for _, bc := range []struct {
		name        string
		read, write time.Duration
	}{
		{name: "defaults"},
		{name: "read-write-timeouts", read: 30 * time.Second, write: 60 * time.Second},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			before := cpuTime(b)
			i := 0
			for b.Loop() {
				conn := server[i%conns]
				i++
				// As net/http's conn.serve and readRequest do, in order.
				_ = conn.SetReadDeadline(time.Now().Add(DefaultIdleTimeout)) // waiting for the request
				_ = conn.SetReadDeadline(time.Now().Add(DefaultReadHeaderTimeout))
				t0 := time.Now()
				var whole time.Time
				if bc.read > 0 {
					whole = t0.Add(bc.read)
				}
				_ = conn.SetReadDeadline(whole) // the body
				if bc.write > 0 {
					_ = conn.SetWriteDeadline(time.Now().Add(bc.write)) // the response
				}
				_ = conn.SetWriteDeadline(time.Time{}) // once the response was written
			}
			reportCPU(b, before)
		})
	}
}
