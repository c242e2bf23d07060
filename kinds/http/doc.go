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
// then serves HTTP/1.1 until shutdown (and HTTP/2 when [WithListener]
// gives it a TLS listener that offers "h2"). At shutdown, readiness goes off
// first and the kind keeps serving through the drain delay; then Stop
// closes the listener and the idle connections and waits for the requests
// in flight, as [net/http.Server.Shutdown] does. If the stop budget runs
// out first, the remaining connections are cut and the shutdown fails
// (exit status 1).
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
//     to handlers by [RequestID], and added to the kind's log lines. On an
//     HTTP/1.x connection, which serves one request at a time, RequestID
//     finds the id through the connection, so the handler gets the
//     request as the server made it rather than a copy with a context of
//     the kind's.
//   - Body limit. A request whose Content-Length is over max_body_bytes is
//     answered 413 without calling the handler; any other body is wrapped
//     with [net/http.MaxBytesReader], and a handler that reads past the
//     limit gets a [net/http.MaxBytesError], which [Error] answers with 413.
//   - Panic recovery. A panic in the handler is logged once, at error
//     level, with its stack and the request id, and the client gets a 500
//     problem that says "internal error", never the panic's value. When the
//     response had already begun, the connection is cut instead, so that
//     the client cannot take a partial response for a whole one. A panic
//     with [net/http.ErrAbortHandler] aborts the request silently, as in
//     net/http.
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
// An error that is not of the model becomes 500 "internal error". The
// error's cause is never sent: it is logged once, with the request id, at
// error level for a 5xx status (debug level otherwise).
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
