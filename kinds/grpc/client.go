package grpc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"time"

	"github.com/mikros-go/mikros/core"
	"github.com/mikros-go/mikros/core/definition"
	merrors "github.com/mikros-go/mikros/features/errors"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	grpclib "google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// DefaultClientTimeout is the deadline of a unary call made through a
// client of [Kind.Client] whose context has none, unless [clients.<name>]
// timeout says otherwise.
const DefaultClientTimeout = 5 * time.Second

// clientSettings is [clients.<name>], with tls as it was written: a
// boolean or a table.
type clientSettings struct {
	Host      string           `toml:"host"`
	Port      int              `toml:"port"`
	Timeout   time.Duration    `toml:"timeout"`
	TLS       any              `toml:"tls"`
	Keepalive *clientKeepalive `toml:"keepalive"`
}

// clientTable is [clients.<name>] with tls as a table.
type clientTable struct {
	clientSettings
	TLS clientTLS `toml:"tls"`
}

// clientTLS is [clients.<name>.tls].
type clientTLS struct {
	CAFile     string `toml:"ca_file"`
	ServerName string `toml:"server_name"`
	CertFile   string `toml:"cert_file"`
	KeyFile    string `toml:"key_file"`
}

// clientKeepalive is [clients.<name>.keepalive].
type clientKeepalive struct {
	Time                time.Duration `toml:"time"`
	Timeout             time.Duration `toml:"timeout"`
	PermitWithoutStream bool          `toml:"permit_without_stream"`
}

// clientConfig is what a client's table makes of its connection.
type clientConfig struct {
	target string
	caller *caller
	opts   []grpclib.DialOption // without the interceptors
}

// clientConfig decodes [clients.<name>] strictly (an absent table is all
// defaults) and checks it.
func (k *Kind) clientConfig(name string) (*clientConfig, error) {
	sec := k.def.Clients[name]
	cs := clientSettings{Port: DefaultPort, Timeout: DefaultClientTimeout}
	if err := sec.Decode(&cs); err != nil {
		return nil, err
	}
	var problems definition.Problems
	if _, _, err := net.SplitHostPort(cs.Host); err == nil {
		problems = append(problems, sec.Problem("host", "%s has a port: write the port in port", shown(sec, "host", cs.Host, "host")))
	}
	if cs.Port < 1 || cs.Port > 65535 {
		problems = append(problems, sec.Problem("port", "%d is not a port (1 to 65535)", cs.Port))
	}
	if cs.Timeout < 0 {
		problems = append(problems, sec.Problem("timeout", "must not be negative, not %s", cs.Timeout))
	}
	var opts []grpclib.DialOption
	if ka := cs.Keepalive; ka != nil {
		problems = append(problems, checkDurations(sec, "keepalive", map[string]time.Duration{"time": ka.Time, "timeout": ka.Timeout})...)
		if ka.Time > 0 && ka.Time < 10*time.Second {
			problems = append(problems, sec.Problem("keepalive.time", "must be at least 10s, not %s", ka.Time))
		}
		opts = append(opts, grpclib.WithKeepaliveParams(keepalive.ClientParameters{
			Time: ka.Time, Timeout: ka.Timeout, PermitWithoutStream: ka.PermitWithoutStream,
		}))
	}
	var creds credentials.TransportCredentials
	switch v := cs.TLS.(type) {
	case nil:
	case bool:
		if v {
			var p *definition.Problem
			creds, p = k.tlsSetup().systemRoots(sec)
			if p != nil {
				problems = append(problems, *p)
			}
		}
	case map[string]any:
		ct := clientTable{clientSettings: cs}
		if err := sec.Decode(&ct); err != nil {
			return nil, err
		}
		c, ps := ct.TLS.credentials(sec, k.tlsSetup())
		problems = append(problems, ps...)
		creds = c
	default:
		problems = append(problems, sec.Problem("tls", "must be a boolean or a table"))
	}
	if creds == nil {
		creds = insecure.NewCredentials()
	}
	if len(problems) > 0 {
		problems.Sort()
		return nil, problems
	}
	host := cs.Host
	if host == "" {
		host = name
		if ns, ok := k.lookupEnv("MIKROS_NAMESPACE"); ok && ns != "" {
			host += "." + ns
		}
	}
	target := net.JoinHostPort(host, strconv.Itoa(cs.Port))
	return &clientConfig{
		target: target,
		caller: &caller{name: name, target: target, timeout: cs.Timeout},
		opts:   append(opts, grpclib.WithTransportCredentials(creds)),
	}, nil
}

