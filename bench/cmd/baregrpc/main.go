// Command baregrpc serves the greeting of examples/greeter on a plain gRPC
// server, with the standard health service and nothing else: the baseline
// that bench/load.sh compares the greeter with.
//
//	baregrpc -addr 127.0.0.1:7070
//
// It serves greeter.v1.GreeterService/SayHello and grpc.health.v1.Health
// (SERVING as soon as it listens). On SIGTERM or SIGINT it stops and
// prints how many greetings it answered, as "answered N", on stdout.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"os/signal"
	"syscall"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/mikros-go/mikros/bench"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:7070", "the address to listen on")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	s := grpc.NewServer()
	healthpb.RegisterHealthServer(s, health.NewServer())
	g := &bench.Greeter{}
	g.RegisterGRPC(s)
	go func() {
		<-ctx.Done()
		s.Stop()
	}()
	if err := s.Serve(ln); err != nil {
		log.Fatal(err)
	}
	fmt.Fprintf(os.Stdout, "answered %d\n", g.Answered())
}
