package http

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	nethttp "net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mikros-go/mikros/core"
	"github.com/mikros-go/mikros/core/definition"
	"github.com/mikros-go/mikros/core/drain"
	merrors "github.com/mikros-go/mikros/features/errors"
)

// Service is what an HTTP service implements.
type Service interface {
	// HTTPHandler returns the handler that serves every request, such as
	// an *http.ServeMux with method and wildcard patterns
	// ("GET /orders/{id}"). It is called once, when the kind starts: after
	// the features started and the service's feature fields were set.
	HTTPHandler() nethttp.Handler
}

// Kind serves a service's handler over HTTP/1.1, and over HTTP/2 on a TLS
// listener given with [WithListener] that offers "h2". The zero value is
// not usable; call New. A Kind serves one run of one service.
type Kind struct {
	given net.Listener // from WithListener

	svc  Service
	set  settings
	port int
	log  *slog.Logger

	// Request ids are made of a random prefix, one per Kind, and a
	// counter: unique across instances without a random read per request.
	idPrefix [17]byte // 16 hex digits and '-'
	idSeq    atomic.Uint64

	next    nethttp.Handler   // the service's handler
	handler nethttp.Handler   // next, wrapped by serve
	calls   core.CallObserver // Setup.Calls: nil when no feature observes calls

	serving     chan struct{} // closed once the server accepts connections
	servingOnce sync.Once
	stopping    atomic.Bool // Stop began: responses close their connections
	conns       connTracker
	panics      *merrors.StackLimiter // which panics are logged with their stack

	mu  sync.Mutex
	ln  *drain.Listener
	srv *nethttp.Server
}

var (
	_ core.Kind       = (*Kind)(nil)
	_ core.Configurer = (*Kind)(nil)
	_ core.Listener   = (*Kind)(nil)
	_ core.Starter    = (*Kind)(nil)
	_ core.Stopper    = (*Kind)(nil)

	_ core.ServeNotifier = (*Kind)(nil)
)

// Option adjusts a Kind.
type Option func(*Kind)

// WithListener makes the kind serve on ln instead of binding its address
// and port; tests pass a listener on 127.0.0.1:0. A TLS listener
// (crypto/tls.NewListener) whose configuration lists "h2" in NextProtos
// serves HTTP/2 to the clients that ask for it. The kind closes ln when it
// stops.
func WithListener(ln net.Listener) Option {
	return func(k *Kind) { k.given = ln }
}

// New returns the http kind, to pass to core.WithKinds.
func New(opts ...Option) *Kind {
	k := &Kind{log: slog.Default(), serving: make(chan struct{})}
	k.panics = merrors.NewStackLimiter(panicLogInterval)
	var seed [8]byte
	_, _ = rand.Read(seed[:]) // never fails: crypto/rand crashes the program instead
	hex.Encode(k.idPrefix[:16], seed[:])
	k.idPrefix[16] = '-'
	for _, o := range opts {
		o(k)
	}
	k.handler = nethttp.HandlerFunc(k.serve)
	return k
}

// Name returns "http".
func (*Kind) Name() string { return "http" }

// DefaultPort returns [DefaultPort], 8080.
func (*Kind) DefaultPort() int { return DefaultPort }

// Configure decodes [services.http] and checks that the service has an
// HTTPHandler method. Every problem is placed at its key; a service without
// the method is a problem at types. It keeps s.Calls, the features that
// observe the requests the kind serves.
func (k *Kind) Configure(s *core.Setup) error {
	set, err := decodeSettings(s.Settings)
	var problems definition.Problems
	if err != nil && !errors.As(err, &problems) {
		return err
	}
	k.set, k.port, k.calls = set, s.Port, s.Calls
	if s.Logger != nil {
		k.log = s.Logger
	}
	if s.Service == nil {
		return problems.Err() // checking a definition alone
	}
	svc, ok := s.Service.(Service)
	if !ok {
		problems = append(problems, s.Definition.Problem("types", "kind http: the service (%T) has no method HTTPHandler() http.Handler", s.Service))
	}
	k.svc = svc
	return problems.Err()
}

