// Package metrics is the Mikros feature that keeps a service's Prometheus
// metrics, with github.com/prometheus/client_golang, and serves them at
// /metrics on the admin listener.
//
// A service links it and turns it on in its definition, which must have an
// admin listener to serve the metrics on:
//
//	core.Main(svc, core.WithKinds(grpc.New()), core.WithFeatures(metrics.New()))
//
//	[admin]
//	port = 9090
//
//	[features.metrics]
//	enabled = true
//
// Enabling the feature without [admin] (or MIKROS_ADMIN_PORT) is a problem
// at features.metrics: there would be nowhere to scrape.
//
// # What is measured
//
// The kinds describe each call they serve or send as a [core.Call] to the
// features that observe calls; this one counts the calls and times them.
// Names follow the Prometheus conventions: snake_case, a unit suffix in
// base units (_seconds), _total on counters, _info on a metric whose labels
// are its value.
//
//	metric                                type       labels
//	grpc_server_handled_total             counter    grpc_type, grpc_service, grpc_method, grpc_code
//	grpc_server_handling_seconds          histogram  grpc_type, grpc_service, grpc_method
//	grpc_client_handled_total             counter    grpc_type, grpc_service, grpc_method, grpc_code
//	grpc_client_handling_seconds          histogram  grpc_type, grpc_service, grpc_method
//	http_server_requests_total            counter    method, route, code
//	http_server_request_duration_seconds  histogram  method, route
//	mikros_build_info                     gauge      name, version, product (always 1)
//	mikros_startup_duration_seconds       gauge
//	mikros_ready                          gauge      (1 or 0)
//
// plus, unless the settings turn them off, the Go runtime's metrics (go_*)
// and the process's (process_*).
//
// gRPC calls, served (grpc_server_*) and sent (grpc_client_*), carry:
//
//   - grpc_type: unary, client_stream, server_stream or bidi_stream, as the
//     caller and the server send one message or a stream;
//   - grpc_service and grpc_method: the two parts of the full method
//     "/greeter.v1.GreeterService/SayHello", greeter.v1.GreeterService and
//     SayHello (a method not of that form is kept whole in grpc_method,
//     with grpc_service "unknown"; once a side has seen 1024 methods, as
//     a server with an unknown-service handler can be made to by its
//     callers, the calls on methods not seen yet have both "unknown");
//   - grpc_code: the status code's name as the String method of
//     google.golang.org/grpc/codes.Code writes it: OK, Canceled, Unknown,
//     InvalidArgument, DeadlineExceeded, NotFound, AlreadyExists,
//     PermissionDenied, ResourceExhausted, FailedPrecondition, Aborted,
//     OutOfRange, Unimplemented, Internal, Unavailable, DataLoss,
//     Unauthenticated (and Code(n) for a code gRPC does not define). These
//     are the names and labels of the Prometheus provider of
//     go-grpc-middleware, so dashboards made for it read these series
//     unchanged.
//
// The duration of a gRPC call runs from its start to its status; the
// handling histogram has no grpc_code label.
//
// HTTP requests served carry:
//
//   - method: the request's method when it is one of GET, HEAD, POST, PUT,
//     PATCH, DELETE, CONNECT, OPTIONS and TRACE, and _OTHER for any other
//     (a caller cannot add series by making up methods);
//   - route: the path of the http.ServeMux pattern that matched the request
//     ("/items/{id}" for the pattern "GET example.com/items/{id}"), never
//     the path that was asked for, so that one route is one series
//     whatever its parameters. A request no pattern matched — the
//     ServeMux's own 404 and 405 answers, or every request of a service
//     whose handler is not routed by a ServeMux — has the route
//     "unmatched", which no route can be, as routes start with "/";
//   - code: the response's status, such as "200".
//
// The duration of a request runs from its start to the handler's return.
//
// The service itself is described by:
//
//   - mikros_build_info: 1, with the definition's name, version and product
//     as labels, to join on other series;
//   - mikros_startup_duration_seconds: from the start of configure to the
//     end of start (when the service became ready, or failed to start);
//   - mikros_ready: 1 while the service is in the Ready state of its
//     lifecycle ([core.Health]), 0 while it starts, drains and once it
//     stopped. It follows the lifecycle only: /readyz also runs the
//     features' health checks.
//
// # Cost
//
// A call costs the feature one map lookup without a lock, one counter
// increment and one histogram observation, and no allocation: the series
// of each gRPC method and of each HTTP route and method are resolved the
// first time it is seen, and those of each status code the first time it
// answers one. The number of series is bounded by the service's own
// methods and routes, the methods it calls, and the status codes.
//
// # Your own metrics
//
// The feature provides its registry to the service. A field of type
// prometheus.Registerer (or prometheus.Gatherer, or *prometheus.Registry)
// tagged mikros:"feature" gets it; the metrics the service registers there
// are served at /metrics with the others:
//
//	type orders struct {
//		Metrics prometheus.Registerer `mikros:"feature"`
//		placed  prometheus.Counter
//	}
//
//	func (o *orders) OnStart(context.Context) error {
//		o.placed = prometheus.NewCounter(prometheus.CounterOpts{
//			Name: "orders_placed_total",
//			Help: "Orders placed.",
//		})
//		return o.Metrics.Register(o.placed)
//	}
//
// To serve metrics that libraries register in Prometheus's default
// registry, give it to the feature:
//
//	metrics.New(metrics.WithRegistry(prometheus.DefaultRegisterer.(*prometheus.Registry)))
//
// # Settings
//
// [features.metrics] holds the feature's settings; every key is optional,
// and an unknown key is a problem:
//
//	key                type              default     meaning
//	buckets            array of numbers  see below   upper bounds, in seconds, of the
//	                                                 buckets of every latency histogram:
//	                                                 positive, strictly increasing,
//	                                                 at most 64
//	go_collector       boolean           true        serve the Go runtime's metrics
//	                                                 (go_*)
//	process_collector  boolean           true        serve the process's metrics
//	                                                 (process_*: CPU, memory, open
//	                                                 file descriptors)
//
// The default buckets are [DefaultBuckets]: 0.001, 0.0025, 0.005, 0.01,
// 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5 and 10 seconds. For example:
//
//	[admin]
//	port = 9090
//
//	[features.metrics]
//	enabled           = true
//	buckets           = [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5]
//	process_collector = false
//
// Every problem is reported at once, each at its key; buckets = [0.005,
// 0.05, 0.01] is reported as
//
//	service.toml:14:1: features.metrics.buckets.2: bound 3 (0.01) is not greater than the one before it (0.05); bounds must be strictly increasing
//
// # Scraping
//
//	$ curl -s localhost:9090/metrics | grep grpc_server_handled_total
//	# HELP grpc_server_handled_total gRPC calls served that completed, by type, service, method and status code.
//	# TYPE grpc_server_handled_total counter
//	grpc_server_handled_total{grpc_code="OK",grpc_method="SayHello",grpc_service="greeter.v1.GreeterService",grpc_type="unary"} 42
package metrics
