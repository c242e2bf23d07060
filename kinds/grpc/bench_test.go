package grpc_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"testing"

	"github.com/mikros-go/mikros/core"
	"github.com/mikros-go/mikros/core/servicetest"
	mgrpc "github.com/mikros-go/mikros/kinds/grpc"
	grpclib "google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// BenchmarkGRPCChain measures what the kind's interceptor adds to a call
// in the server: bare is the method's handler as gRPC calls it without an
// interceptor, mikros with the kind's, and noop with one that only calls
// the handler: the difference between bare and noop is what any
// interceptor costs in gRPC's generated code (the call's info and handler
// escape), between noop and mikros what the kind's does.
func BenchmarkGRPCChain(b *testing.B) {
	srv := &echo{}
	ctx := context.Background()
	dec := func(m any) error {
		m.(*wrapperspb.StringValue).Value = "hello"
		return nil
	}
	run := func(b *testing.B, interceptor grpclib.UnaryServerInterceptor) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := echoHandler(srv, ctx, dec, interceptor); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("bare", func(b *testing.B) { run(b, nil) })
	b.Run("noop", func(b *testing.B) {
		run(b, func(ctx context.Context, req any, _ *grpclib.UnaryServerInfo, handler grpclib.UnaryHandler) (any, error) {
			return handler(ctx, req)
		})
	})
	b.Run("mikros", func(b *testing.B) {
		run(b, mgrpc.UnaryInterceptor(slog.New(slog.NewJSONHandler(io.Discard, nil)), "orders"))
	})
}

// BenchmarkGRPCUnary measures a unary round trip over loopback TCP, client
// and server in this process: bare is a plain gRPC server, mikros the kind
// in a running service.
func BenchmarkGRPCUnary(b *testing.B) {
	listen := func(b *testing.B) net.Listener {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		return ln
	}
	run := func(b *testing.B, addr string) {
		conn, err := grpclib.NewClient(addr, grpclib.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			b.Fatal(err)
		}
		defer conn.Close()
		ctx := context.Background()
		if _, err := call(ctx, conn, "warm up"); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := call(ctx, conn, "hello"); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("bare", func(b *testing.B) {
		ln := listen(b)
		s := grpclib.NewServer()
		s.RegisterService(&echoDesc, &echo{})
		go func() { _ = s.Serve(ln) }()
		defer s.Stop()
		run(b, ln.Addr().String())
	})
	b.Run("mikros", func(b *testing.B) {
		ln := listen(b)
		svc := servicetest.Start(b, &echo{}, definition, core.WithKinds(mgrpc.New(mgrpc.WithListener(ln))))
		if err := svc.Err(); err != nil {
			b.Fatal(err)
		}
		run(b, ln.Addr().String())
		if err := svc.Stop(); err != nil {
			b.Fatal(err)
		}
	})
}