// Start asks the service for its handler and binds the listener (address
// and port, or the one given with [WithListener]), so that a port in use
// fails the boot with an error that names it. The kind's own listener is
// a plain TCP one ([drain.Listen]), not Multipath TCP (which Go otherwise
// uses for listeners on Linux): Stop can hold new connections back only on
// the former.
func (k *Kind) Start(ctx context.Context) error {
	if k.svc == nil {
		return errors.New("no service: Configure did not run with one")
	}
	next := k.svc.HTTPHandler()
	if next == nil {
		return fmt.Errorf("the service's HTTPHandler (%T) returned nil", k.svc)
	}
	var ln *drain.Listener
	if k.given != nil {
		ln = drain.Wrap(k.given)
	} else {
		var err error
		addr := net.JoinHostPort(k.set.Address, strconv.Itoa(k.port))
		if ln, err = drain.Listen(ctx, "tcp", addr); err != nil {
			if cerr := ctx.Err(); cerr != nil && errors.Is(err, cerr) {
				return err // the start was abandoned: no listener is left open
			}
			return fmt.Errorf("port %d: %w", k.port, err)
		}
	}
	k.next = next
	srv := &nethttp.Server{
		Handler:           k.handler,
		ReadHeaderTimeout: k.set.ReadHeaderTimeout,
		ReadTimeout:       k.set.ReadTimeout,
		WriteTimeout:      k.set.WriteTimeout,
		IdleTimeout:       k.set.IdleTimeout,
		MaxHeaderBytes:    k.set.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(k.log.Handler(), slog.LevelWarn),
		BaseContext:       k.baseContext,
		ConnContext:       k.trackedConnContext,
		ConnState:         k.conns.connState,
	}
	k.mu.Lock()
	k.ln, k.srv = ln, srv
	k.mu.Unlock()
	k.log.Info("http listening", "address", ln.Addr().String())
	return nil
}

// Addr returns the address the kind listens on, or nil before Start.
func (k *Kind) Addr() net.Addr {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.ln == nil {
		return nil
	}
	return k.ln.Addr()
}

// Handler returns the handler the kind's server serves: the service's
// handler inside the kind's wrapper (request id, body limit, recovery, and
// the call the features that observe calls see, when any is enabled). It
// is valid once the kind started, and nil before. A request given to it
// takes the path it takes in the kind's server when its context descends
// from one that [Kind.ConnContext] made; benchmarks measure the kind's
// chain that way, without the transport.
func (k *Kind) Handler() nethttp.Handler {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.srv == nil {
		return nil
	}
	return k.handler
}

// ConnContext returns the context the kind's server gives a connection,
// derived from ctx, as the server's [net/http.Server.ConnContext] does.
// The context of every request read from conn descends from it, which
// gives the observers the connection's local address. It holds nothing of
// the requests (RequestID finds a request's id through the request's own
// context). Unlike the server's, it does not count conn among the
// connections Stop waits for.
func (k *Kind) ConnContext(ctx context.Context, conn net.Conn) context.Context {
	return connContext(ctx, conn)
}

// trackedConnContext is the server's ConnContext: ConnContext, and the
// connection counted among those that Stop waits for until their first
// request arrived.
func (k *Kind) trackedConnContext(ctx context.Context, conn net.Conn) context.Context {
	c := newConnection(ctx, conn)
	k.conns.add(conn, c)
	return c
}

// baseContext is the server's BaseContext, which Serve calls as it
// begins accepting connections: the kind serves.
func (k *Kind) baseContext(net.Listener) context.Context {
	k.servingOnce.Do(func() { close(k.serving) })
	return context.Background()
}

// Serving returns a channel that is closed once the kind serves: when Run
// began accepting connections on the listener. It implements
// [core.ServeNotifier].
func (k *Kind) Serving() <-chan struct{} { return k.serving }

// Run serves until Stop. It returns nil once Stop closed the server, and
// Serve's error if serving fails otherwise. ctx is not watched: shutdown
// cancels it before the kind's Stop, and the requests in flight must be
// allowed to finish.
func (k *Kind) Run(context.Context) error {
	k.mu.Lock()
	srv, ln := k.srv, k.ln
	k.mu.Unlock()
	if srv == nil {
		return errors.New("not started")
	}
	if err := srv.Serve(ln); !errors.Is(err, nethttp.ErrServerClosed) {
		return err
	}
	return nil
}

