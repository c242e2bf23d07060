package grpc

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"os"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/mikros-go/mikros/core"
	"github.com/mikros-go/mikros/core/definition"
	"github.com/mikros-go/mikros/core/drain"
	merrors "github.com/mikros-go/mikros/features/errors"
	grpclib "google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"
)

// Service is what a gRPC service implements.
type Service interface {
	// RegisterGRPC registers the service's gRPC services on s, as in
	// pb.RegisterOrdersServer(s, svc). It is called once, while the kind
	// starts: after the features were injected into the service and before
	// the kind listens. The health service (and the reflection service,
	// when turned on) is already registered.
	RegisterGRPC(s grpclib.ServiceRegistrar)
}

// ErrStopped is returned by [Kind.Client] once the kind stopped.
var ErrStopped = errors.New("kind grpc: stopped")

// Kind serves a service's gRPC services. The zero value is not usable; call
// [New]. A Kind serves one run of one service.
type Kind struct {
	// Options.
	ln         net.Listener
	declared   []string
	serverOpts []grpclib.ServerOption
	dialOpts   []grpclib.DialOption
	tls        TLS // nil: the binary has no TLS

	// Set by Configure.
	checking  bool // the definition is checked without a service
	svc       Service
	calls     core.CallObserver // nil: no feature observes calls
	log       *slog.Logger
	health    *core.Health
	def       *definition.Definition
	lookupEnv func(string) (string, bool)
	domain    string
	cfg       *serverConfig
	clients   map[string]*clientConfig // the declared clients

	// Set by Start.
	lis      *drain.Listener // ln, as the server accepts from it
	server   *grpclib.Server
	hs       *health.Server
	names    []string // the service's own gRPC services
	stopping context.Context
	stop     context.CancelFunc
	served   chan struct{} // closed when Serve returned
	serveErr error
	halted   chan struct{} // closed when Stop is done with the server

	serving chan struct{} // closed once the server accepts connections

	observing bool // the server's interceptors observe calls

	panics *merrors.StackLimiter // which panic stacks are logged; nil: all

	mu      sync.Mutex
	conns   map[string]*grpclib.ClientConn
	stopped bool
}

var (
	_ core.Kind          = (*Kind)(nil)
	_ core.Configurer    = (*Kind)(nil)
	_ core.Listener      = (*Kind)(nil)
	_ core.Starter       = (*Kind)(nil)
	_ core.Stopper       = (*Kind)(nil)
	_ core.ServeNotifier = (*Kind)(nil)
)

// Option adjusts a Kind.
type Option func(*Kind)

// WithListener makes the kind serve on ln instead of binding
// [services.grpc] address and the resolved port; tests pass a loopback or
// in-memory listener (see the grpckindtest package). The kind closes ln
// when it stops, or when its start fails. On Linux, Stop holds new
// connections back while it drains ln only when ln takes a socket filter:
// a plain TCP listener, such as [drain.Listen] makes, not a Multipath TCP
// one, such as net.Listen makes.
func WithListener(ln net.Listener) Option {
	return func(k *Kind) { k.ln = ln }
}

// WithClients declares the gRPC services this one calls. Their
// [clients.<name>] tables are decoded and checked with the rest of the
// definition, so that a mistake fails the boot (and mikros check) rather
// than the first call. [Kind.Client] also serves names not declared, and
// checks their tables when first asked.
func WithClients(names ...string) Option {
	return func(k *Kind) { k.declared = append(k.declared, names...) }
}

// WithServerOptions adds options to the gRPC server, after the kind's own.
// Interceptors must be added with grpc.ChainUnaryInterceptor and
// grpc.ChainStreamInterceptor; they run inside the kind's, so that their
// panics and errors are handled too.
func WithServerOptions(opts ...grpclib.ServerOption) Option {
	return func(k *Kind) { k.serverOpts = append(k.serverOpts, opts...) }
}

// WithDialOptions adds options to every client connection [Kind.Client]
// makes, after the kind's own.
func WithDialOptions(opts ...grpclib.DialOption) Option {
	return func(k *Kind) { k.dialOpts = append(k.dialOpts, opts...) }
}

