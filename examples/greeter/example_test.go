package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	nethttp "net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/mikros-go/mikros/core"
	greeterv1 "github.com/mikros-go/mikros/examples/greeter/proto/greeter/v1"
	"github.com/mikros-go/mikros/features/tracing/tracingtest"
	mgrpc "github.com/mikros-go/mikros/kinds/grpc"
	mhttp "github.com/mikros-go/mikros/kinds/http"
)

// example is the greeter run by an example, on loopback ports.
type example struct {
	grpcAddr, adminURL string
	stop               func() error
}

// runExample runs the greeter, with the features main links, from def
// until it is ready.
func runExample(def string) (*example, error) {
	var lns []net.Listener
	for range 3 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			for _, l := range lns {
				_ = l.Close()
			}
			return nil, err
		}
		lns = append(lns, ln)
	}
	health := core.NewHealth()
	ready := make(chan struct{})
	var once sync.Once
	health.Watch(func(s core.State) {
		if s != core.Starting {
			once.Do(func() { close(ready) })
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- core.Run(ctx, &greeter{},
			core.WithDefinition("service.toml", []byte(def)),
			core.WithKinds(mgrpc.New(mgrpc.WithListener(lns[0])), mhttp.New(mhttp.WithListener(lns[1]))),
			core.WithFeatures(features()...),
			core.WithAdminListener(lns[2]),
			core.WithHealth(health),
			core.WithLogOutput(io.Discard),
			core.WithLookupEnv(func(string) (string, bool) { return "", false }))
	}()
	stop := func() error {
		cancel()
		return <-done
	}
	select {
	case <-ready:
	case err := <-done:
		cancel()
		return nil, errors.Join(errors.New("the greeter stopped before it was ready"), err)
	}
	return &example{grpcAddr: lns[0].Addr().String(), adminURL: "http://" + lns[2].Addr().String(), stop: stop}, nil
}

// callSayHello calls SayHello once, as any gRPC client would.
func callSayHello(addr, name string) error {
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err = greeterv1.NewGreeterServiceClient(conn).SayHello(ctx, &greeterv1.SayHelloRequest{Name: name})
	return err
}

// The greeter with [features.metrics] enabled counts its calls at
// /metrics, on the admin listener ([admin] port = 9090 in service.toml).
func Example_metrics() {
	g, err := runExample(`
name    = "greeter"
types   = ["grpc", "http"]
version = "v0.1.0"
product = "examples"

[features.metrics]
enabled = true
`)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer g.stop()

	for _, name := range []string{"Ada", "Grace", ""} {
		_ = callSayHello(g.grpcAddr, name)
	}
	client := &nethttp.Client{Transport: &nethttp.Transport{}, Timeout: 5 * time.Second}
	defer client.CloseIdleConnections()
	resp, err := client.Get(g.adminURL + "/metrics")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	lines := bufio.NewScanner(resp.Body)
	for lines.Scan() {
		if strings.HasPrefix(lines.Text(), "grpc_server_handled_total{") {
			fmt.Println(lines.Text())
		}
	}
	// Output:
	// grpc_server_handled_total{grpc_code="InvalidArgument",grpc_method="SayHello",grpc_service="greeter.v1.GreeterService",grpc_type="unary"} 1
	// grpc_server_handled_total{grpc_code="OK",grpc_method="SayHello",grpc_service="greeter.v1.GreeterService",grpc_type="unary"} 2
}

// The greeter with [features.tracing] enabled sends its spans over OTLP:
// here to a receiver of package tracingtest, as it would to a collector or
// Jaeger on localhost:4317. Once it stopped, which exports what is left,
// the receiver holds the startup trace and the span of the call.
func Example_tracing() {
	rcv, err := tracingtest.Listen()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer rcv.Close()
	g, err := runExample(fmt.Sprintf(`
name    = "greeter"
types   = ["grpc", "http"]
version = "v0.1.0"
product = "examples"

[features.tracing]
enabled  = true
exporter = "otlp-grpc"
endpoint = %q
insecure = true
`, rcv.Endpoint()))
	if err != nil {
		fmt.Println(err)
		return
	}
	_ = callSayHello(g.grpcAddr, "Ada")
	if err := g.stop(); err != nil {
		fmt.Println(err)
		return
	}
	spans, err := rcv.WaitSpans(5, 5*time.Second)
	if err != nil {
		fmt.Println(err)
	}
	var got []string
	for _, s := range spans {
		got = append(got, fmt.Sprintf("%s (%s)", s.Name, s.Kind))
	}
	slices.Sort(got)
	fmt.Println(strings.Join(got, "\n"))
	// Output:
	// build (internal)
	// configure (internal)
	// greeter.v1.GreeterService/SayHello (server)
	// start (internal)
	// startup (internal)
}
