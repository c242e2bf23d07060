// Package tracing is the Mikros feature that traces a service with the
// OpenTelemetry SDK.
//
// A service links it and turns it on in its definition:
//
//	core.Main(svc, core.WithKinds(grpc.New()), core.WithFeatures(logger.New(), tracing.New()))
//
//	[features.tracing]
//	enabled  = true
//	endpoint = "otel-collector.observability:4317"
//
// Once the feature started (it starts before the kinds):
//
//   - The SDK's tracer provider is installed, with the W3C trace-context
//     and baggage propagators, as OpenTelemetry's globals, so that the
//     spans the service makes with otel.Tracer(...) are exported with the
//     rest. The provider is also given to the service's fields of type
//     trace.TracerProvider tagged `mikros:"feature"`.
//   - Every span carries the service's identity as its resource:
//     service.name, service.version, service.namespace (the definition's
//     product), deployment.environment.name (MIKROS_ENV) and the
//     telemetry.sdk.* attributes.
//   - The calls the kinds serve and send get spans (see Calls below): a
//     served call continues the trace of its caller, a sent call carries
//     its trace context to the server.
//   - How the service started is recorded as a trace: a span named
//     "startup" with a child per phase (configure, build, start) at the
//     phases' times; a failed phase, and then the root, has an Error
//     status.
//   - Every line logged through core's *slog.Logger with a context that
//     carries a span gets trace_id and span_id (lower-case hex), which
//     lead from the line to its trace.
//
// # Settings
//
// Every key is optional; an unknown key, a wrong type or a bad value is a
// problem at boot, reported with the others at its line:
//
//	key                    type      default                  meaning
//	exporter               string    "otlp-grpc"              where spans go: otlp-grpc, otlp-http,
//	                                                          stdout (one JSON line a span on standard
//	                                                          output) or none (spans are made and
//	                                                          propagated, not exported)
//	endpoint               string    "localhost:4317" for     otlp-grpc: host:port; otlp-http: the base
//	                                 otlp-grpc,               URL, to which /v1/traces is added (its
//	                                 "http://localhost:4318"  scheme, http or https, chooses plain text
//	                                 for otlp-http            or TLS)
//	headers                table of  none                     sent with every export (credentials: write
//	                       strings                            them as "${NAME}", from envs)
//	insecure               boolean   false                    otlp-grpc: plain text instead of TLS
//	                                                          (otlp-http: the endpoint's scheme decides)
//	compression            string    "none"                   none or gzip, for the otlp exporters
//	sampler                string    "always_on"              which new traces are recorded: always_on,
//	                                                          always_off, or ratio
//	ratio                  float     none (required with      with sampler = "ratio": the share of new
//	                                 sampler = "ratio")       traces recorded, from 0 to 1
//	batch_timeout          duration  "5s"                     the longest a span waits to be exported
//	export_timeout         duration  "30s"                    the longest one export may take, retries
//	                                                          included (see Exports that fail)
//	max_queue_size         integer   2048                     spans waiting for export; past it, new
//	                                                          spans are dropped
//	max_export_batch_size  integer   512                      spans in one export, at most
//	                                                          max_queue_size
//
// endpoint, headers, insecure and compression apply only to the otlp
// exporters: written with another exporter they are problems. TLS uses the
// system's root certificates.
//
// Whatever the sampler, a call that continues a trace follows its
// caller's decision (parent-based sampling): a trace is recorded whole or
// not at all. A ratio keeps the traces whose trace id falls in the share,
// so every service sampling by the same ratio keeps the same traces. The
// startup trace is a new trace like any other.
//
// For example, to a collector that needs a token, over HTTPS, keeping a
// tenth of the traces:
//
//	envs = ["OTLP_TOKEN"]
//
//	[features.tracing]
//	enabled  = true
//	exporter = "otlp-http"
//	endpoint = "https://otlp.example.com"
//	headers  = { authorization = "Bearer ${OTLP_TOKEN}" }
//	sampler  = "ratio"
//	ratio    = 0.1
//
// The table is the whole configuration: the OTEL_* variables the
// OpenTelemetry SDK and exporters read (OTEL_EXPORTER_OTLP_*,
// OTEL_TRACES_SAMPLER, OTEL_BSP_*, OTEL_SPAN_*_LIMIT, OTEL_SERVICE_NAME,
// OTEL_RESOURCE_ATTRIBUTES) change nothing, as every option they would set
// is given. The proxies of HTTPS_PROXY and NO_PROXY apply to the exports,
// as to any Go HTTP or gRPC client.
//
// # Calls
//
// A kind describes each call it serves or sends as a core.Call; the
// feature's [Feature.StartCall] and [Feature.EndCall] make its span. The
// names, kinds, attributes and statuses are those the OpenTelemetry
// instrumentations otelgrpc and otelhttp v0.72 give the same calls
// (semantic conventions v1.43.0), so that traces do not change when a
// service moves to Mikros:
//
//   - gRPC: named after the method ("greeter.v1.Greeter/SayHello");
//     rpc.system.name, rpc.method, server.address and server.port (the
//     server's local address, the client's target),
//     rpc.response.status_code ("NOT_FOUND"). A server span's status is
//     Error for the codes that mean the server failed (UNKNOWN,
//     DEADLINE_EXCEEDED, UNIMPLEMENTED, INTERNAL, UNAVAILABLE, DATA_LOSS),
//     with the status message; a client span's for every code but OK.
//   - HTTP, served: named after the method, then, once a ServeMux routed
//     the request, after its route ("GET /orders/{id}"); http.request.method
//     (and http.request.method_original for a method that is not a known
//     one in upper case), url.scheme, url.path, server.address,
//     server.port (unless it is the scheme's), client.address (the first
//     address of X-Forwarded-For, or the peer's), network.peer.address and
//     .port, network.protocol.version (and .name when not http),
//     user_agent.original, http.route, http.request.body.size and
//     http.response.body.size (when not empty), http.response.status_code.
//     Error for a 5xx or invalid status, and for a response cut after it
//     began (a panic once the handler had written).
//   - HTTP, sent: named after the method; http.request.method,
//     server.address and server.port of the target,
//     http.response.status_code. Error for a 4xx or 5xx, or no response.
//   - Other protocols: named after the method, with no attributes.
//
// The spans' instrumentation scope is [ScopeName]. A span's attributes are
// set when its call ends, in one slice made once per method (or route),
// address and outcome: the feature's samplers do not look at attributes,
// so none needs them at the start, and the SDK copies them once.
//
// # Exports that fail
//
// While the service runs, an export that fails in a way that may pass is
// tried again: over gRPC, the codes UNAVAILABLE, DEADLINE_EXCEEDED,
// ABORTED, OUT_OF_RANGE, DATA_LOSS, CANCELLED, and RESOURCE_EXHAUSTED when
// the collector says when to come back; over HTTP, the statuses 429, 502,
// 503 and 504, and a request that got no answer (a connection refused,
// reset or timed out; not a certificate refused). The waits between the
// attempts are drawn at random between half of and the whole of 1s, 2s,
// 4s, 8s, then 10s each time (0.5–1s, 1–2s, 2–4s, 4–8s, 5–10s), or the
// wait the collector asks for (gRPC RetryInfo, HTTP Retry-After) when it
// is longer. An export is given up when it fails in a way that will not
// pass, or when its next attempt would begin after export_timeout:
// its spans are dropped. The first export given up is logged, with its
// error, and no other until one succeeds again, which is logged with the
// count of the spans dropped in between. Failures are never handed to
// OpenTelemetry's global error handler. While an export is being retried,
// the spans that end wait in the queue (max_queue_size).
//
// # Stopping
//
// Stop exports what is left and shuts the provider down within the stop
// budget core gives it (the features stop last, after the kinds). Once
// Stop began, each export is attempted once, without waiting, and an
// export that was waiting to be tried again is tried at once: a collector
// that is up gets every span, one that is down (the connection refused)
// costs the stop no more than that one attempt. Shortly before the
// deadline (a tenth of the time left, at most 100ms), exports still under
// way, such as those to a collector that accepts connections and never
// answers, are cut: Stop returns by the deadline. The spans not exported
// at stop are counted in one error line, with why the first were not
// ("tracing: spans were not exported at stop", spans, error, and
// dropped_before_stop when exports were already failing); when none was
// lost at stop but exports were failing, a warning counts the spans
// dropped since the last success. Telemetry that cannot be delivered
// never fails the service: Stop returns nil.
//
// # OpenTelemetry's globals
//
// Start installs the feature's provider and propagators as
// OpenTelemetry's globals; Stop puts back what was there before. When
// several services run in one process, as in tests, each service's Start
// installs its own, and at its Stop the globals go back to those of the
// latest service still running, or, once none is, to those from before
// the first one. Globals the program installed itself in between are left
// alone. A tracer the program took from the globals before the first
// service started (otel.Tracer at package level) delegates to the first
// provider ever installed, as OpenTelemetry's globals do; a service that
// needs its spans to follow its own run takes the provider the feature
// provides:
//
//	type service struct {
//		Tracing trace.TracerProvider `mikros:"feature"`
//	}
//
// # Seeing traces locally
//
// Jaeger receives OTLP on localhost:4317 (gRPC) and localhost:4318 (HTTP)
// and shows traces at http://localhost:16686. It builds from the Go module
// proxy as a tool of a module of its own (its go.mod has a replace
// directive, so go run and go install of it at a version refuse it); the
// first build fetches and compiles a large dependency tree, and takes
// minutes:
//
//	mkdir jaeger && cd jaeger && go mod init jaeger
//	go get -tool github.com/jaegertracing/jaeger/cmd/jaeger@v1.76.0
//	go tool jaeger
//
// The service points at it with plain text, over gRPC:
//
//	[features.tracing]
//	enabled  = true
//	endpoint = "localhost:4317"
//	insecure = true
//
// or over HTTP, with exporter = "otlp-http" and endpoint =
// "http://localhost:4318".
//
// With exporter = "stdout", the spans are printed instead, one JSON object
// a line.
//
// # Testing
//
// [WithExporter] hands the spans to an exporter of the test's, such as
// sdk/trace/tracetest's InMemoryExporter, and [Feature.Flush] exports them
// when the test needs them. Package tracingtest is an OTLP receiver, over
// gRPC and HTTP, on loopback: a test points the feature at it, runs the
// service, and reads the spans as a collector got them.
package tracing
