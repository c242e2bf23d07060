package http

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	nethttp "net/http"
	"net/http/httptrace"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mikros-go/mikros/core"
)

// plainListener returns a TCP listener on 127.0.0.1, not Multipath TCP,
// as the kind binds its own.
func plainListener(tb testing.TB) net.Listener {
	tb.Helper()
	var lc net.ListenConfig
	lc.SetMultipathTCP(false)
	ln, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	return ln
}

// startedOn returns a kind started on ln with the default settings,
// changed by set, and not running yet.
func startedOn(tb testing.TB, ln net.Listener, h nethttp.Handler, set func(*settings)) *Kind {
	tb.Helper()
	k := New(WithListener(ln))
	if err := k.Configure(&core.Setup{Service: handlerService{h}, Logger: slog.New(slog.DiscardHandler)}); err != nil {
		tb.Fatal(err)
	}
	if set != nil {
		set(&k.set)
	}
	if err := k.Start(context.Background()); err != nil {
		tb.Fatal(err)
	}
	return k
}

// run runs k until the test ends, and returns a channel that gets Run's
// error.
func run(tb testing.TB, k *Kind) <-chan error {
	tb.Helper()
	ran := make(chan error, 1)
	go func() { ran <- k.Run(context.Background()) }()
	select {
	case <-k.Serving():
	case <-time.After(5 * time.Second):
		tb.Fatal("the kind does not serve")
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = k.Stop(ctx)
		if err := <-ran; err != nil {
			tb.Errorf("Run: %v", err)
		}
	})
	return ran
}

const rawRequest = "GET /%d HTTP/1.1\r\nHost: api\r\nConnection: close\r\n\r\n"

// readReply reads a response from conn, and returns its status and body.
func readReply(conn net.Conn) (int, string, error) {
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := nethttp.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

var okHandler = nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
	fmt.Fprint(w, "ok", r.URL.Path)
})

func TestServing(t *testing.T) {
	k := startedOn(t, plainListener(t), okHandler, nil)
	select {
	case <-k.Serving():
		t.Fatal("Serving is closed before Run")
	default:
	}
	run(t, k) // waits for Serving
}

// TestOwnListener checks that the listener the kind binds itself takes
// the filter that holds new connections back at stop, where the platform
// has one (Linux, but 386): it is not Multipath TCP.
func TestOwnListener(t *testing.T) {
	k := New()
	if err := k.Configure(&core.Setup{Service: handlerService{okHandler}, Logger: slog.New(slog.DiscardHandler)}); err != nil {
		t.Fatal(err)
	}
	k.set.Address = "127.0.0.1" // port 0: any free one
	if err := k.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = k.Stop(t.Context()) }()
	rep, _ := k.ln.Drain(t.Context()) // nothing accepts: closed within 50ms
	if canHoldBack := runtime.GOOS == "linux" && runtime.GOARCH != "386"; rep.HeldBack != canHoldBack {
		t.Errorf("new connections held back: %v, on a platform that can hold them back: %v", rep.HeldBack, canHoldBack)
	}
}

// signalClose is a plain TCP listener that says when it is closed.
type signalClose struct {
	*net.TCPListener
	closed chan struct{}
	once   sync.Once
}

func (l *signalClose) Close() error {
	l.once.Do(func() { close(l.closed) })
	return l.TCPListener.Close()
}

// TestStopAnswersQueuedConnections sends requests on connections that
// the kernel accepted before the server began accepting, and stops the
// kind as soon as it serves: each of them is answered, whether the
// server took it before the stop or the drain of the accept queue did.
func TestStopAnswersQueuedConnections(t *testing.T) {
	const conns, rounds = 16, 10
	for round := range rounds {
		k := startedOn(t, plainListener(t), okHandler, nil)
		var clients []net.Conn
		for i := range conns {
			c, err := net.DialTimeout("tcp", k.Addr().String(), time.Second)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if _, err := fmt.Fprintf(c, rawRequest, i); err != nil {
				t.Fatal(err)
			}
			clients = append(clients, c)
		}
		ran := make(chan error, 1)
		go func() { ran <- k.Run(context.Background()) }()
		<-k.Serving()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := k.Stop(ctx)
		cancel()
		if err != nil {
			t.Fatalf("round %d: Stop: %v", round, err)
		}
		if err := <-ran; err != nil {
			t.Fatalf("round %d: Run: %v", round, err)
		}
		for i, c := range clients {
			status, body, err := readReply(c)
			if err != nil || status != 200 || body != fmt.Sprint("ok/", i) {
				t.Fatalf("round %d, connection %d: %d %q %v", round, i, status, body, err)
			}
		}
	}
}

