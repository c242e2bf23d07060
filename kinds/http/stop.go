package http

import (
	"context"
	"net"
	nethttp "net/http"
	"sync"
	"sync/atomic"
	"time"
)

// How the listener is drained at stop: see listener.
const (
	// acceptQuiet is how long the accept queue must stay empty for the
	// drain to end. Once new connections are held back (on Linux), only
	// handshakes under way when the stop began can still add to the
	// queue, and each completes within a round trip.
	acceptQuiet = 50 * time.Millisecond
	// acceptDrainMax bounds the drain where new connections cannot be held
	// back and keep arriving: the listener is then closed all the same.
	acceptDrainMax = 500 * time.Millisecond
)

// listener is the listener the kind's server accepts from. Until the stop
// it passes every Accept to the listener it wraps. At the stop
// (beginStop), it first keeps new connections from entering the kernel's
// accept queue where it can (holdBack: Linux), then goes on accepting what
// the queue holds, each Accept waiting at most acceptQuiet, and once an
// Accept found nothing it closes the listening socket: closing a socket
// whose accept queue is not empty resets the connections in it, whose
// clients have already sent their requests. Connections accepted during
// the drain are served like any other. After the drain, Accept waits until
// the server closes the listener.
type listener struct {
	net.Listener

	serving   chan struct{} // closed by the first Accept: the server serves
	serveOnce sync.Once

	stopping  atomic.Bool
	accepted  atomic.Int64  // connections accepted during the drain
	drained   chan struct{} // closed once the listening socket is closed
	drainOnce sync.Once

	closed    chan struct{} // closed by Close
	closeOnce sync.Once
	innerOnce sync.Once // closes the wrapped listener
}

// deadliner is a listener whose Accept can be bounded in time, such as
// *net.TCPListener.
type deadliner interface {
	SetDeadline(t time.Time) error
}

func newListener(ln net.Listener, serving chan struct{}) *listener {
	return &listener{
		Listener: ln,
		serving:  serving,
		drained:  make(chan struct{}),
		closed:   make(chan struct{}),
	}
}

// Accept returns the next connection; see listener.
func (l *listener) Accept() (net.Conn, error) {
	l.serveOnce.Do(func() { close(l.serving) })
	if !l.stopping.Load() {
		c, err := l.Listener.Accept()
		if err == nil || !l.stopping.Load() {
			return c, err
		}
		// The stop began while this Accept waited. When it ended the
		// wait with its deadline, the queue stayed empty since.
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			l.endDrain()
		}
	}
	return l.acceptQueued()
}

// acceptQueued is Accept once the stop began: it returns what the accept
// queue still holds and, once the queue is found empty, closes the
// listening socket and waits for Close.
func (l *listener) acceptQueued() (net.Conn, error) {
	select {
	case <-l.drained:
	default:
		if d, ok := l.Listener.(deadliner); ok && d.SetDeadline(time.Now().Add(acceptQuiet)) == nil {
			if c, err := l.Listener.Accept(); err == nil {
				l.accepted.Add(1)
				return c, nil
			}
		}
		l.endDrain()
	}
	<-l.closed
	return nil, net.ErrClosed
}

// beginStop starts the drain: it holds new connections back where the
// platform allows it, and ends any Accept waiting for one, so that the
// next waits at most acceptQuiet. It reports whether new connections are
// held back. A listener without deadlines is closed at once.
func (l *listener) beginStop() (held bool) {
	if l.stopping.Swap(true) {
		return false
	}
	held = holdBack(l.Listener) == nil
	d, ok := l.Listener.(deadliner)
	if !ok || d.SetDeadline(time.Now().Add(acceptQuiet)) != nil {
		l.endDrain()
	}
	return held
}

// isServing reports whether the server began accepting connections.
func (l *listener) isServing() bool {
	select {
	case <-l.serving:
		return true
	default:
		return false
	}
}

// endDrain closes the listening socket, once.
func (l *listener) endDrain() {
	l.drainOnce.Do(func() {
		_ = l.closeInner()
		close(l.drained)
	})
}

