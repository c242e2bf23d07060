// Package bench measures what Mikros costs a network service, against the
// bare libraries serving the same handler. It is a module of the
// repository that is never released.
//
// The package is [Greeter], the greeting of examples/greeter written
// without Mikros (SayHello over gRPC, GET /hello over HTTP), which both the
// bare servers and Mikros serve, and its benchmarks, each a pair: bare, the
// handler on a plain grpc.Server or net/http.Server, and mikros, the same
// handler run by the grpc or http kind through core, with the logger
// feature on at level error:
//
//	BenchmarkGRPCUnary          a unary call over loopback TCP, one at a time
//	BenchmarkGRPCUnaryParallel  the same, many calls in flight on one connection
//	BenchmarkHTTP               GET /hello?name=Ada over a loopback keep-alive connection
//	BenchmarkHTTPParallel       the same, many requests in flight
//
// Client and server share the process, so a round trip's allocations are
// both sides'; the client is the same for bare and mikros. The server-side
// chains alone are measured where they can be reached, in the kinds'
// packages: BenchmarkGRPCChain in kinds/grpc and BenchmarkHTTPChain in
// kinds/http.
//
// # Running
//
// gobench.sh runs all of them, the round trips and both chains, each test
// binary COUNT times (6) so that bare and mikros alternate, and compares
// them with benchstat:
//
//	bash bench/gobench.sh
//	cd bench && go test -run '^$' -bench . -count 6     # the round trips alone
//
// load.sh measures processes: examples/greeter against bench/cmd/baregrpc
// and bench/cmd/barehttp, for server CPU time per request under saturating
// load (h2load and wrk), time from exec to gRPC health SERVING
// (bench/cmd/waitserving), and idle RSS. bench/cmd/mikrosgrpc, the greeting
// through core with the grpc kind alone, tells the framework's cost apart
// from the example's (DECOMPOSE=1):
//
//	bash bench/load.sh
//
// Both print a Markdown report; the section "Network kinds" of the
// repository's BENCHMARKS.md holds the latest, with the machine it ran on.
// go test ./... runs a quick test that bare and Mikros
// answer alike, and no benchmark.
package bench