// TestStopWaitsForFirstRequests opens connections that the server
// accepted, and sends their requests only once the stop closed the
// listener: each is answered, where Shutdown alone would have closed
// them without a word.
func TestStopWaitsForFirstRequests(t *testing.T) {
	const conns = 8
	ln := &signalClose{TCPListener: plainListener(t).(*net.TCPListener), closed: make(chan struct{})}
	k := startedOn(t, ln, okHandler, nil)
	run(t, k)
	var clients []net.Conn
	for range conns {
		c, err := net.DialTimeout("tcp", k.Addr().String(), time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		clients = append(clients, c)
	}
	waitFor(t, "the server to accept the connections", func() bool { return k.conns.waiting() == conns })
	stopped := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		stopped <- k.Stop(ctx)
	}()
	select {
	case <-ln.closed:
	case <-time.After(5 * time.Second):
		t.Fatal("the listener was not drained")
	}
	if c, err := net.DialTimeout("tcp", k.Addr().String(), 100*time.Millisecond); err == nil {
		c.Close()
		t.Error("a connection was accepted once the listener was drained")
	}
	time.Sleep(50 * time.Millisecond) // the stop waits meanwhile
	select {
	case err := <-stopped:
		t.Fatalf("Stop returned before the first requests arrived: %v", err)
	default:
	}
	for i, c := range clients {
		if _, err := fmt.Fprintf(c, rawRequest, i); err != nil {
			t.Fatal(err)
		}
	}
	for i, c := range clients {
		status, body, err := readReply(c)
		if err != nil || status != 200 || body != fmt.Sprint("ok/", i) {
			t.Errorf("connection %d: %d %q %v", i, status, body, err)
		}
	}
	if err := <-stopped; err != nil {
		t.Fatalf("Stop: %v", err)
	}
}

// TestStopKeepsIdleConnections sends a request on a keep-alive
// connection that was idle when the stop began: it is answered, with
// "Connection: close", and the connection closes. Closing idle
// connections as the stop begins (SetKeepAlivesEnabled(false)) would lose
// it, or run its handler on a closed connection.
func TestStopKeepsIdleConnections(t *testing.T) {
	k := startedOn(t, plainListener(t), okHandler, nil)
	run(t, k)
	c, err := net.DialTimeout("tcp", k.Addr().String(), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	br := bufio.NewReader(c)
	exchange := func(i int) (*nethttp.Response, string, error) {
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := fmt.Fprintf(c, "GET /%d HTTP/1.1\r\nHost: api\r\n\r\n", i); err != nil {
			return nil, "", err
		}
		resp, err := nethttp.ReadResponse(br, nil)
		if err != nil {
			return nil, "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp, string(b), err
	}
	if resp, body, err := exchange(1); err != nil || resp.Close || body != "ok/1" {
		t.Fatalf("before the stop: %v %q %v", resp, body, err)
	}
	stopped := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		stopped <- k.Stop(ctx)
	}()
	waitFor(t, "the stop", k.stopping.Load)
	resp, body, err := exchange(2)
	if err != nil || body != "ok/2" {
		t.Fatalf("during the stop: %q %v", body, err)
	}
	if !resp.Close {
		t.Error("the answer during the stop keeps the connection open")
	}
	if err := <-stopped; err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if n, err := br.Read(make([]byte, 1)); n != 0 || err == nil {
		t.Errorf("the connection is still open: %d %v", n, err)
	}
}

// TestStopBounds checks the bounds of the wait for first requests: a
// connection that never sends one holds the stop for read_header_timeout
// at most, and never past ctx; a handler that ignores its context does
// not hold Stop past ctx either.
func TestStopBounds(t *testing.T) {
	release := make(chan struct{})
	entered := make(chan struct{}, 1)
	var running sync.WaitGroup
	stuck := nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		running.Add(1)
		defer running.Done()
		entered <- struct{}{}
		<-release // ignores r.Context()
	})
	t.Cleanup(func() { close(release); running.Wait() })
	tests := []struct {
		name          string
		h             nethttp.Handler
		headerTimeout time.Duration
		stopTimeout   time.Duration
		request       bool // send a request, or nothing
		wantErr       bool
		atLeast       time.Duration
		atMost        time.Duration
	}{
		{"silent connection, bounded by read_header_timeout", okHandler, 300 * time.Millisecond, 5 * time.Second, false, false, 250 * time.Millisecond, 2 * time.Second},
		{"silent connection, bounded by ctx", okHandler, 10 * time.Second, 200 * time.Millisecond, false, true, 150 * time.Millisecond, time.Second},
		{"handler ignoring its context", stuck, 5 * time.Second, 200 * time.Millisecond, true, true, 150 * time.Millisecond, time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := startedOn(t, plainListener(t), tt.h, func(s *settings) { s.ReadHeaderTimeout = tt.headerTimeout })
			run(t, k)
			c, err := net.DialTimeout("tcp", k.Addr().String(), time.Second)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if tt.request {
				fmt.Fprintf(c, rawRequest, 0)
				select {
				case <-entered:
				case <-time.After(5 * time.Second):
					t.Fatal("the request did not reach the handler")
				}
			} else {
				waitFor(t, "the server to accept", func() bool { return k.conns.waiting() == 1 })
			}
			ctx, cancel := context.WithTimeout(context.Background(), tt.stopTimeout)
			defer cancel()
			begin := time.Now()
			err = k.Stop(ctx)
			took := time.Since(begin)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Stop: %v, want an error: %v", err, tt.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), "connections were cut") {
				t.Errorf("Stop: %v, want an error saying the connections were cut", err)
			}
			if took < tt.atLeast || took > tt.atMost {
				t.Errorf("Stop took %s, want between %s and %s", took, tt.atLeast, tt.atMost)
			}
		})
	}
}

