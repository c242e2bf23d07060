package grpc_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/mikros-go/mikros/core"
	"github.com/mikros-go/mikros/core/servicetest"
	mgrpc "github.com/mikros-go/mikros/kinds/grpc"
	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	grpclib "google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/stats"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// BenchmarkGRPCChain measures what the kind's interceptor adds to a call
// in the server: bare is the method's handler as gRPC calls it without an
// interceptor, mikros with the kind's, and noop with one that only calls
// the handler: the difference between bare and noop is what any
// interceptor costs in gRPC's generated code (the call's info and handler
// escape), between noop and mikros what the kind's does.
//
// mikros-traced is the kind's traced interceptor, as a tracer provider
// installs it, and otel-stock the kind's untraced one with otelgrpc's
// server stats handler given the events gRPC gives it for a unary call:
// their differences to mikros are what tracing costs each way. Both trace
// with the same SDK provider (every span sampled, handed to a batch
// processor whose exporter drops them), and the call carries a sampled
// trace context, as calls from a traced caller do.
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
	b.Run("mikros-traced", func(b *testing.B) {
		run(b, mgrpc.TracedUnaryInterceptor(log, "orders", benchTracerProvider(b), propagator, &echoDesc))
	})
	b.Run("otel-stock", func(b *testing.B) {
		h := otelgrpc.NewServerHandler(otelgrpc.WithTracerProvider(benchTracerProvider(b)), otelgrpc.WithPropagators(propagator))
		mikros := mgrpc.UnaryInterceptor(log, "orders")
		p, _ := peer.FromContext(ctx)
		b.ReportAllocs()
		for b.Loop() {
			// The events gRPC's server gives a stats handler in a unary
			// call, around the handler.
			begin := time.Now()
			ctx := h.TagRPC(ctx, &stats.RPCTagInfo{FullMethodName: echoMethod})
			h.HandleRPC(ctx, &stats.Begin{BeginTime: begin})
			h.HandleRPC(ctx, &stats.InHeader{FullMethod: echoMethod, RemoteAddr: p.Addr, LocalAddr: p.LocalAddr, WireLength: 64})
			h.HandleRPC(ctx, &stats.InPayload{Length: 7, WireLength: 12, RecvTime: begin})
			_, err := echoHandler(srv, ctx, dec, mikros)
			if err != nil {
				b.Fatal(err)
			}
			h.HandleRPC(ctx, &stats.OutHeader{})
			h.HandleRPC(ctx, &stats.OutPayload{Length: 7, WireLength: 12, SentTime: time.Now()})
			h.HandleRPC(ctx, &stats.OutTrailer{})
			h.HandleRPC(ctx, &stats.End{BeginTime: begin, EndTime: time.Now()})
		}
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

// benchTracerProvider returns an SDK tracer provider that samples every
// span and hands it to a batch processor whose exporter drops it: all the
// work of tracing in the service, and none of the export. It is shut down
// when the benchmark ends.
func benchTracerProvider(b *testing.B) *sdktrace.TracerProvider {
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample()), sdktrace.WithBatcher(dropExporter{}))
	b.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return tp
}

// dropExporter exports nothing.
type dropExporter struct{}

func (dropExporter) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (dropExporter) Shutdown(context.Context) error                             { return nil }

// BenchmarkGRPCUnary measures a unary round trip over loopback TCP, client
// and server in this process: bare is a plain gRPC server, mikros the kind
// in a running service, mikros-traced the kind traced (a tracer provider
// installed as the global one, as the tracing feature does), otel-stock
// the kind untraced with otelgrpc's server stats handler, on the same SDK
// provider as in BenchmarkGRPCChain. The calls carry a caller's trace
// context; the client is not traced.
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
	kind := func(b *testing.B, opts ...mgrpc.Option) {
		ln := listen(b)
		svc := servicetest.Start(b, &echo{}, definition, core.WithKinds(mgrpc.New(append(opts, mgrpc.WithListener(ln))...)))
		if err := svc.Err(); err != nil {
			b.Fatal(err)
		}
		run(b, ln.Addr().String())
		if err := svc.Stop(); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("mikros", func(b *testing.B) { kind(b) })
	b.Run("mikros-traced", func(b *testing.B) {
		setGlobal(b, benchTracerProvider(b))
		kind(b)
	})
	b.Run("otel-stock", func(b *testing.B) {
		h := otelgrpc.NewServerHandler(otelgrpc.WithTracerProvider(benchTracerProvider(b)), otelgrpc.WithPropagators(propagator))
		kind(b, mgrpc.WithServerOptions(grpclib.StatsHandler(h)))
	})
}
