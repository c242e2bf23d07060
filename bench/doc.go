// Package bench measures what Mikros costs a network service, against the
// bare libraries serving the same handler. It is a module of the
// repository that is never released.
//
// The package is [Greeter], the greeting of examples/greeter written
// without Mikros (SayHello over gRPC, GET /hello over HTTP), which both the
// bare servers and Mikros serve, and its benchmarks. Each benchmark has
// three variants: bare, the handler on a plain grpc.Server or
// net/http.Server (or, for the chains, called directly); mikros, the same
// handler run by the grpc or http kind through core, with the logger
// feature on at level error; and mikros-observed, the same with the
// features that observe calls on as well: tracing recording every trace
// (sampler always_on), its spans handed through its batch span processor
// to an exporter that drops them in the process, and metrics (package
// observed).
//
//	BenchmarkGRPCUnary          a unary call over loopback TCP, one at a time
//	BenchmarkGRPCUnaryParallel  the same, many calls in flight on one connection
//	BenchmarkHTTP               GET /hello?name=Ada over a loopback keep-alive connection
//	BenchmarkHTTPParallel       the same, many requests in flight
//	BenchmarkGRPCChain          the server's side of SayHello without the transport
//	BenchmarkHTTPChain          the server's side of GET /hello without the transport
//
// In the round trips, client and server share the process, so a round
// trip's allocations are both sides'; the client is the same for every
// variant, and sends no trace context. The chains run the kind in a real
// service (core/servicetest), whose features core composes into the
// kind's call observer itself, and call the Greeter's handler through the
// kind's chain as its server does: gRPC's method handler with the kind's
// interceptor (grpc.Kind.UnaryInterceptor), and the kind's handler
// (http.Kind.Handler) with an HTTP/1.1 request whose context descends
// from the kind's http.Kind.ConnContext, as the server makes it. The
// chains' mikros-observed has cases: caller-traced (the call continues a
// caller's recorded trace), tracing-only and metrics-only. Every benchmark
// also reports the process's CPU time per call (cpu-ns/op), which counts
// the work of other goroutines, such as the tracing feature's exporting
// one, and which other work on the machine skews less than the time.
//
// The kinds' own chain benchmarks, BenchmarkGRPCChain in kinds/grpc and
// BenchmarkHTTPChain in kinds/http, reach inside those packages and
// observe with an observer that does nothing: they measure the kinds'
// own cost of observing, without the features'.
//
// # Running
//
// gobench.sh runs all of them, the round trips, the chains here and the
// kinds' chains, each test binary COUNT times (6) so that the variants
// alternate, and compares every variant with bare with benchstat, by
// medians and paired by round:
//
//	bash bench/gobench.sh
//	cd bench && go test -run '^$' -bench . -count 6     # this package's alone
//
// load.sh measures processes: examples/greeter against bench/cmd/baregrpc
// and bench/cmd/barehttp, for server CPU time per request under saturating
// load (h2load and wrk), time from exec to gRPC health SERVING
// (bench/cmd/waitserving), and idle RSS. With DECOMPOSE=1,
// bench/cmd/mikrosgrpc (the greeting through core with the grpc kind
// alone) tells the framework's cost apart from the example's, and
// barehttp -timeouts (bare with the http kind's default limits) the
// kind's limits from its work; with OBSERVED=1, bench/cmd/mikrosobserved
// (both kinds, tracing and metrics on, as in mikros-observed) measures
// observing under load:
//
//	DECOMPOSE=1 OBSERVED=1 bash bench/load.sh
//
// Both print a Markdown report; the sections "Network kinds" and
// "Observed (tracing + metrics)" of the repository's BENCHMARKS.md hold
// the latest, with the machine they ran on and how loaded it was. go test
// ./... runs quick tests that every variant answers alike, and that the
// observed ones observe (a span per call, the metrics' counters), and no
// benchmark.
package bench