// New returns the gRPC kind, to pass to core.WithKinds.
func New(opts ...Option) *Kind {
	k := &Kind{
		conns:   map[string]*grpclib.ClientConn{},
		panics:  merrors.NewStackLimiter(panicLogInterval),
		serving: make(chan struct{}),
	}
	for _, o := range opts {
		o(k)
	}
	return k
}

// Name returns "grpc".
func (*Kind) Name() string { return "grpc" }

// DefaultPort returns 7070.
func (*Kind) DefaultPort() int { return DefaultPort }

// Configure decodes [services.grpc] and the [clients.<name>] tables of the
// declared clients, reads the TLS files they name, and checks that the
// service has a RegisterGRPC method. It reports every problem at its key.
func (k *Kind) Configure(s *core.Setup) error {
	var problems definition.Problems
	k.checking = s.Service == nil
	cfg, err := decodeSettings(s.Settings, s.Port, k.tlsSetup())
	problems = appendProblems(problems, err)
	k.def, k.lookupEnv = s.Definition, s.LookupEnv
	if k.lookupEnv == nil {
		k.lookupEnv = os.LookupEnv
	}
	k.clients = map[string]*clientConfig{}
	for _, name := range k.declared {
		c, err := k.clientConfig(name)
		problems = appendProblems(problems, err)
		k.clients[name] = c
	}
	if s.Service != nil {
		svc, ok := s.Service.(Service)
		if !ok {
			problems = append(problems, s.Definition.Problem("types", "kind grpc: the service (%T) has no method RegisterGRPC(grpc.ServiceRegistrar)", s.Service))
		}
		k.svc = svc
	}
	if len(problems) > 0 {
		problems.Sort()
		return problems
	}
	k.log = s.Logger
	if k.log == nil {
		k.log = slog.New(slog.DiscardHandler)
	}
	k.health = s.Health
	k.calls = s.Calls
	k.domain = s.Definition.Name
	k.cfg = cfg
	return nil
}

// appendProblems adds err's problems to ps; an error that is not a
// [definition.Problems] becomes one problem without a place.
func appendProblems(ps definition.Problems, err error) definition.Problems {
	if err == nil {
		return ps
	}
	var more definition.Problems
	if errors.As(err, &more) {
		return append(ps, more...)
	}
	return append(ps, definition.Problem{Message: err.Error()})
}

// Start builds the server, registers the health service and the
// service's own, marks them all NOT_SERVING, binds the listener and begins
// serving: from here on, health checks answer, and so do calls, which
// OnStart may make. The kind's own listener is a plain TCP one
// ([drain.Listen]), not Multipath TCP (which Go otherwise uses for
// listeners on Linux): Stop can hold new connections back only on the
// former.
//
// A port in use fails the boot: Start returns the listener's
// *net.OpError, which names the address and is syscall.EADDRINUSE for
// errors.Is.
func (k *Kind) Start(ctx context.Context) error {
	if k.svc == nil {
		return errors.New("not configured with a service")
	}
	unary, stream := k.unary, k.stream
	if k.calls != nil {
		unary, stream = k.unaryObserved, k.streamObserved
		k.observing = true
	}
	opts := append([]grpclib.ServerOption{
		grpclib.UnaryInterceptor(unary),
		grpclib.StreamInterceptor(stream),
	}, k.cfg.opts...)
	k.server = grpclib.NewServer(append(opts, k.serverOpts...)...)
	k.stopping, k.stop = context.WithCancel(context.Background())
	started := false
	defer func() { // also when RegisterGRPC panics
		if !started {
			k.stop()
			k.server.Stop()
			if k.ln != nil {
				_ = k.ln.Close()
			}
		}
	}()
	k.hs = health.NewServer()
	healthpb.RegisterHealthServer(k.server, &healthService{Server: k.hs, stopping: k.stopping})
	if k.cfg.reflection {
		reflection.Register(k.server)
	}
	before := k.server.GetServiceInfo()
	k.svc.RegisterGRPC(k.server)
	for name := range k.server.GetServiceInfo() {
		if _, ok := before[name]; !ok {
			k.names = append(k.names, name)
		}
	}
	slices.Sort(k.names)
	k.setStatus(notServing)
	if k.ln == nil {
		ln, err := drain.Listen(ctx, "tcp", k.cfg.address)
		if err != nil {
			return err
		}
		k.ln = ln
	}
	k.lis = drain.Wrap(k.ln)
	if k.health != nil {
		k.health.Watch(k.follow)
	}
	k.served, k.halted = make(chan struct{}), make(chan struct{})
	go k.serve(&servingListener{Listener: k.lis, serving: k.serving})
	k.log.Info("grpc listening", "address", k.ln.Addr().String(), "services", k.names)
	started = true
	return nil
}

