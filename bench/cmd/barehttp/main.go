// Command barehttp serves the greeting of examples/greeter on a plain
// net/http server: the baseline that bench/load.sh compares the greeter
// with.
//
//	barehttp -addr 127.0.0.1:8080 [-timeouts]
//
// It answers GET /hello?name=Ada with {"message":"Hello, Ada"}. The server
// sets ReadHeaderTimeout (5s) only; with -timeouts it also sets the other
// limits the http kind sets by default (ReadTimeout 30s, WriteTimeout 60s,
// IdleTimeout 120s, MaxHeaderBytes 1 MiB), each of which net/http enforces
// per request. On SIGTERM
// or SIGINT it stops and prints how many greetings it answered, as
// "answered N", on stdout.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/mikros-go/mikros/bench"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "the address to listen on")
	timeouts := flag.Bool("timeouts", false, "set the http kind's default timeouts and header limit")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	g := &bench.Greeter{}
	s := &http.Server{Handler: g.HTTPHandler(), ReadHeaderTimeout: 5 * time.Second}
	if *timeouts {
		s.ReadTimeout = 30 * time.Second
		s.WriteTimeout = 60 * time.Second
		s.IdleTimeout = 120 * time.Second
		s.MaxHeaderBytes = 1 << 20
	}
	go func() {
		<-ctx.Done()
		_ = s.Close()
	}()
	if err := s.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		log.Fatal(err)
	}
	fmt.Fprintf(os.Stdout, "answered %d\n", g.Answered())
}
