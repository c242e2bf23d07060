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
// then serves HTTP/1.1 until shutdown. At shutdown, readiness goes off
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
//	read_timeout         "30s"     how long a client may take to send a whole request, body included; "0s" is no limit
//	write_timeout        "60s"     from the end of the request's headers to the end of the response; "0s" is no limit
//	idle_timeout         "120s"    how long a keep-alive connection waits for its next request; "0s" uses read_timeout
//	max_header_bytes     1048576   the largest request line and headers (1 MiB, and net/http's 4 KiB of slack); larger ones get 431
//	max_body_bytes       4194304   the largest request body (4 MiB); larger ones get 413
//
// # Middleware
//
// Every request goes through one wrapper, in this order:
//
//   - Request id. A request's X-Request-ID is kept when it is 1 to 128
//     visible ASCII characters; otherwise, or when the request has none or
//     several, the kind makes one (a random prefix per server and a
//     counter, in hex). The id is set on the response's X-Request-ID, given
//     to handlers by [RequestID], and added to the kind's log lines.
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
// # Tracing
//
// The kind traces requests with the OpenTelemetry API when a tracer
// provider is installed: by the tracing feature, or by the program with
// otel.SetTracerProvider before the service starts. The kind looks once,
// when it starts: a provider installed since the program began, other
// than OpenTelemetry's no-op one, turns tracing on. Otherwise nothing of
// tracing is attached, and a request costs what it costs without tracing.
// (A provider installed during package initialization, before this
// package's, goes unseen.)
//
// With tracing on, every request has a server span, a child of the trace
// context its headers carry (traceparent, read with the global
// propagator, otel.GetTextMapPropagator). The handler's context carries
// the span, so that the spans a handler starts are the request's
// children. The span is named after the request's method ("GET") until
// the request is routed: when the service's handler is a ServeMux, or
// passes the request it got on to one, the span is then named after the
// method and the route ("GET /orders/{id}") and gets http.route. Other
// routers leave the name at the method.
//
// The spans follow the OpenTelemetry semantic conventions for HTTP
// (semconv 1.43), as otelhttp writes them:
//
//	kind                         server
//	http.request.method          GET, POST, ... or _OTHER (with
//	                             http.request.method_original)
//	url.scheme, url.path         the request's
//	server.address, server.port  from the request's Host; the port unless it
//	                             is the scheme's default
//	network.peer.address, network.peer.port  the client's end of the connection
//	client.address               the first address of X-Forwarded-For, or the peer's
//	user_agent.original          the request's User-Agent
//	network.protocol.version     1.1
//	http.route                   the ServeMux pattern's path, once routed
//	http.response.status_code    the response's status (200 when the handler wrote
//	                             nothing)
//	http.request.body.size, http.response.body.size  the bytes the handler read
//	                             and wrote, when there were any
//	status                       Error for a 5xx status, and for a response cut
//	                             because the handler panicked after it began
//
// otelhttp sets http.route only when it wraps each route inside the mux;
// the kind, which wraps the whole handler, sets it once the request was
// routed. A sampler sees, at the span's start, the attributes the
// conventions name as relevant to sampling (method, scheme, server,
// client, path, user agent); the others come at its end.
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
