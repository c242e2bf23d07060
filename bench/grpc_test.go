package bench

import (
	"context"
	"net"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/protobuf/types/known/wrapperspb"

	mgrpc "github.com/mikros-go/mikros/kinds/grpc"
)

// grpcConns are connections to the same Greeter served three ways.
type grpcConns struct {
	// bare: a plain gRPC server with the standard health service.
	bare *grpc.ClientConn
	// mikros: the grpc kind run by core with the logger feature.
	mikros *grpc.ClientConn
	// observed: the same with tracing and metrics on (package observed).
	observed *grpc.ClientConn
	// observedService is the service observed serves.
	observedService mikros
}

// each runs f as a sub-benchmark for each server, named bare, mikros and
// mikros-observed.
func (c grpcConns) each(b *testing.B, f func(*grpc.ClientConn) func(*testing.B)) {
	b.Run("bare", f(c.bare))
	b.Run("mikros", f(c.mikros))
	b.Run("mikros-observed", f(c.observed))
}

// grpcServers starts the same Greeter three times, each on its own
// loopback port: on a plain gRPC server with the standard health service
// (bare), and through core with the grpc kind and the logger feature,
// without (mikros) and with (observed) the features that observe calls.
// It returns a connection to each that already carried a call. All are
// stopped when the benchmark ends.
func grpcServers(b testing.TB) grpcConns {
	b.Helper()

	ln := listen(b)
	s := grpc.NewServer()
	healthpb.RegisterHealthServer(s, health.NewServer())
	(&Greeter{}).RegisterGRPC(s)
	go func(ln net.Listener) { _ = s.Serve(ln) }(ln)
	b.Cleanup(s.Stop)
	c := grpcConns{bare: grpcClient(b, ln.Addr().String())}

	ln = listen(b)
	startMikros(b, &Greeter{}, `"grpc"`, mgrpc.New(mgrpc.WithListener(ln)), unobserved)
	c.mikros = grpcClient(b, ln.Addr().String())

	ln = listen(b)
	c.observedService = startMikros(b, &Greeter{}, `"grpc"`, mgrpc.New(mgrpc.WithListener(ln)), allObservers)
	c.observed = grpcClient(b, ln.Addr().String())
	return c
}

// grpcClient returns a new connection to addr, warmed up by
// one call. The connection is closed when the benchmark ends.
func grpcClient(b testing.TB, addr string) *grpc.ClientConn {
	b.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = conn.Close() })
	if err := sayHello(context.Background(), conn); err != nil {
		b.Fatal(err)
	}
	return conn
}

// sayHello makes one call and checks its answer.
func sayHello(ctx context.Context, c *grpc.ClientConn) error {
	req, resp := wrapperspb.String("Ada"), new(wrapperspb.StringValue)
	if err := c.Invoke(ctx, SayHelloMethod, req, resp); err != nil {
		return err
	}
	if resp.GetValue() != "Hello, Ada" {
		return errAnswer(resp.GetValue())
	}
	return nil
}

// BenchmarkGRPCUnary measures a unary round trip over loopback TCP, client
// and server in this process, one call after the other on one connection:
// SayHello on a plain gRPC server (bare), through the grpc kind in a
// running service (mikros), and the same with tracing (every call a
// recorded span) and metrics on (mikros-observed). The differences are
// what Mikros adds to a call, and what observing it adds.
func BenchmarkGRPCUnary(b *testing.B) {
	run := func(c *grpc.ClientConn) func(*testing.B) {
		return func(b *testing.B) {
			ctx := context.Background()
			b.ReportAllocs()
			before := cpuTime(b)
			for b.Loop() {
				if err := sayHello(ctx, c); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, before)
		}
	}
	grpcServers(b).each(b, run)
}

// BenchmarkGRPCUnaryParallel is BenchmarkGRPCUnary with calls in flight at
// once (parallelism × GOMAXPROCS goroutines), still on one connection:
// the time per call is the server's throughput, not a round trip.
func BenchmarkGRPCUnaryParallel(b *testing.B) {
	run := func(c *grpc.ClientConn) func(*testing.B) {
		return func(b *testing.B) {
			ctx := context.Background()
			b.ReportAllocs()
			b.SetParallelism(parallelism)
			before := cpuTime(b)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := sayHello(ctx, c); err != nil {
						b.Error(err)
						return
					}
				}
			})
			reportCPU(b, before)
		}
	}
	grpcServers(b).each(b, run)
}