// Client returns the connection to the gRPC service name, made from
// [clients.<name>] (see the package documentation for the keys and for how
// the address is found without a table). Wrap it with the generated
// client, as in pb.NewOrdersClient(conn).
//
// The connection is made on the first call for a name and shared by the
// later ones; it connects lazily, on the first call through it. Its calls
// get the client's default deadline, and their errors come back as
// *errors.Error of the features/errors module. The kind closes the
// connection when it stops, after its server stopped: do not close it.
//
// Client fails when the kind was not configured yet (call it from OnStart
// or later), when the client's table is invalid (the error is a
// [definition.Problems]), and with [ErrStopped] once the kind stopped.
func (k *Kind) Client(name string) (*grpclib.ClientConn, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.stopped {
		return nil, ErrStopped
	}
	if conn, ok := k.conns[name]; ok {
		return conn, nil
	}
	if k.def == nil {
		return nil, fmt.Errorf("kind grpc: client %s: the kind is not configured yet", name)
	}
	cfg := k.clients[name]
	if cfg == nil {
		var err error
		if cfg, err = k.clientConfig(name); err != nil {
			return nil, fmt.Errorf("kind grpc: client %s: %w", name, err)
		}
	}
	conn, err := grpclib.NewClient(cfg.target, k.dialOptions(cfg)...)
	if err != nil {
		return nil, fmt.Errorf("kind grpc: client %s: %w", name, err)
	}
	k.conns[name] = conn
	return conn, nil
}

// dialOptions returns the options of a client's connection: the caller's
// interceptors (observed when a feature observes calls), those of its
// table, and those of [WithDialOptions].
func (k *Kind) dialOptions(cfg *clientConfig) []grpclib.DialOption {
	c := cfg.caller
	unary, stream := c.unary, c.stream
	if k.calls != nil {
		c = &caller{name: c.name, target: c.target, timeout: c.timeout, calls: k.calls}
		unary, stream = c.unaryObserved, c.streamObserved
	}
	opts := make([]grpclib.DialOption, 0, 2+len(cfg.opts)+len(k.dialOpts))
	opts = append(opts, grpclib.WithUnaryInterceptor(unary), grpclib.WithStreamInterceptor(stream))
	return append(append(opts, cfg.opts...), k.dialOpts...)
}

// closeClients closes the connections Client made.
func (k *Kind) closeClients() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	var errs []error
	for name, conn := range k.conns {
		if err := conn.Close(); err != nil {
			errs = append(errs, fmt.Errorf("client %s: %w", name, err))
		}
		delete(k.conns, name)
	}
	return errors.Join(errs...)
}

// caller is the client side of one connection: its interceptors give
// unary calls a default deadline and turn statuses into errors of the
// model.
type caller struct {
	name    string
	target  string // the "host:port" dialed
	timeout time.Duration
	calls   core.CallObserver // with unaryObserved and streamObserved
}

func (c *caller) unary(ctx context.Context, method string, req, reply any, cc *grpclib.ClientConn, invoker grpclib.UnaryInvoker, opts ...grpclib.CallOption) error {
	if c.timeout > 0 {
		if _, ok := ctx.Deadline(); !ok {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, c.timeout)
			defer cancel()
		}
	}
	if err := invoker(ctx, method, req, reply, cc, opts...); err != nil {
		return c.fromStatus(err)
	}
	return nil
}

// stream turns the errors of a stream into errors of the model. Streams
// get no default deadline: they live as long as their caller wants.
func (c *caller) stream(ctx context.Context, desc *grpclib.StreamDesc, cc *grpclib.ClientConn, method string, streamer grpclib.Streamer, opts ...grpclib.CallOption) (grpclib.ClientStream, error) {
	cs, err := streamer(ctx, desc, cc, method, opts...)
	if err != nil {
		return nil, c.fromStatus(err)
	}
	return &clientStream{ClientStream: cs, c: c}, nil
}

type clientStream struct {
	grpclib.ClientStream
	c *caller
}

func (s *clientStream) SendMsg(m any) error { return s.c.streamErr(s.ClientStream.SendMsg(m)) }
func (s *clientStream) RecvMsg(m any) error { return s.c.streamErr(s.ClientStream.RecvMsg(m)) }

func (s *clientStream) Header() (metadata.MD, error) {
	md, err := s.ClientStream.Header()
	return md, s.c.streamErr(err)
}

// streamErr converts a stream's error, leaving io.EOF (the end of the
// stream) as it is.
func (c *caller) streamErr(err error) error {
	if err == nil || err == io.EOF {
		return err
	}
	return c.fromStatus(err)
}

// fromStatus turns a call's error into an error of the model, with the
// status error as its cause:
//   - a status carrying an ErrorInfo, as Mikros services send, gives its
//     kind, code (the reason, unless it is the kind's name), message and
//     details (the metadata);
//   - Unavailable without one (the connection failed) gives Unavailable
//     with a message naming the client, since the status's message may
//     hold addresses;
//   - any other status gives its kind and its message.
func (c *caller) fromStatus(err error) error {
	st, ok := status.FromError(err)
	if !ok {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return merrors.From(err)
		}
		return merrors.New(merrors.Unavailable, c.name+" is unavailable").WithCause(err)
	}
	kind := merrors.KindFromGRPCCode(uint32(st.Code()))
	for _, d := range st.Details() {
		info, ok := d.(*errdetails.ErrorInfo)
		if !ok {
			continue
		}
		e := merrors.New(kind, st.Message())
		if r := info.GetReason(); r != kind.String() {
			e = e.WithCode(r)
		}
		for key, v := range info.GetMetadata() {
			e = e.WithDetail(key, v)
		}
		return e.WithCause(err)
	}
	if kind == merrors.Unavailable {
		return merrors.New(kind, c.name+" is unavailable").WithCause(err)
	}
	return merrors.New(kind, st.Message()).WithCause(err)
}
