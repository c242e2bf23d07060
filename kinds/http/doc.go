// Package http is the Mikros kind for HTTP services: the service provides
// a [net/http.Handler] and the kind serves it with a [net/http.Server],
// through the service's lifecycle.
//
//	types = ["http"]
//
// The service has a method HTTPHandler() http.Handler ([Service]). Any
// handler works; a [net/http.ServeMux] with method and wildcard patterns
// ("GET /orders/{id}", r.PathValue("id")) needs nothing else. Import the
// package under another name, since it is called http too:
//
//	import mhttp "github.com/mikros-go/mikros/kinds/http"
//
//	type greeter struct{}
//
//	func (g *greeter) HTTPHandler() http.Handler {
//		mux := http.NewServeMux()
//		mux.HandleFunc("GET /hello/{name}", func(w http.ResponseWriter, r *http.Request) {
//			fmt.Fprintf(w, "hello, %s\n", r.PathValue("name"))
//		})
//		return mux
//	}
//
//	func main() { core.Main(&greeter{}, core.WithKinds(mhttp.New())) }
//
// # Lifecycle
//
// The kind binds its listener when the service starts, so a port in use
// fails the boot (exit status 1) with an error that names the port. It
// listens with plain TCP, not Multipath TCP (Go's default for listeners on
// Linux), for the stop's sake (below). It then serves HTTP/1.1 until
// shutdown (and HTTP/2 when [WithListener] gives it a TLS listener that
// offers "h2"); its Serving channel ([core.ServeNotifier]) is closed once
// it accepts connections. At shutdown, readiness goes off first and the
// kind keeps serving through the drain delay; then Stop stops it in
// stages, so that no request it accepted goes unanswered, even from
// clients that open a connection per request and keep sending through
// the stop:
//
//  1. Keep-alives go off: each HTTP/1.x response whose handler starts
//     from now on closes its connection ("Connection: close"). Idle
//     keep-alive connections stay open, and a request they bring is
//     answered that way; those still idle are closed by Shutdown, which
//     does not run a request that crosses their closing: its client sends
//     it again, as HTTP/1.1 expects and net/http's Transport does for
//     idempotent requests. (SetKeepAlivesEnabled(false) would close them
//     at once, and run the handler of such a request on the closed
//     connection: its client would get no answer.)
//  2. The kernel's accept queue is drained: the connections already in
//     it, whose clients have sent their requests, are accepted and served
//     before the listener closes, since closing it would reset them. On
//     Linux a socket filter holds new connections back meanwhile, so the
//     queue only shrinks and nothing enters it after it was found empty:
//     a connection held back is refused about a second later, when its
//     client tries again and finds the listener closed. Elsewhere, and on
//     a listener that takes no filter (given with [WithListener], not a
//     TCP listener that exposes its socket, or a Multipath TCP one as
//     net.Listen makes on Linux), the queue is drained until it stays empty for 50ms, at most
//     half a second, and a connection that enters it between the last
//     Accept and the close is reset. A listener without SetDeadline (a TLS
//     listener) is closed at once. This stage is core/drain's, which any
//     kind may use.
//  3. Stop waits until no accepted connection is still waiting for its
//     first request, at most read_header_timeout: net/http's Shutdown
//     closes such a connection without an answer when its request arrives
//     after Shutdown began. A connection that sends nothing (a browser's
//     preconnect) holds the stop that long.
//  4. [net/http.Server.Shutdown] waits for the requests in flight.
//
// If the stop budget runs out first, the remaining connections are cut,
// Stop returns at once (it never waits for a handler after that, even
// one that ignores its context), and the shutdown fails (exit status 1).
// The command bench/cmd/drain of this repository counts the requests a
// server loses while it stops under such load (go run ./bench/cmd/drain).
//
// Readiness needs nothing from the kind: core's admin listener answers
// /readyz with 200 once every kind listens and OnStart returned, and with
// 503 from the moment shutdown begins. Point the load balancer's readiness
// probe at it, and set [lifecycle] drain_delay to how long the balancer
// takes to notice.
//
// # Settings
//
// [services.http] is decoded strictly: an unknown key, a value of the wrong
// type, or a duration not written as a string ("5s") is a problem at its
// line, and the service does not start (exit status 2).
//
//	key                  default   meaning
//	port                 8080      the TCP port; MIKROS_HTTP_PORT and types ("http:9090") take precedence (read by core)
//	address              ""        the host or IP to listen on; "" is every interface
//	read_header_timeout  "5s"      how long a client may take to send a request's headers; must be more than 0s
//	read_timeout         "0s"      how long a client may take to send a whole request, body included; "0s" is no limit
//	write_timeout        "0s"      from the end of the request's headers to the end of the response; "0s" is no limit
//	idle_timeout         "120s"    how long a keep-alive connection waits for its next request; "0s" uses read_timeout,
//	                               and must then not be "0s" too
//	max_header_bytes     1048576   the largest request line and headers (1 MiB, and net/http's 4 KiB of slack); larger ones get 431
//	max_body_bytes       4194304   the largest request body (4 MiB); larger ones get 413
//
// read_timeout and write_timeout are off by default. Each makes the server
// arm a timer, a deadline on the connection, for every request (together
// about a quarter of a microsecond of CPU per request: BenchmarkDeadlines),
// and each cuts work that is legitimate: a large upload, a long response,
// a stream. What they guard against is bounded otherwise:
// read_header_timeout, which cannot be 0s, cuts a client that sends its
// headers slowly to hold connections (slowloris); idle_timeout closes
// keep-alive connections that wait; max_body_bytes bounds how much of a
// body the service reads. A client that trickles its body or reads its
// response slowly still holds its connection and its handler: a service
// that faces such clients directly, rather than behind a proxy that
// buffers requests, sets read_timeout and write_timeout, or sets deadlines
// in the handlers that need them with [net/http.ResponseController]'s
// SetReadDeadline and SetWriteDeadline.
//
// # Middleware
//
// Every request goes through one wrapper, in this order:
//
//   - Request id. A request's X-Request-ID is kept when it is 1 to 128
//     visible ASCII characters; otherwise, or when the request has none or
//     several, the kind makes one (a random prefix per server and a
//     counter, in hex). The id is set on the response's X-Request-ID, given
//     to handlers by [RequestID], and added to the kind's log lines. The
//     handler gets a copy of the server's request whose context is the
//     kind's, from which RequestID answers with the request's own id for
//     as long as the context (or one derived from it) is kept, also after
//     the handler returned.
//   - Body limit. A request whose Content-Length is over max_body_bytes is
//     answered 413 without calling the handler; any other body is wrapped
//     with [net/http.MaxBytesReader], and a handler that reads past the
//     limit gets a [net/http.MaxBytesError], which [Error] answers with 413.
//   - Panic recovery. A panic in the handler is logged at error level,
//     with its stack and the request id, and the client gets a 500 problem
//     that says "internal error", never the panic's value. When the
//     response had already begun, the connection is cut instead, so that
//     the client cannot take a partial response for a whole one. A panic
//     with [net/http.ErrAbortHandler] aborts the request silently, as in
//     net/http. A handler that panics on every request does not flood the
//     log: the first panic of each distinct stack (the same frames, whatever
//     the goroutine, the arguments and the panic's value) is logged in
//     full, its repeats in the minute that follows are only counted, and
//     the first repeat after that minute is logged in full again with the
//     count of those in between ("suppressed", "suppressed_since"). Counts
//     not reported yet are logged when the kind stops, one line per stack
//     ("http: identical panics suppressed", with the panicking function
//     as "panic.site"). Each suppressed panic is still answered 500, and
//     observed as such.
//
// Handlers get a [net/http.ResponseWriter] that passes on Flush, Hijack and
// ReadFrom, and that [net/http.ResponseController] unwraps.
//
// # Errors
//
// A handler answers an error with [Error], or returns it from a
// [HandlerFunc]. The response is an RFC 9457 problem, from the error model
// of github.com/mikros-go/mikros/features/errors: the status of the error's
// kind, and its safe message, kind, code and details. For
//
//	merrors.New(merrors.NotFound, "order not found").WithCode("ORDER_NOT_FOUND").
//		WithDetail("order", "42").WithCause(sqlErr)
//
// the client gets
//
//	HTTP/1.1 404 Not Found
//	Content-Type: application/problem+json
//	X-Request-Id: 6f1c2a9e03b4d587-2a
//
//	{"type":"about:blank","title":"Not Found","status":404,"detail":"order not found","instance":"/orders/42","kind":"not_found","code":"ORDER_NOT_FOUND","details":{"order":"42"}}
//
// An error that is not of the model becomes 500 "internal error", unless
// it is the client's mistake. The error's cause is never sent: it is
// logged once, with the request id, at error level for a 5xx status
// (debug level otherwise).
//
// A client's mistake is answered and logged as the client's, never as the
// server's error. The kind reads the request's body as the handler does
// and remembers how reading it ended; [Error] then attributes an error to
// the client only when it provably came from the body:
//
//	the error wraps the one a Read of the body returned:
//	  the client went away (reset, closed, canceled)  499 CLIENT_CLOSED_REQUEST
//	  read_timeout cut the body                        408 REQUEST_BODY_TIMEOUT
//	  the body ended before its length                 400 REQUEST_BODY_TRUNCATED
//	  the body could not be read (bad chunking)        400 REQUEST_BODY_UNREADABLE
//	json.SyntaxError or json.UnmarshalTypeError at an
//	offset the handler read of the body                400 REQUEST_BODY_MALFORMED
//	io.EOF, and the body was empty (or absent from a
//	POST, PUT or PATCH)                                400 REQUEST_BODY_EMPTY
//	a body over max_body_bytes                         413 REQUEST_BODY_TOO_LARGE
//
// The status is the one the features that observe calls see. Anything
// else is the server's: a JSON error past what the handler read of the
// body came from decoding something else, and an io.ErrUnexpectedEOF from
// json.Decoder over a body that ended cleanly (a JSON value cut short)
// cannot be told from a backend's truncated answer, so both stay 500s
// (json.Unmarshal reports the latter as a SyntaxError, which is
// attributed). An *errors.Error in the chain decides over these rules.
//
// Errors the server answers before a handler runs keep net/http's plain
// text responses: 431 for headers over max_header_bytes, 400 for a
// malformed request. So do the 404 and 405 of a ServeMux.
//
// # Observing requests
//
// Features that observe calls, such as tracing and metrics, see every
// request the kind serves; the kind itself imports no telemetry library.
// When the service enables none of them, nothing of this runs, and a
// request costs what it costs without them.
//
// With one enabled, each request is a [core.Call] that the features start
// once the request has its id (RequestID answers for the context they
// get) and end once the handler returned or panicked and recovery
// answered:
//
//	Protocol       "http"
//	Method         the request's method
//	Request        the request as the handler gets it; once a ServeMux routed it, its Pattern
//	               ("GET /orders/{id}") is set, and observers read it when the call ends
//	Header         the request's headers, whatever the case of the key asked for ("traceparent")
//	Local          the local address of the request's connection
//	Start          when the kind took the request
//	End            when the call ended
//	Code           the status sent: 200 when the handler wrote nothing, 500 for a panic that
//	               recovery answered, 413 for a body over max_body_bytes
//	Aborted        the response was cut: a panic once it had begun, or http.ErrAbortHandler
//	RequestBytes   the bytes of the request's body the handler read
//	ResponseBytes  the bytes of the response's body the handler wrote
//
// The handler's context is the one the features returned, carrying a
// span, for instance, so that what the handler starts is the request's
// child. A feature that keeps the context as it was (metrics) spares the
// request the copy that giving it another context takes.
//
// # Testing
//
// Package httpkindtest runs a service in a test, through the real
// lifecycle, on a loopback port:
//
//	svc, url := httpkindtest.Start(t, &greeter{}, definition)
//	resp, err := client.Get(url + "/hello/ana")
//
// A handler alone can also be tested with [net/http/httptest.NewRecorder];
// [Error] and [HandlerFunc] work there too, logging through slog.Default.
package http