// waitFor polls cond for up to 5 seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("waited 5s for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// clientMode is how a load client sends its requests.
type clientMode int

const (
	freshTransport clientMode = iota // net/http's Transport, a new connection per request
	rawFresh                         // net.Dial, the request written, the response read
	keptAlive                        // net/http's Transport with keep-alive connections
)

func (m clientMode) String() string {
	return [...]string{"fresh-transport", "raw-fresh", "kept-alive"}[m]
}

// tally counts a load's requests: sent; answered; not accepted (the
// connection was refused, or not made in time); lost (the connection was
// made and the request written, and no response came).
type tally struct {
	sent, answered, refused, lost atomic.Int64

	mu      sync.Mutex
	samples []string // errors of lost requests, the first few
}

func (t *tally) lose(mode clientMode, err error) {
	t.lost.Add(1)
	t.mu.Lock()
	if len(t.samples) < 5 {
		t.samples = append(t.samples, fmt.Sprintf("%s: %v", mode, err))
	}
	t.mu.Unlock()
}

// dialTimeout bounds a load client's connect: one held back during a
// drain waits for it, and is counted as not accepted.
const dialTimeout = 300 * time.Millisecond

// loadClient sends requests to addr until done is closed.
func loadClient(addr string, mode clientMode, t *tally, done <-chan struct{}) {
	dialer := &net.Dialer{Timeout: dialTimeout}
	tr := &nethttp.Transport{DialContext: dialer.DialContext, DisableKeepAlives: mode == freshTransport, MaxIdleConnsPerHost: 1}
	defer tr.CloseIdleConnections()
	client := &nethttp.Client{Transport: tr, Timeout: 5 * time.Second}
	for i := 0; ; i++ {
		select {
		case <-done:
			return
		default:
		}
		t.sent.Add(1)
		if mode == rawFresh {
			rawRound(addr, dialer, i, t)
			continue
		}
		var connected atomic.Bool
		trace := &httptrace.ClientTrace{ConnectDone: func(_, _ string, err error) {
			if err == nil {
				connected.Store(true)
			}
		}}
		req, _ := nethttp.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace), nethttp.MethodGet, fmt.Sprintf("http://%s/%d", addr, i), nil)
		resp, err := client.Do(req)
		if err == nil {
			_, err = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if err == nil && resp.StatusCode == 200 {
				t.answered.Add(1)
				continue
			}
			if err == nil {
				err = fmt.Errorf("status %d", resp.StatusCode)
			}
		}
		var op *net.OpError
		if errors.As(err, &op) && op.Op == "dial" || !connected.Load() && mode == freshTransport {
			t.refused.Add(1)
			time.Sleep(time.Millisecond)
			continue
		}
		t.lose(mode, err)
	}
}

// rawRound sends one request on a connection of its own.
func rawRound(addr string, dialer *net.Dialer, i int, t *tally) {
	c, err := dialer.Dial("tcp", addr)
	if err != nil {
		t.refused.Add(1)
		time.Sleep(time.Millisecond)
		return
	}
	defer c.Close()
	_ = c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := fmt.Fprintf(c, rawRequest, i); err != nil {
		t.lose(rawFresh, err)
		return
	}
	status, body, err := readReply(c)
	if err == nil && status == 200 && body == fmt.Sprint("ok/", i) {
		t.answered.Add(1)
		return
	}
	if err == nil {
		err = fmt.Errorf("%d %q", status, body)
	}
	t.lose(rawFresh, err)
}

