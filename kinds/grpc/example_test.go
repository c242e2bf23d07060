package grpc_test

import (
	"context"
	"fmt"
	"io"
	"net"

	"github.com/mikros-go/mikros/core"
	mgrpc "github.com/mikros-go/mikros/kinds/grpc"
	grpclib "google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// shop is a gRPC service. A real one registers its generated servers in
// RegisterGRPC, as in pb.RegisterOrdersServer(r, s); this one only has the
// health service the kind registers for every service.
type shop struct {
	grpc   *mgrpc.Kind
	health healthpb.HealthClient
}

func (s *shop) RegisterGRPC(grpclib.ServiceRegistrar) {}

// OnStart makes a client, as the service would for another service it
// calls; here it calls itself, which already answers, but is not ready.
func (s *shop) OnStart(ctx context.Context) error {
	conn, err := s.grpc.Client("self")
	if err != nil {
		return err
	}
	s.health = healthpb.NewHealthClient(conn)
	return s.printHealth(ctx, "during OnStart")
}

func (s *shop) printHealth(ctx context.Context, when string) error {
	r, err := s.health.Check(ctx, &healthpb.HealthCheckRequest{})
	if err != nil {
		return err
	}
	fmt.Printf("%s: %s\n", when, r.GetStatus())
	return nil
}

// A gRPC service through its lifecycle: serving before it is ready,
// SERVING once ready, stopped when its context ends.
func Example() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	definition := fmt.Sprintf(`
name    = "shop"
types   = ["grpc"]
version = "v1.0.0"
product = "demo"

[clients.self]
host = "127.0.0.1"
port = %d
`, ln.Addr().(*net.TCPAddr).Port)

	k := mgrpc.New(mgrpc.WithListener(ln), mgrpc.WithClients("self"))
	svc := &shop{grpc: k}
	ctx, stop := context.WithCancel(context.Background())
	health := core.NewHealth()
	health.Watch(func(st core.State) {
		if st == core.Ready {
			go func() {
				_ = svc.printHealth(ctx, "when ready")
				stop()
			}()
		}
	})
	err = core.Run(ctx, svc,
		core.WithDefinition("service.toml", []byte(definition)),
		core.WithKinds(k),
		core.WithHealth(health),
		core.WithLogOutput(io.Discard))
	fmt.Println("stopped:", err)
	// Output:
	// during OnStart: NOT_SERVING
	// when ready: SERVING
	// stopped: <nil>
}

// callLog is a feature that observes calls, as the tracing and metrics
// features do: it prints each call when it ends.
type callLog struct{}

func (callLog) Name() string { return "calllog" }

func (callLog) StartCall(ctx context.Context, c *core.Call) context.Context {
	if c.Client {
		c.Header.Set("x-caller", "shop") // sent in the call's metadata
	}
	return ctx
}

func (callLog) EndCall(_ context.Context, c *core.Call) {
	side := "server"
	if c.Client {
		side = "client"
	}
	fmt.Printf("%s %s: code %d, x-caller %q\n", side, c.Method, c.Code, c.Header.Get("x-caller"))
}

// A feature that observes calls sees every call the kind serves and
// sends, once it is enabled in the definition. Here the service calls
// itself: the server's call ends before the client's.
func Example_observer() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	definition := fmt.Sprintf(`
name    = "shop"
types   = ["grpc"]
version = "v1.0.0"
product = "demo"

[features.calllog]
enabled = true

[clients.self]
host = "127.0.0.1"
port = %d
`, ln.Addr().(*net.TCPAddr).Port)

	k := mgrpc.New(mgrpc.WithListener(ln), mgrpc.WithClients("self"))
	svc := &shop{grpc: k}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	health := core.NewHealth()
	health.Watch(func(st core.State) {
		if st == core.Ready {
			go stop()
		}
	})
	err = core.Run(ctx, svc,
		core.WithDefinition("service.toml", []byte(definition)),
		core.WithKinds(k),
		core.WithFeatures(callLog{}),
		core.WithHealth(health),
		core.WithLogOutput(io.Discard))
	fmt.Println("stopped:", err)
	// Output:
	// server /grpc.health.v1.Health/Check: code 0, x-caller "shop"
	// client /grpc.health.v1.Health/Check: code 0, x-caller "shop"
	// during OnStart: NOT_SERVING
	// stopped: <nil>
}

// waiter is a gRPC service whose OnStart waits for its server to serve.
type waiter struct{ grpc *mgrpc.Kind }

func (*waiter) RegisterGRPC(grpclib.ServiceRegistrar) {}

func (w *waiter) OnStart(ctx context.Context) error {
	select {
	case <-w.grpc.Serving():
		fmt.Println("serving on", w.grpc.Addr().Network())
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Serving tells when the kind's server accepts connections; core waits
// for it before the service turns ready.
func ExampleKind_Serving() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	k := mgrpc.New(mgrpc.WithListener(ln))
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	health := core.NewHealth()
	health.Watch(func(st core.State) {
		if st == core.Ready {
			go stop()
		}
	})
	err = core.Run(ctx, &waiter{grpc: k},
		core.WithDefinition("service.toml", []byte(`
name    = "shop"
types   = ["grpc"]
version = "v1.0.0"
product = "demo"
`)),
		core.WithKinds(k),
		core.WithHealth(health),
		core.WithLogOutput(io.Discard))
	fmt.Println("stopped:", err)
	// Output:
	// serving on tcp
	// stopped: <nil>
}
