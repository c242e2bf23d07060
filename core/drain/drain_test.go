package drain

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// noDeadline hides the listener's SetDeadline and SyscallConn, as
// crypto/tls's listener does.
type noDeadline struct{ net.Listener }

// listeners are the listeners the tests drain.
var listeners = []struct {
	name    string
	make    func(testing.TB) *Listener
	held    func() bool // whether a drain holds new connections back; nil: it depends on the kernel
	bounded bool        // whether Accept can be bounded in time, and so the queue drained
}{
	{"plain TCP (Listen)", plainTCP, func() bool { return canHoldBack }, true},
	{"net.Listen (Multipath TCP where available)", func(tb testing.TB) *Listener {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			tb.Fatal(err)
		}
		return Wrap(ln)
	}, nil, true},
	{"without SetDeadline (as TLS)", func(tb testing.TB) *Listener {
		return Wrap(noDeadline{plainTCP(tb).ln})
	}, func() bool { return false }, false},
}

// plainTCP returns a Listener on a plain TCP socket on 127.0.0.1.
func plainTCP(tb testing.TB) *Listener {
	tb.Helper()
	ln, err := Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	return ln
}

// server accepts from a Listener and answers "ok" on every connection.
// It accepts one connection, then waits for its gate to open before the
// next ones.
type server struct {
	accepted chan struct{} // one value per connection accepted
	gate     chan struct{} // closed: accept past the first connection
	ended    chan error    // Accept's error that ended the loop
}

func serve(ln *Listener) *server {
	s := &server{accepted: make(chan struct{}, 100), gate: make(chan struct{}), ended: make(chan error, 1)}
	go func() {
		for first := true; ; first = false {
			c, err := ln.Accept()
			if err != nil {
				s.ended <- err
				return
			}
			_, _ = io.WriteString(c, "ok")
			_ = c.Close()
			s.accepted <- struct{}{}
			if first {
				<-s.gate
			}
		}
	}()
	return s
}

// open lets s accept past its first connection, once.
func (s *server) open() {
	select {
	case <-s.gate:
	default:
		close(s.gate)
	}
}

// dial connects to ln; the kernel queues the connection until the server
// accepts it.
func dial(t *testing.T, ln *Listener) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// answered reports whether the server answered on c, and the error when it
// did not.
func answered(c net.Conn) error {
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	b, err := io.ReadAll(c)
	if err == nil && string(b) != "ok" {
		err = errors.New("answered " + string(b))
	}
	return err
}

// TestDrain drains listeners with connections in their accept queue:
// each queued connection is handed to the server and answered (when the
// listener's Accept can be bounded), a connection attempted during the
// drain is not accepted where new connections are held back, and Accept
// waits after the drain until Close.
func TestDrain(t *testing.T) {
	const queued = 5
	for _, tt := range listeners {
		t.Run(tt.name, func(t *testing.T) {
			ln := tt.make(t)
			defer ln.Close()
			srv := serve(ln)
			defer srv.open()
			if err := answered(dial(t, ln)); err != nil {
				t.Fatalf("first connection: %v", err)
			}
			<-srv.accepted
			var conns []net.Conn
			for range queued {
				conns = append(conns, dial(t, ln))
			}
			ln.begin.Do(ln.beginDrain) // as Drain does first, to dial once it did
			late := make(chan error, 1)
			go func() {
				c, err := net.DialTimeout("tcp", ln.Addr().String(), 3*time.Second)
				if err == nil {
					err = answered(c)
					_ = c.Close()
				}
				late <- err
			}()
			drained := make(chan error, 1)
			var rep Report
			go func() {
				var err error
				rep, err = ln.Drain(context.Background())
				drained <- err
			}()
			srv.open()
			err := <-drained
			if tt.bounded != (err == nil) {
				t.Fatalf("Drain: %v, want an error: %v", err, !tt.bounded)
			}
			t.Logf("%+v, %v", rep, err)
			if tt.held != nil && rep.HeldBack != tt.held() {
				t.Errorf("held back: %v, want %v", rep.HeldBack, tt.held())
			}
			for i, c := range conns {
				if err := answered(c); (err == nil) != tt.bounded {
					t.Errorf("queued connection %d: %v, want it answered: %v", i, err, tt.bounded)
				}
			}
			select {
			case err := <-srv.ended:
				t.Fatalf("Accept returned %v before Close", err)
			case <-time.After(50 * time.Millisecond):
			}
			if err := ln.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
			if err := <-srv.ended; !errors.Is(err, net.ErrClosed) {
				t.Errorf("Accept after Close: %v", err)
			}
			lateErr := <-late
			extra := len(srv.accepted) - queued
			if !tt.bounded {
				extra = len(srv.accepted)
			}
			if rep.HeldBack && (lateErr == nil || extra > 0) {
				t.Errorf("a connection attempted during the drain was accepted: %v, %d more accepted", lateErr, extra)
			}
			if tt.bounded && rep.Accepted != queued+extra {
				t.Errorf("Report.Accepted = %d, want %d", rep.Accepted, queued+extra)
			}
			if rep.Took <= 0 || rep.Took > time.Second {
				t.Errorf("Report.Took = %s", rep.Took)
			}
			if _, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second); err == nil {
				t.Error("a connection was made once the drain ended")
			}
		})
	}
}