// closeInner closes the wrapped listener. Only the first call closes it
// and may return an error.
func (l *listener) closeInner() error {
	var err error
	l.innerOnce.Do(func() { err = l.Listener.Close() })
	return err
}

// Close closes the listener and ends the Accept waiting after the drain.
// It returns the error of closing the listening socket when this is the
// call that closed it.
func (l *listener) Close() error {
	l.closeOnce.Do(func() { close(l.closed) })
	return l.closeInner()
}

// connTracker follows the server's connections (ConnContext, ConnState)
// and knows how many are still waiting for their first request: those
// the stop must wait for, because net/http's Shutdown closes such a
// connection without an answer when its first request arrives after
// Shutdown began.
type connTracker struct {
	pending atomic.Int64 // == fresh, read without the lock by the hooks

	mu    sync.Mutex
	conns map[net.Conn]*connection // every open connection
	fresh int64                    // how many have not had a request yet
	empty chan struct{}            // closed when fresh drops to 0, when someone waits
}

// add tracks a new connection, which has had no request yet.
func (t *connTracker) add(nc net.Conn, c *connection) {
	t.mu.Lock()
	if t.conns == nil {
		t.conns = make(map[net.Conn]*connection)
	}
	t.conns[nc] = c
	c.fresh = true
	t.fresh++
	t.pending.Store(t.fresh)
	t.mu.Unlock()
}

// answered records that c has had its first request.
func (t *connTracker) answered(c *connection) {
	t.mu.Lock()
	t.settleLocked(c)
	t.mu.Unlock()
}

// settleLocked marks c as no longer waiting for its first request.
func (t *connTracker) settleLocked(c *connection) {
	if c == nil || !c.fresh {
		return
	}
	c.fresh = false
	t.fresh--
	t.pending.Store(t.fresh)
	if t.fresh == 0 && t.empty != nil {
		close(t.empty)
		t.empty = nil
	}
}

// closeValue is the value of a Connection header that closes the
// connection after the response. Its capacity is its length, so that a
// handler that adds a value copies it.
var closeValue = []string{"close"}

// closeAfter makes the response to r close its connection once Stop
// began, for HTTP/1.x (HTTP/2 has GOAWAY, which Shutdown sends).
func (k *Kind) closeAfter(w nethttp.ResponseWriter, r *nethttp.Request) {
	if k.stopping.Load() && r.ProtoMajor == 1 {
		w.Header()["Connection"] = closeValue
	}
}

// connState is the server's ConnState hook. A connection is settled
// once it went idle (an HTTP/2 connection does as soon as it is set up,
// and its streams are never cut by Shutdown, which sends GOAWAY), and
// forgotten once closed or hijacked. An HTTP/1.x connection is settled by
// its first request reaching the kind's handler (answered): only then has
// it passed the point where net/http drops a request read during
// Shutdown.
func (t *connTracker) connState(nc net.Conn, state nethttp.ConnState) {
	switch state {
	case nethttp.StateIdle:
		if t.pending.Load() == 0 {
			return
		}
		t.mu.Lock()
		t.settleLocked(t.conns[nc])
		t.mu.Unlock()
	case nethttp.StateClosed, nethttp.StateHijacked:
		t.mu.Lock()
		if c, ok := t.conns[nc]; ok {
			t.settleLocked(c)
			delete(t.conns, nc)
		}
		t.mu.Unlock()
	}
}

// waitFresh waits until no open connection is waiting for its first
// request, at most bound and until ctx ends. It reports whether none is.
func (t *connTracker) waitFresh(ctx context.Context, bound time.Duration) bool {
	timer := time.NewTimer(bound)
	defer timer.Stop()
	for {
		t.mu.Lock()
		if t.fresh == 0 {
			t.mu.Unlock()
			return true
		}
		if t.empty == nil {
			t.empty = make(chan struct{})
		}
		empty := t.empty
		t.mu.Unlock()
		select {
		case <-empty:
		case <-ctx.Done():
			return false
		case <-timer.C:
			return false
		}
	}
}

// waiting returns how many open connections have had no request yet.
func (t *connTracker) waiting() int64 { return t.pending.Load() }
