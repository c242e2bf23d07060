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
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// BenchmarkGRPCChain measures what the kind's interceptor adds to a call
// in the server: bare is the method's handler as gRPC calls it without an
// interceptor, mikros with the kind's, and noop with one that only calls
// the handler: the difference between bare and noop is what any
// interceptor costs in gRPC's generated code (the call's info and handler
// escape), between noop and mikros what the kind's does.
//
// mikros-observed is the kind's observed interceptor, as a feature that
// observes calls installs it, with an observer that does nothing: its
// difference to mikros is what observing costs the kind itself, before
// the observers do any work.
func BenchmarkGRPCChain(b *testing.B) {
	srv := &echo{}
	ctx := incomingContext()
	dec := func(m any) error {
		m.(*wrapperspb.StringValue).Value = "hello"
		return nil
	}
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
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
		run(b, mgrpc.UnaryInterceptor(log, "orders"))
	})
	b.Run("mikros-observed", func(b *testing.B) {
		run(b, mgrpc.ObservedUnaryInterceptor(log, "orders", nopObserver{}))
	})
}

// benchTraceparent is the trace context of a sampled caller.
const benchTraceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"

// incomingContext returns the context of a call as gRPC's server gives it
// to the handler: the call's metadata (with a caller's trace context) and
// its peer.
func incomingContext() context.Context {
	ctx := metadata.NewIncomingContext(context.Background(), metadata.MD{
		":authority":   {"orders:7070"},
		"content-type": {"application/grpc"},
		"user-agent":   {"grpc-go/1.85.0"},
		"te":           {"trailers"},
		"traceparent":  {benchTraceparent},
	})
	return peer.NewContext(ctx, &peer.Peer{
		Addr:      &net.TCPAddr{IP: net.IPv4(10, 0, 0, 2), Port: 51234},
		LocalAddr: &net.TCPAddr{IP: net.IPv4(10, 0, 0, 1), Port: 7070},
	})
}

// BenchmarkGRPCUnary measures a unary round trip over loopback TCP, client
// and server in this process: bare is a plain gRPC server, mikros the kind
// in a running service, mikros-observed the kind in a service with a
// feature that observes calls and does nothing with them. The calls carry
// a caller's trace context, as calls from a traced caller do.
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
		ctx := metadata.AppendToOutgoingContext(context.Background(), "traceparent", benchTraceparent)
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
	kind := func(b *testing.B, def string, opts ...core.Option) {
		ln := listen(b)
		svc := servicetest.Start(b, &echo{}, def, append(opts, core.WithKinds(mgrpc.New(mgrpc.WithListener(ln))))...)
		if err := svc.Err(); err != nil {
			b.Fatal(err)
		}
		run(b, ln.Addr().String())
		if err := svc.Stop(); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("mikros", func(b *testing.B) { kind(b, definition) })
	b.Run("mikros-observed", func(b *testing.B) {
		kind(b, observedDefinition, core.WithFeatures(nopObserver{}))
	})
}
