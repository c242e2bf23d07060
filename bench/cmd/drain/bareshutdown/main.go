// Command bareshutdown serves the greeting of examples/greeter on a plain
// net/http server and stops it as net/http documents: on SIGTERM or
// SIGINT it keeps serving for -drain-delay (as a Mikros service does while
// its readiness is off), then calls Server.Shutdown, at most -stop-timeout,
// and exits 0 (1 if Shutdown ran out of time). It is the baseline of
// bench/cmd/drain, which counts the requests a server loses while it
// stops; bench/cmd/barehttp stops with Close instead, which cuts every
// request in flight.
//
//	bareshutdown -addr 127.0.0.1:8080 [-drain-delay 500ms] [-stop-timeout 15s]
//
// It answers GET /hello?name=Ada with {"message":"Hello, Ada"}, with the
// http kind's default limits: ReadHeaderTimeout 5s, IdleTimeout 120s.
package main

import (
	"context"
	"errors"
	"flag"
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
	drainDelay := flag.Duration("drain-delay", 500*time.Millisecond, "how long to keep serving after the signal, before Shutdown")
	stopTimeout := flag.Duration("stop-timeout", 15*time.Second, "the longest Shutdown may take")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	g := &bench.Greeter{}
	s := &http.Server{Handler: g.HTTPHandler(), ReadHeaderTimeout: 5 * time.Second, IdleTimeout: 120 * time.Second}
	served := make(chan error, 1)
	go func() { served <- s.Serve(ln) }()
	select {
	case err := <-served:
		log.Fatal(err)
	case <-ctx.Done():
	}
	time.Sleep(*drainDelay)
	sctx, cancel := context.WithTimeout(context.Background(), *stopTimeout)
	defer cancel()
	err = s.Shutdown(sctx)
	if serr := <-served; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	if err != nil {
		log.Print(err)
		cancel()
		os.Exit(1)
	}
}