// TestDrainEnds checks each way a drain ends before the queue was found
// empty: the listening socket is closed all the same, Drain says why, and
// a second Drain returns the same.
func TestDrainEnds(t *testing.T) {
	tests := []struct {
		name    string
		serve   bool          // a server accepts (one connection, then waits)
		timeout time.Duration // Drain's context; 0: none
		close   time.Duration // Close during the drain after that long; 0: never
		want    error
		atLeast time.Duration
	}{
		{name: "no server accepts", want: errIdle, atLeast: quiet},
		{name: "the context ends", serve: true, timeout: 50 * time.Millisecond, want: context.DeadlineExceeded, atLeast: 50 * time.Millisecond},
		{name: "the listener is closed", serve: true, close: 50 * time.Millisecond, want: net.ErrClosed, atLeast: 50 * time.Millisecond},
		{name: "the drain reaches its bound", serve: true, want: errLongest, atLeast: longest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ln := plainTCP(t)
			defer ln.Close()
			if tt.serve {
				srv := serve(ln)
				defer func() {
					srv.open()
					_ = ln.Close()
					<-srv.ended
				}()
				if err := answered(dial(t, ln)); err != nil {
					t.Fatal(err)
				}
			}
			queued := dial(t, ln) // the server waits: it stays in the queue
			ctx := context.Background()
			if tt.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.timeout)
				defer cancel()
			}
			if tt.close > 0 {
				timer := time.AfterFunc(tt.close, func() { _ = ln.Close() })
				defer timer.Stop()
			}
			begin := time.Now()
			rep, err := ln.Drain(ctx)
			took := time.Since(begin)
			if !errors.Is(err, tt.want) {
				t.Errorf("Drain: %v, want %v", err, tt.want)
			}
			if took < tt.atLeast || took > tt.atLeast+time.Second {
				t.Errorf("Drain took %s, want at least %s, and not a second more", took, tt.atLeast)
			}
			if err := answered(queued); err == nil {
				t.Error("the connection left in the queue was answered")
			}
			if rep2, err2 := ln.Drain(context.Background()); rep2 != rep || err2 != err {
				t.Errorf("second Drain: %+v %v, want %+v %v", rep2, err2, rep, err)
			}
		})
	}
}

// TestListen checks that Listen leaves no listener open when its context
// ended, and that a Listener passes its listener's errors on before the
// drain.
func TestListen(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if ln, err := Listen(ctx, "tcp", "127.0.0.1:0"); !errors.Is(err, context.Canceled) {
		t.Errorf("Listen with a context ended: %v, %v", ln, err)
	}
	if _, err := Listen(context.Background(), "tcp", "127.0.0.1:-1"); err == nil {
		t.Error("Listen on port -1: no error")
	}
	ln := plainTCP(t)
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	if err := ln.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if c, err := ln.Accept(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Accept after Close: %v %v", c, err)
	}
	if _, err := ln.Drain(context.Background()); err == nil {
		t.Error("Drain after Close: no error")
	}
}

// TestWrap checks what Wrap returns and what the Listener passes on from
// the listener it wraps.
func TestWrap(t *testing.T) {
	tests := []struct {
		name    string
		ln      func(*Listener) net.Listener
		same    bool
		syscall bool
	}{
		{"a *Listener", func(l *Listener) net.Listener { return l }, true, true},
		{"a TCP listener", func(l *Listener) net.Listener { return l.ln }, false, true},
		{"a listener that gives no socket", func(l *Listener) net.Listener { return noDeadline{l.ln} }, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inner := plainTCP(t)
			defer inner.Close()
			ln := tt.ln(inner)
			w := Wrap(ln)
			if (w == inner) != tt.same {
				t.Errorf("Wrap returned the same: %v, want %v", w == inner, tt.same)
			}
			if w.Addr().String() != inner.Addr().String() {
				t.Errorf("Addr: %v, want %v", w.Addr(), inner.Addr())
			}
			_, err := w.SyscallConn()
			if (err == nil) != tt.syscall {
				t.Errorf("SyscallConn: %v, want one: %v", err, tt.syscall)
			}
			if !tt.syscall && !errors.Is(err, errors.ErrUnsupported) {
				t.Errorf("SyscallConn: %v, want errors.ErrUnsupported", err)
			}
			var _ syscall.Conn = w
		})
	}
}

// TestConcurrentDrains drains one listener from several goroutines, as
// the race detector sees it: each gets the same report.
func TestConcurrentDrains(t *testing.T) {
	ln := plainTCP(t)
	srv := serve(ln)
	srv.open()
	if err := answered(dial(t, ln)); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	reports := make([]Report, 4)
	errs := make([]error, 4)
	for i := range reports {
		wg.Go(func() { reports[i], errs[i] = ln.Drain(t.Context()) })
	}
	wg.Wait()
	for i := range reports {
		if reports[i] != reports[0] || errs[i] != nil {
			t.Errorf("drain %d: %+v %v, drain 0: %+v", i, reports[i], errs[i], reports[0])
		}
	}
	_ = ln.Close()
	<-srv.ended
}