// stopUnderLoad serves requests with serve (which returns the address
// and a stop), loads it from clients of every mode, stops it once it
// answered some, and returns the tally of each mode and what the stop
// returned.
func stopUnderLoad(tb testing.TB, serve func(nethttp.Handler) (string, func() error)) (map[clientMode]*tally, error) {
	const perMode = 3
	h := nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		time.Sleep(time.Duration(rand.IntN(2000)) * time.Microsecond)
		fmt.Fprint(w, "ok", r.URL.Path)
	})
	addr, stop := serve(h)
	tallies := map[clientMode]*tally{}
	done := make(chan struct{})
	var wg sync.WaitGroup
	for _, mode := range []clientMode{freshTransport, rawFresh, keptAlive} {
		tl := &tally{}
		tallies[mode] = tl
		for range perMode {
			wg.Go(func() { loadClient(addr, mode, tl, done) })
		}
	}
	answered := func() int64 {
		var n int64
		for _, t := range tallies {
			n += t.answered.Load()
		}
		return n
	}
	for deadline := time.Now().Add(2 * time.Second); answered() < 100 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(time.Duration(rand.IntN(20)) * time.Millisecond) // stop at no set point of a request
	err := stop()
	time.Sleep(50 * time.Millisecond) // clients see the closed listener
	close(done)
	wg.Wait() // every request is bounded by the clients' timeouts
	return tallies, err
}

// kindServer serves h with the kind; its stop is Stop with 5 seconds.
func kindServer(tb testing.TB) func(nethttp.Handler) (string, func() error) {
	return func(h nethttp.Handler) (string, func() error) {
		k := startedOn(tb, plainListener(tb), h, nil)
		ran := make(chan error, 1)
		go func() { ran <- k.Run(context.Background()) }()
		<-k.Serving()
		return k.Addr().String(), func() error {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			err := k.Stop(ctx)
			return errors.Join(err, <-ran)
		}
	}
}

// bareServer serves h with a net/http Server; its stop is Shutdown with
// 5 seconds.
func bareServer(tb testing.TB) func(nethttp.Handler) (string, func() error) {
	return func(h nethttp.Handler) (string, func() error) {
		ln := plainListener(tb)
		srv := &nethttp.Server{Handler: h, ReadHeaderTimeout: DefaultReadHeaderTimeout}
		ran := make(chan error, 1)
		go func() { ran <- srv.Serve(ln) }()
		return ln.Addr().String(), func() error {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			err := srv.Shutdown(ctx)
			if rerr := <-ran; !errors.Is(rerr, nethttp.ErrServerClosed) {
				err = errors.Join(err, rerr)
			}
			return err
		}
	}
}

// TestStopUnderLoad stops the kind again and again while clients send
// requests, on connections of their own (through net/http's Transport, and
// written by hand) and on keep-alive connections: no request whose
// connection was made and which was written goes unanswered.
func TestStopUnderLoad(t *testing.T) {
	const (
		rounds  = 20
		maxTime = 60 * time.Second
	)
	totals := map[clientMode]*tally{}
	begin := time.Now()
	done := 0
	for ; done < rounds && time.Since(begin) < maxTime; done++ {
		tallies, err := stopUnderLoad(t, kindServer(t))
		if err != nil {
			t.Fatalf("round %d: stop: %v", done, err)
		}
		for mode, tl := range tallies {
			if tl.lost.Load() > 0 {
				t.Errorf("round %d, %s: %d of %d requests lost: %q", done, mode, tl.lost.Load(), tl.sent.Load(), tl.samples)
			}
			if totals[mode] == nil {
				totals[mode] = &tally{}
			}
			totals[mode].sent.Add(tl.sent.Load())
			totals[mode].answered.Add(tl.answered.Load())
			totals[mode].refused.Add(tl.refused.Load())
			totals[mode].lost.Add(tl.lost.Load())
		}
	}
	if done < 5 {
		t.Errorf("only %d rounds in %s", done, maxTime)
	}
	for _, mode := range []clientMode{freshTransport, rawFresh, keptAlive} {
		tl := totals[mode]
		t.Logf("%d stops, %s: %d sent, %d answered, %d not accepted, %d lost", done, mode, tl.sent.Load(), tl.answered.Load(), tl.refused.Load(), tl.lost.Load())
	}
}

// BenchmarkStopUnderLoad stops a server under the load of
// TestStopUnderLoad, once per iteration, and reports the requests lost per
// stop, and the share of stops that lost any: of the kind, and of a bare
// net/http Server stopped with Shutdown, which loses requests (though not
// at every stop).
func BenchmarkStopUnderLoad(b *testing.B) {
	for _, bc := range []struct {
		name  string
		serve func(testing.TB) func(nethttp.Handler) (string, func() error)
	}{
		{"net-http-shutdown", bareServer},
		{"mikros", kindServer},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var lost, lossy, stops int64
			for b.Loop() {
				tallies, err := stopUnderLoad(b, bc.serve(b))
				if err != nil {
					b.Fatal(err)
				}
				var n int64
				for _, tl := range tallies {
					n += tl.lost.Load()
				}
				lost += n
				if n > 0 {
					lossy++
				}
				stops++
			}
			b.ReportMetric(float64(lost)/float64(stops), "lost/stop")
			b.ReportMetric(float64(lossy)/float64(stops), "lossy-stops/stop")
		})
	}
}
