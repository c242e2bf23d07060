// Command barehttp serves the greeting of examples/greeter on a plain
// net/http server: the baseline that bench/load.sh compares the greeter
// with.
//
//	barehttp -addr 127.0.0.1:8080 [-timeouts] [-shutdown [-drain-delay 500ms] [-stop-timeout 15s]]
//
// It answers GET /hello?name=Ada with {"message":"Hello, Ada"}. The server
// sets ReadHeaderTimeout (5s) only. With -timeouts it also sets the other
// limits the http kind sets by default: IdleTimeout 120s, which net/http
// arms as a read deadline while a keep-alive connection waits for its next
// request, and MaxHeaderBytes 1 MiB (net/http's own default). Like the
// kind, it leaves ReadTimeout and WriteTimeout off. On SIGTERM or SIGINT
// it stops and prints how many greetings it answered, as "answered N", on
// stdout. It stops with Close, which cuts every request in flight; with
// -shutdown it stops as net/http documents instead: it keeps serving for
// -drain-delay (as a Mikros service does while its readiness is off), then
// calls Server.Shutdown, at most -stop-timeout, and exits 1 if that ran out
// of time. That is the baseline of bench/cmd/drain, which counts the
// requests a server loses while it stops.
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
	timeouts := flag.Bool("timeouts", false, "also set the http kind's default idle timeout and header limit")
	shutdown := flag.Bool("shutdown", false, "stop with Server.Shutdown instead of Close")
	drainDelay := flag.Duration("drain-delay", 500*time.Millisecond, "with -shutdown, how long to keep serving after the signal")
	stopTimeout := flag.Duration("stop-timeout", 15*time.Second, "with -shutdown, the longest Shutdown may take")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	g := &bench.Greeter{}
	s := newServer(g.HTTPHandler(), *timeouts)
	stopped := make(chan error, 1)
	go func() {
		<-ctx.Done()
		if !*shutdown {
			stopped <- s.Close()
			return
		}
		time.Sleep(*drainDelay)
		sctx, cancel := context.WithTimeout(context.Background(), *stopTimeout)
		defer cancel()
		stopped <- s.Shutdown(sctx)
	}()
	if err := s.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		log.Fatal(err)
	}
	err = <-stopped
	fmt.Fprintf(os.Stdout, "answered %d\n", g.Answered())
	if err != nil && *shutdown {
		log.Print(err)
		os.Exit(1)
	}
}

// The http kind's defaults ([services.http]), written out here so that the
// bare server links nothing of Mikros; a test checks them against the
// kind's.
const (
	kindReadHeaderTimeout = 5 * time.Second
	kindIdleTimeout       = 120 * time.Second
	kindMaxHeaderBytes    = 1 << 20
)

// newServer returns the server of h: with ReadHeaderTimeout only, or, with
// kindDefaults, with every limit the http kind sets by default.
func newServer(h http.Handler, kindDefaults bool) *http.Server {
	s := &http.Server{Handler: h, ReadHeaderTimeout: kindReadHeaderTimeout}
	if kindDefaults {
		s.IdleTimeout = kindIdleTimeout
		s.MaxHeaderBytes = kindMaxHeaderBytes
	}
	return s
}