// serve serves on ln until the server stops.
func (k *Kind) serve(ln net.Listener) {
	defer close(k.served)
	err := k.server.Serve(ln)
	if !errors.Is(err, grpclib.ErrServerStopped) {
		k.serveErr = err
	}
}

// servingListener is the kind's listener as its server sees it: the
// server's first Accept, which it calls once it serves, closes serving.
type servingListener struct {
	net.Listener
	once    sync.Once
	serving chan struct{}
}

// Accept closes l.serving the first time, then waits for and returns the
// next connection.
func (l *servingListener) Accept() (net.Conn, error) {
	l.once.Do(func() { close(l.serving) })
	return l.Listener.Accept()
}

// SyscallConn returns the raw connection of the listener under l, so that
// the server can still read its socket options (for channelz).
func (l *servingListener) SyscallConn() (syscall.RawConn, error) {
	if c, ok := l.Listener.(syscall.Conn); ok {
		return c.SyscallConn()
	}
	return nil, errors.ErrUnsupported
}

// Serving returns a channel that is closed once the server accepts
// connections: after [Kind.Start] bound the listener, as soon as the
// server's accept loop runs. Core waits for it before the service turns
// ready. It is never closed when the kind did not start, or stopped
// before it served.
func (k *Kind) Serving() <-chan struct{} { return k.serving }

// Run returns when the server stopped serving: nil once the kind is
// stopped, or the error that ended serving (a failing listener), which
// stops the service. It also returns, with nil, when [Kind.Stop] cut the
// calls in flight and returned while gRPC still waits for handlers that
// ignore their context (gRPC's Serve returns only once they end).
func (k *Kind) Run(context.Context) error {
	if k.served == nil {
		return errors.New("not started")
	}
	select {
	case <-k.served:
		return k.serveErr
	case <-k.halted:
	}
	select {
	case <-k.served:
		return k.serveErr
	default:
		return nil
	}
}

// Stop stops serving. It turns the health status to NOT_SERVING and ends
// the health Watch streams. Then, while the server still serves, it hands
// the server the connections that the kernel already accepted for it and
// that wait in the listening socket's accept queue, and closes the socket
// ([drain.Listener.Drain]): gRPC's GracefulStop closes the listener first
// thing, which resets those connections, and their clients get Unavailable
// ("error reading server preface: connection reset by peer") on a
// connection they had. On Linux, with the kind's own listener (plain TCP),
// a socket filter holds new connections back meanwhile, and a client held
// back is refused once the socket is closed; elsewhere, and on a listener
// given with [WithListener] that takes no filter (such as a Multipath TCP
// one from net.Listen on Linux), the queue is drained until it stays empty
// for 50ms, and a connection that enters it after that is reset. The drain
// takes half a second at most, within ctx, and runs only once the server
// accepted connections.
//
// Then Stop stops gracefully: no new call is accepted and Stop waits for
// the calls in flight. When ctx ends first (core ends the kinds' stop
// before the end of the budget, see core.StopReserve), it cuts the calls
// still running — closes their connections and cancels their contexts —
// and returns an error saying so, without waiting for handlers that ignore
// their context: those run on until they return by themselves, and their
// answers go nowhere. Then it logs the repeats of panics not reported yet,
// one line per stack ("grpc: identical panics suppressed", with
// "panic.site", "suppressed" and "suppressed_since"), and closes the
// client connections made by [Kind.Client]. Stop is safe to call more than
// once.
func (k *Kind) Stop(ctx context.Context) error {
	k.mu.Lock()
	if k.stopped {
		k.mu.Unlock()
		return nil
	}
	k.stopped = true
	k.mu.Unlock()
	var errs []error
	if k.served != nil { // started
		k.hs.Shutdown()
		k.stop()
		k.drain(ctx)
		errs = append(errs, k.stopServer(ctx))
		select {
		case <-k.served:
		case <-ctx.Done():
		}
		close(k.halted)
		k.logSuppressedPanics()
	}
	errs = append(errs, k.closeClients())
	return errors.Join(errs...)
}

