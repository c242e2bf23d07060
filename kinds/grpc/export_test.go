package grpc

import (
	"log/slog"
	"time"

	"github.com/mikros-go/mikros/core"
	merrors "github.com/mikros-go/mikros/features/errors"
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

// ObservedUnaryInterceptor returns the observed unary interceptor of such
// a kind, whose calls calls observes, for benchmarks.
func ObservedUnaryInterceptor(log *slog.Logger, domain string, calls core.CallObserver) grpclib.UnaryServerInterceptor {
	k := &Kind{log: log, domain: domain, calls: calls}
	return k.unaryObserved
}

// Observing reports whether a started kind's server interceptors observe
// calls.
func Observing(k *Kind) bool { return k.observing }

// ObservedStream reports whether ss is the stream the kind gives the
// handlers of observed calls.
func ObservedStream(ss grpclib.ServerStream) bool {
	_, ok := ss.(*streamCall)
	return ok
}

// SetPanicLogInterval makes a kind log the stack of one panic at most once
// per interval, instead of once a minute.
func SetPanicLogInterval(k *Kind, interval time.Duration) {
	k.panics = merrors.NewStackLimiter(interval)
}
