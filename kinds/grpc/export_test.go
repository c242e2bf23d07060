package grpc

import (
	"log/slog"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	grpclib "google.golang.org/grpc"
)

// UnaryInterceptor returns the server's unary interceptor of a kind that
// logs to log and names domain in its errors, for benchmarks.
func UnaryInterceptor(log *slog.Logger, domain string) grpclib.UnaryServerInterceptor {
	k := &Kind{log: log, domain: domain}
	return k.unary
}

// StreamInterceptor returns the server's stream interceptor of such a
// kind.
func StreamInterceptor(log *slog.Logger, domain string) grpclib.StreamServerInterceptor {
	k := &Kind{log: log, domain: domain}
	return k.stream
}

// TracedUnaryInterceptor returns the traced unary interceptor of such a
// kind, tracing with tp and prop the methods of the services described,
// for benchmarks.
func TracedUnaryInterceptor(log *slog.Logger, domain string, tp trace.TracerProvider, prop propagation.TextMapPropagator, descs ...*grpclib.ServiceDesc) grpclib.UnaryServerInterceptor {
	services := map[string]grpclib.ServiceInfo{}
	for _, d := range descs {
		var info grpclib.ServiceInfo
		for _, m := range d.Methods {
			info.Methods = append(info.Methods, grpclib.MethodInfo{Name: m.MethodName})
		}
		for _, s := range d.Streams {
			info.Methods = append(info.Methods, grpclib.MethodInfo{Name: s.StreamName, IsClientStream: s.ClientStreams, IsServerStream: s.ServerStreams})
		}
		services[d.ServiceName] = info
	}
	k := &Kind{log: log, domain: domain}
	k.tracing = newServerTracing(newTracing(tp, prop), services)
	return k.unaryTraced
}

// Traced reports whether a started kind traces its server's calls.
func Traced(k *Kind) bool { return k.tracing != nil }
