// Package grpc is the Mikros kind for gRPC services: it serves the
// service's gRPC services, the standard health service tied to the
// service's lifecycle, and answers every error through the error model of
// the features/errors module. It also makes the service's connections to
// the gRPC services it calls.
//
// A gRPC service lists the kind in its definition:
//
//	types = ["grpc"]
//
// implements [Service] by registering its generated servers:
//
//	func (s *Orders) RegisterGRPC(r grpc.ServiceRegistrar) {
//		pb.RegisterOrdersServer(r, s)
//	}
//
// and passes the kind to core:
//
//	core.Main(&Orders{}, core.WithKinds(mgrpc.New()))
//
// # Lifecycle
//
// During start the kind builds the server, registers the health service
// (and the reflection service, when turned on), calls RegisterGRPC, binds
// its port — a port in use fails the boot, naming the address — and begins
// serving, so that health checks answer at once, and so do calls (OnStart
// may make some). [Kind.Serving] is closed once the server accepts
// connections, and core waits for it before the service turns ready. The
// health service (grpc.health.v1) answers for the whole server ("") and
// for each of the service's gRPC services:
//
//   - NOT_SERVING until the service is ready: every kind listens and
//     OnStart returned;
//   - SERVING while it is ready;
//   - NOT_SERVING from the moment the shutdown begins, for good: during the
//     drain delay the server still serves, so that load balancers have
//     time to see it go.
//
// Stop ends the health Watch streams (with NOT_SERVING, then Unavailable),
// then drains the listener (core/drain): on Linux new connections are held
// back while those the kernel already accepted are handed to the server,
// so that closing the listener resets none of them; then it stops
// gracefully: no new call or connection is accepted, and Stop waits for
// the calls in flight. If they are not done by its deadline
// (core ends the kinds' stop before the end of the budget, keeping
// core.StopReserve for OnStop and the features), it cuts them — their
// contexts are canceled and their clients get Unavailable — and the
// shutdown reports "calls in flight were cut". Stop returns then: it does
// not wait for handlers that ignore their context, which run on until they
// return by themselves, their answers going nowhere.
// Streams that live as long as their client (subscriptions) hold the
// graceful stop: end them when the service begins draining (watch the
// *core.Health the service is given for core.Draining). Last, Stop closes
// the client connections made by [Kind.Client], so calls to other services
// work until the server stopped; the service's OnStop runs after that and
// cannot use them.
//
// # Settings
//
// [services.grpc] accepts these keys, strictly (an unknown key is a
// problem at boot, with a suggestion); all are optional:
//
//	port                    the port; core resolves it from MIKROS_GRPC_PORT, types
//	                        ("grpc:7071"), this key, or 7070
//	address                 the host or IP to listen on, without the port; ""
//	                        (default): all interfaces
//	max_recv_message_bytes  the largest request message; default 4194304 (4 MiB);
//	                        a larger one is answered ResourceExhausted
//	max_send_message_bytes  the largest response message; default 2147483647
//	max_concurrent_streams  calls at once on one connection; 0 (default): no limit
//	num_stream_workers      goroutines that serve calls, reused; 0 (default): a new
//	                        goroutine per call
//	reflection              register the server reflection service (for grpcurl and
//	                        the like); default false
//
//	[services.grpc.keepalive]  absent or "0s": gRPC's defaults, given here
//	time                    ping a client after this long without activity; "2h"
//	                        (at least "1s")
//	timeout                 close the connection when a ping is not answered in
//	                        this time; "20s"
//	max_connection_idle     close connections without calls for this long; never
//	max_connection_age      close connections this old (±10%); never
//	max_connection_age_grace  time given to the calls of a connection closed for its
//	                        age; no limit
//	min_time                the shortest time between a client's pings; a client
//	                        pinging more often is disconnected; "5m"
//	permit_without_stream   allow client pings on connections without calls; false
//
//	[services.grpc.tls]     absent (default): no TLS
//	cert_file, key_file     the server's certificate (chain) and key, PEM; both required
//	client_ca_file          optional: the CAs (PEM) that sign clients' certificates;
//	                        set, every client must present one (mutual TLS)
//
// Durations are strings ("30s").
//
// # TLS
//
// The kind links no TLS of its own, so that services without it carry
// neither TLS handshakes nor certificate parsing (about 1 MiB of binary
// and 0.6 MiB of memory). A service that sets [services.grpc.tls], or tls
// in a [clients.<name>] table, passes the TLS of the grpctls subpackage:
//
//	import "github.com/mikros-go/mikros/kinds/grpc/grpctls"
//
//	core.Main(svc, core.WithKinds(mgrpc.New(mgrpc.WithTLS(grpctls.New()))))
//
// Without it, those settings fail the boot with a problem that says so;
// mikros check, which runs without the service, then only checks that the
// files can be read. TLS files are read at boot, relative to the working
// directory; a file missing or invalid is a problem at its key. TLS is
// version 1.2 or later.
//
// # Errors
//
// A handler returns errors of the model (github.com/mikros-go/mikros/features/errors,
// imported here as merrors), and the kind answers with a status:
//
//	return nil, merrors.New(merrors.NotFound, "order 42 not found").
//		WithCode("ORDER_NOT_FOUND").WithDetail("order", "42").WithCause(err)
//
// gives the caller
//
//	code     NotFound (the kind's GRPCCode)
//	message  "order 42 not found" (the safe message)
//	details  google.rpc.ErrorInfo{reason: "ORDER_NOT_FOUND", domain: "<service name>",
//	         metadata: {"order": "42"}}
//
// The reason is the error's code, or the kind's name ("not_found") when it
// has none. The cause never leaves the process: the kind logs the error
// once, cause included, with the method's name — at error level for
// Internal, Unknown and DataLoss, at debug level for the other kinds.
// Errors wrapped with fmt.Errorf("...: %w", e) answer as e does.
//
// Any other error answers Internal with the message "internal error"; the
// context's errors answer Canceled and DeadlineExceeded. A status error, as
// made with google.golang.org/grpc/status, is answered as it is. A handler
// that panics answers Internal "internal error"; the panic is logged with
// its stack, and the server carries on. A panic that repeats is not logged
// each time: each distinct stack is logged at most once a minute, and the
// line logged after repeats counts them ("suppressed", since
// "suppressed_since"); the repeats not reported yet are logged when the
// kind stops ("grpc: identical panics suppressed", with "panic.site"); see
// merrors.StackLimiter.
//
// # Clients
//
// [Kind.Client] returns a connection to another gRPC service, made from its
// [clients.<name>] table, which may be absent:
//
//	host      the host; default: the client's name, followed by "." and
//	          MIKROS_NAMESPACE when that is set ("users.prod"), which is the
//	          service's name in a Kubernetes namespace
//	port      the port; default 7070
//	timeout   the deadline of a unary call whose context has none; default "5s";
//	          "0s": none. Streams get no default deadline.
//	tls       false (default): plaintext; true: TLS, trusting the system's CAs;
//	          or a table (TLS needs grpc.WithTLS, see TLS above):
//	  ca_file      the CAs (PEM) to trust instead of the system's
//	  server_name  the name to verify in the server's certificate; default: host
//	  cert_file, key_file  a client certificate, for mutual TLS
//	[clients.<name>.keepalive]
//	  time         ping the server after this long without activity; default:
//	               never (at least "10s"; the server's min_time must allow it)
//	  timeout      close the connection when a ping is not answered; "20s"
//	  permit_without_stream  ping without calls in flight; false
//
// The service keeps the kind to ask it for connections, from OnStart on:
//
//	k := mgrpc.New(mgrpc.WithClients("users"))
//	core.Main(&Orders{grpc: k}, core.WithKinds(k))
//
//	func (s *Orders) OnStart(context.Context) error {
//		conn, err := s.grpc.Client("users")
//		if err != nil {
//			return err
//		}
//		s.users = pb.NewUsersClient(conn)
//		return nil
//	}
//
// Clients declared with [WithClients] have their tables checked at boot
// with the rest of the definition; any other name is checked when first
// asked for. The errors of calls through these connections are errors of
// the model again, with the status as their cause:
//
//   - a status carrying an ErrorInfo (as Mikros services send) gives its
//     kind, code (the reason, unless it is the kind's name), message and
//     details (the metadata);
//   - Unavailable without one (most often a connection that failed) gives
//     Unavailable with the message "<name> is unavailable", since the
//     status's message may hold addresses;
//   - any other status gives the kind of its code and its message.
//
// So a handler that returns such an error passes it on to its own caller,
// kind, code and details included.
//
// # Observing calls
//
// The kind links no telemetry library. Tracing, metrics and the like come
// from features, through core: every enabled feature that implements
// core.CallObserver (the tracing and metrics features do) is handed to the
// kind as core.Setup.Calls, and the kind describes each call to it as a
// core.Call.
//
// When no such feature is enabled, nothing is attached: the interceptors
// are the plain ones, and a call costs what it costs without observation.
// When one is, every call the server serves (the health and reflection
// services' included) and every call through a connection of
// [Kind.Client] is observed, still inside the kind's one interceptor per
// call type:
//
//	Protocol        "grpc"
//	Client          false for a call the server serves, true for a call sent
//	Method          the full method: "/package.Service/Method"
//	ClientStreams,  whether the caller and the server stream (both false:
//	ServerStreams   a unary call)
//	Local           (server) the local address of the call's connection
//	Target          (client) the "host:port" of [clients.<name>]
//	Header          (server) the incoming metadata, read in place; (client)
//	                the outgoing metadata: what the observers Set there is
//	                sent with the call (a trace context, say)
//	Start, End      when the kind began the call, and when it ended (set once,
//	                before EndCall, so that every observer reads one clock)
//	Code, Message   the status the caller gets, or the client got: its code
//	                and, for a failed call, its message
//
// StartCall comes before the handler runs, and its context is the
// handler's (a stream handler's stream carries it): spans a handler
// starts, and calls it makes through [Kind.Client], are the call's
// children. EndCall comes once the status is known, a panic's Internal
// included, before the caller has it. On a client, StartCall comes after
// the default deadline is set, and EndCall after the call returned,
// before its status becomes an error of the model. A client stream's call
// ends, once, when the stream does: when a receive returns the stream's
// status (io.EOF is OK), after the one response of a stream that is not
// server-streaming, when a send or the headers fail, or when the caller's
// context ends first. A stream that is neither read to its end nor
// canceled never ends; cancel the context of streams you abandon.
//
// Observing costs the kind one allocation per call, for the call, its
// metadata carrier and, for a stream, the stream the handler gets; what
// the observers do is theirs.
//
// # Testing
//
// The grpckindtest package runs a service in a test over an in-memory
// connection, with the real lifecycle, and returns a connection to it.
package grpc