// Stop stops the server gracefully, in stages, so that no request it
// accepted goes unanswered:
//
//  1. Keep-alives go off: every HTTP/1.x response whose handler starts
//     from now on says "Connection: close" and closes its connection.
//     Idle keep-alive connections stay open, and a request they bring is
//     answered that way; Shutdown closes those still idle, and does not
//     run a request that crosses their closing (its client sends it
//     again, as HTTP/1.1 expects and net/http's Transport does for
//     idempotent requests). [net/http.Server.SetKeepAlivesEnabled] would
//     close them at once, and run such a request's handler on the closed
//     connection, whose client gets no answer.
//  2. New connections are held back (on Linux, see below), and the
//     connections already in the kernel's accept queue, whose clients
//     have sent their requests, are accepted and served until the queue
//     is found empty; then the listener is closed. Closing it with
//     connections in the queue would reset them.
//  3. Stop waits until no accepted connection is still waiting for its
//     first request, at most read_header_timeout: net/http's Shutdown
//     closes such a connection without an answer when its request
//     arrives after Shutdown began.
//  4. [net/http.Server.Shutdown]: the requests in flight finish, and
//     their connections close.
//
// Stages 1 to 3 run only when Run began serving. Stage 2 is
// [drain.Listener.Drain]: on Linux, a socket filter on the listening
// socket drops the packets that open new connections meanwhile, so the
// queue can only shrink; a client whose connection is held back tries
// again about a second later and is refused, since the listener is closed
// by then. Elsewhere, and for a listener that takes no filter (not on TCP,
// not giving its socket, or a Multipath TCP one: a listener given with
// [WithListener] from net.Listen on Linux), the queue is drained until it
// stays empty for 50ms, at most half a second, and a connection that
// enters it after that is reset when the listener closes. A listener
// without SetDeadline, such as a TLS one, is closed at once.
//
// When ctx ends first (the stop budget is spent), Stop closes every
// connection at once and returns an error that says the connections were
// cut. It returns as soon as ctx ends: handlers still running then, even
// those that ignore their context, are not waited for.
func (k *Kind) Stop(ctx context.Context) error {
	k.mu.Lock()
	srv, ln := k.srv, k.ln
	k.mu.Unlock()
	if srv == nil {
		return nil
	}
	defer k.logSuppressedPanics()
	select {
	case <-k.serving:
		if ctx.Err() == nil {
			k.drain(ctx, ln)
		}
	default: // Run never served: no connection was accepted
	}
	err := srv.Shutdown(ctx)
	_ = ln.Close() // when Run never served it; otherwise already closed
	if err != nil {
		_ = srv.Close()
		return fmt.Errorf("requests still in flight when the stop budget ran out; their connections were cut: %w", err)
	}
	return nil
}

// drain runs the stages of Stop before Shutdown: keep-alives off, the
// accept queue drained and the listener closed, and the wait for the
// connections that have not had their first request yet.
func (k *Kind) drain(ctx context.Context, ln *drain.Listener) {
	k.stopping.Store(true)
	rep, err := ln.Drain(ctx) // ends early too when Run returned: Serve closes ln
	begin := time.Now()
	settled := k.conns.waitFresh(ctx, k.set.ReadHeaderTimeout)
	attrs := []slog.Attr{
		slog.Bool("held_back", rep.HeldBack),
		slog.Int("accepted_while_draining", rep.Accepted),
		slog.Duration("drain", rep.Took),
		slog.Duration("first_requests_wait", time.Since(begin)),
		slog.Int64("waiting_for_first_request", k.conns.waiting()),
		slog.Bool("all_first_requests_arrived", settled),
	}
	if err != nil {
		attrs = append(attrs, slog.String("drain_cut", err.Error()))
	}
	k.log.LogAttrs(ctx, slog.LevelInfo, "http stopped accepting connections", attrs...)
}
