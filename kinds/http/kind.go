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

	"github.com/mikros-go/mikros/core"
	"github.com/mikros-go/mikros/core/definition"
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

	mu  sync.Mutex
	ln  net.Listener
	srv *nethttp.Server
}

var (
	_ core.Kind       = (*Kind)(nil)
	_ core.Configurer = (*Kind)(nil)
	_ core.Listener   = (*Kind)(nil)
	_ core.Starter    = (*Kind)(nil)
	_ core.Stopper    = (*Kind)(nil)
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
	k := &Kind{log: slog.Default()}
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
// fails the boot with an error that names it.
func (k *Kind) Start(ctx context.Context) error {
	if k.svc == nil {
		return errors.New("no service: Configure did not run with one")
	}
	next := k.svc.HTTPHandler()
	if next == nil {
		return fmt.Errorf("the service's HTTPHandler (%T) returned nil", k.svc)
	}
	ln := k.given
	if ln == nil {
		addr := net.JoinHostPort(k.set.Address, strconv.Itoa(k.port))
		var lc net.ListenConfig
		var err error
		if ln, err = lc.Listen(ctx, "tcp", addr); err != nil {
			return fmt.Errorf("port %d: %w", k.port, err)
		}
		if err := ctx.Err(); err != nil {
			_ = ln.Close() // the start was abandoned: nobody will stop the kind
			return err
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
		ConnContext:       connContext,
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
// derived from ctx: it is the server's [net/http.Server.ConnContext]. The
// context of every request read from conn descends from it, which lets the
// kind find the id of an HTTP/1.x request through its connection, and the
// observers the connection's local address.
func (k *Kind) ConnContext(ctx context.Context, conn net.Conn) context.Context {
	return connContext(ctx, conn)
}

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

// Stop stops the server gracefully, as [net/http.Server.Shutdown] does: it
// closes the listener, closes idle connections, and waits for the requests
// in flight to finish and their connections to go idle. When ctx ends first
// (the stop budget is spent), it closes every connection at once and
// returns an error that says the connections were cut. Handlers still
// running then are not waited for.
func (k *Kind) Stop(ctx context.Context) error {
	k.mu.Lock()
	srv, ln := k.srv, k.ln
	k.mu.Unlock()
	if srv == nil {
		return nil
	}
	err := srv.Shutdown(ctx)
	_ = ln.Close() // when Run never served it; otherwise already closed
	if err != nil {
		_ = srv.Close()
		return fmt.Errorf("requests still in flight when the stop budget ran out; their connections were cut: %w", err)
	}
	return nil
}