// drain hands the server what the listening socket's accept queue holds,
// and closes the socket, while the server serves, within ctx; see Stop.
func (k *Kind) drain(ctx context.Context) {
	select {
	case <-k.serving:
	default:
		return // the server never accepted: nothing would take the queue
	}
	if ctx.Err() != nil {
		return // the stop is forced: GracefulStop is not waited for either
	}
	rep, err := k.lis.Drain(ctx)
	attrs := []slog.Attr{
		slog.Bool("held_back", rep.HeldBack),
		slog.Int("accepted_while_draining", rep.Accepted),
		slog.Duration("drain", rep.Took),
	}
	if err != nil {
		attrs = append(attrs, slog.String("drain_cut", err.Error()))
	}
	k.log.LogAttrs(ctx, slog.LevelInfo, "grpc stopped accepting connections", attrs...)
}

// forcedStopWait bounds how long Stop waits, once ctx ended, for gRPC's
// forced stop to close the server's listener and connections. It takes
// microseconds unless gRPC waits for something that does not end: handlers,
// with the grpc.WaitForHandlers server option, or a connection still in its
// handshake.
const forcedStopWait = 100 * time.Millisecond

// stopServer stops gracefully until ctx ends, then forcibly, and returns
// once the forced stop closed the connections, or after forcedStopWait.
//
// gRPC's GracefulStop returns only when every handler has; its Stop closes
// the listeners and connections and cancels the calls' contexts, and (but
// with grpc.WaitForHandlers) does not wait for the handlers. Both run on
// goroutines of their own, which end when gRPC is done: a handler that
// ignores its context keeps them until it returns, not Stop.
func (k *Kind) stopServer(ctx context.Context) error {
	graceful := make(chan struct{})
	go func() {
		k.server.GracefulStop()
		close(graceful)
	}()
	select {
	case <-graceful:
		return nil
	case <-ctx.Done():
	}
	select {
	case <-graceful: // done as ctx ended
		return nil
	default:
	}
	forced := make(chan struct{})
	go func() {
		k.server.Stop()
		close(forced)
	}()
	wait := time.NewTimer(forcedStopWait)
	defer wait.Stop()
	select {
	case <-forced:
	case <-graceful:
	case <-wait.C:
		k.log.Warn("grpc stop: the server did not finish within " + forcedStopWait.String() + " of the cut; left to finish in the background")
	}
	err := errors.New("calls in flight were cut: they did not finish within the stop budget")
	k.log.Error("grpc stop: " + err.Error())
	return err
}

// Addr returns the address the kind listens on, once it started; nil
// before.
func (k *Kind) Addr() net.Addr {
	if k.server == nil || k.ln == nil {
		return nil
	}
	return k.ln.Addr()
}

// Server returns the gRPC server, once the kind started; nil before. It is
// for inspection (GetServiceInfo); the kind owns its lifecycle.
func (k *Kind) Server() *grpclib.Server { return k.server }

// UnaryInterceptor returns the interceptor the kind's server runs every
// unary call through: recovery and error mapping, inside the call the
// features that observe calls see when any is enabled. It is valid once
// the kind is configured, and nil before. Calling it with a method's
// handler, as generated code does, serves the call as the server would
// without the transport; benchmarks measure the kind's chain that way.
func (k *Kind) UnaryInterceptor() grpclib.UnaryServerInterceptor {
	if k.cfg == nil {
		return nil
	}
	if k.calls != nil {
		return k.unaryObserved
	}
	return k.unary
}
