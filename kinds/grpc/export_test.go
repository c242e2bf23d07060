package grpc

import (
	"log/slog"

	grpclib "google.golang.org/grpc"
)

// UnaryInterceptor returns the server's unary interceptor of a kind that
// logs to log and names domain in its errors, for benchmarks.
func UnaryInterceptor(log *slog.Logger, domain string) grpclib.UnaryServerInterceptor {
	k := &Kind{log: log, domain: domain}
	return k.unary
}
