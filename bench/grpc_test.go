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

// grpcServers starts the same Greeter twice, each on its own loopback
// port: on a plain gRPC server with the standard health service (bare),
// and through core with the grpc kind and the logger feature (mikros). It
// returns a connection to each that already carried a
// call. Both are stopped when the benchmark ends.
func grpcServers(b testing.TB) (bare, mikros *grpc.ClientConn) {
	b.Helper()

	ln := listen(b)
	s := grpc.NewServer()
	healthpb.RegisterHealthServer(s, health.NewServer())
	(&Greeter{}).RegisterGRPC(s)
	go func(ln net.Listener) { _ = s.Serve(ln) }(ln)
	b.Cleanup(s.Stop)
	bare = grpcClient(b, ln.Addr().String())

	ln = listen(b)
	startMikros(b, &Greeter{}, `"grpc"`, mgrpc.New(mgrpc.WithListener(ln)))
	mikros = grpcClient(b, ln.Addr().String())
	return bare, mikros
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
// SayHello on a plain gRPC server (bare) and through the grpc kind in a
// running service (mikros). The difference is what Mikros adds to a call.
func BenchmarkGRPCUnary(b *testing.B) {
	bare, mikros := grpcServers(b)
	run := func(c *grpc.ClientConn) func(*testing.B) {
		return func(b *testing.B) {
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if err := sayHello(ctx, c); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	b.Run("bare", run(bare))
	b.Run("mikros", run(mikros))
}

// BenchmarkGRPCUnaryParallel is BenchmarkGRPCUnary with calls in flight at
// once (parallelism × GOMAXPROCS goroutines), still on one connection:
// the time per call is the server's throughput, not a round trip.
func BenchmarkGRPCUnaryParallel(b *testing.B) {
	bare, mikros := grpcServers(b)
	run := func(c *grpc.ClientConn) func(*testing.B) {
		return func(b *testing.B) {
			ctx := context.Background()
			b.ReportAllocs()
			b.SetParallelism(parallelism)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := sayHello(ctx, c); err != nil {
						b.Error(err)
						return
					}
				}
			})
		}
	}
	b.Run("bare", run(bare))
	b.Run("mikros", run(mikros))
}
