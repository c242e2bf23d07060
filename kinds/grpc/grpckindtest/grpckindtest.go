// Package grpckindtest runs a gRPC service inside a test, over an in-memory
// connection: the real lifecycle (through core/servicetest), the real gRPC
// server with the kind's interceptors and health service, and a client
// connection to it.
//
//	func TestOrders(t *testing.T) {
//		svc, conn := grpckindtest.Start(t, &orders{}, `
//			name = "orders"
//			types = ["grpc"]
//			version = "v1.0.0"
//			product = "shop"
//		`)
//		client := pb.NewOrdersClient(conn)
//		// ... call it; svc.Stop() to test the shutdown ...
//	}
//
// The service and the connection are stopped and closed when the test
// ends. To give the kind options (its clients, say), make the listener
// with [NewListener] and start the service with servicetest.Start:
//
//	ln := grpckindtest.NewListener(t)
//	svc := servicetest.Start(t, s, def, core.WithKinds(mgrpc.New(mgrpc.WithListener(ln), mgrpc.WithClients("users"))))
//	conn := ln.Dial(t)
package grpckindtest

import (
	"context"
	"net"
	"testing"

	"github.com/mikros-go/mikros/core"
	"github.com/mikros-go/mikros/core/servicetest"
	mgrpc "github.com/mikros-go/mikros/kinds/grpc"
	grpclib "google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/test/bufconn"
)

// bufferSize is the size of each direction of an in-memory connection.
const bufferSize = 1 << 20

// Listener is an in-memory listener for the gRPC kind, and the way to dial
// it.
type Listener struct {
	*bufconn.Listener
}

// NewListener returns an in-memory listener, closed when the test ends
// (the kind closes it sooner when it stops).
func NewListener(t testing.TB) *Listener {
	t.Helper()
	l := &Listener{bufconn.Listen(bufferSize)}
	t.Cleanup(func() { _ = l.Close() })
	return l
}

// Dial returns a client connection to the listener, without TLS, closed
// when the test ends. opts are added to the connection's options.
func (l *Listener) Dial(t testing.TB, opts ...grpclib.DialOption) *grpclib.ClientConn {
	t.Helper()
	all := append([]grpclib.DialOption{
		grpclib.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return l.DialContext(ctx) }),
		grpclib.WithTransportCredentials(insecure.NewCredentials()),
	}, opts...)
	conn, err := grpclib.NewClient("passthrough:///bufconn", all...)
	if err != nil {
		t.Fatalf("grpckindtest: dial: %v", err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

// Start runs svc with the gRPC kind serving on an in-memory listener, as
// servicetest.Start does (definition is the service.toml text; opts are
// core options), and returns the service and a connection to it. The
// connection is closed, then the service stopped, when the test ends.
//
// Start adds the kind itself, in place of any gRPC kind in opts. When the
// service stops before it is ready, Start returns all the same; the
// service's Err says why.
func Start(t testing.TB, svc any, definition string, opts ...core.Option) (*servicetest.Service, *grpclib.ClientConn) {
	t.Helper()
	ln := NewListener(t)
	s := servicetest.Start(t, svc, definition, append(opts[:len(opts):len(opts)], core.WithKinds(mgrpc.New(mgrpc.WithListener(ln))))...)
	return s, ln.Dial(t)
}
