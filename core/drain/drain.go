package drain

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

const (
	// quiet is how long an Accept waits for a queued connection during
	// the drain; one that finds none ends it. Once new connections are
	// held back, only handshakes under way when the drain began can still
	// add to the queue, and each completes within a round trip.
	quiet = 50 * time.Millisecond
	// longest bounds the drain where new connections cannot be held back
	// and keep arriving: the socket is closed all the same.
	longest = 500 * time.Millisecond
)

// Errors that [Listener.Drain] returns when it closed the socket without
// finding the accept queue empty.
var (
	errNoDeadline = errors.New("the listener cannot bound an Accept in time (it has no SetDeadline): closed without draining")
	errIdle       = fmt.Errorf("no server accepted from the listener within %s: closed without draining", quiet)
	errClosed     = fmt.Errorf("the listener was closed during the drain: %w", net.ErrClosed)
	errLongest    = fmt.Errorf("connections still arriving after %s: closed with the queue not found empty", longest)
)

// Listener is a net.Listener that can be drained at stop; see the package
// documentation. Make one with [Listen] or [Wrap], serve with it, and
// call [Listener.Drain] before stopping the server. Its methods are safe
// for concurrent use.
type Listener struct {
	ln net.Listener

	accepting atomic.Bool  // Accept was called: a server accepts from l
	stopping  atomic.Bool  // the drain began
	accepted  atomic.Int64 // connections Accept returned since the drain began

	begin    sync.Once
	heldBack bool      // set by begin
	began    time.Time // set by begin

	drained   chan struct{} // closed once the listening socket is closed
	drainOnce sync.Once
	cause     error     // why the drain ended, set before drained is closed
	ended     time.Time // when, set with cause

	closed    chan struct{} // closed by Close
	closeOnce sync.Once
	innerOnce sync.Once // closes ln
}

// Report says how a drain went.
type Report struct {
	// HeldBack is whether new connections were kept out of the accept
	// queue during the drain.
	HeldBack bool
	// Accepted is how many connections Accept returned once the drain
	// began: those the queue held, and, when they were not held back,
	// those that arrived meanwhile.
	Accepted int
	// Took is how long the drain took, from its beginning to the close of
	// the listening socket.
	Took time.Duration
}

// deadliner is a listener whose Accept can be bounded in time, such as
// *net.TCPListener.
type deadliner interface {
	SetDeadline(t time.Time) error
}

// Listen announces on the local network address, as net.Listen does, and
// returns the listener wrapped. A TCP listener is plain TCP, not Multipath
// TCP (Go's default on Linux), which takes no socket filter: on Linux,
// [Listener.Drain] can then hold new connections back. If ctx ends before
// Listen returns, no listener is left open and ctx's error is returned;
// once Listen returned, ctx has no effect on the listener.
func Listen(ctx context.Context, network, address string) (*Listener, error) {
	var lc net.ListenConfig
	lc.SetMultipathTCP(false)
	ln, err := lc.Listen(ctx, network, address)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		_ = ln.Close()
		return nil, err
	}
	return Wrap(ln), nil
}

// Wrap returns a Listener that accepts from ln and closes it. ln is
// returned as is when it is a *Listener already. Whether the drain can
// hold new connections back, and bound its Accepts in time, depends on ln:
// see the package documentation.
func Wrap(ln net.Listener) *Listener {
	if l, ok := ln.(*Listener); ok {
		return l
	}
	return &Listener{ln: ln, drained: make(chan struct{}), closed: make(chan struct{})}
}

// Accept waits for and returns the next connection. Once the drain
// began, it returns what the accept queue still holds; once the queue
// was found empty, or the drain ended otherwise, it waits until the
// Listener is closed and returns net.ErrClosed.
func (l *Listener) Accept() (net.Conn, error) {
	l.accepting.Store(true)
	if !l.stopping.Load() {
		c, err := l.ln.Accept()
		if !l.stopping.Load() {
			return c, err
		}
		if err == nil {
			l.accepted.Add(1)
			return c, nil
		}
		// The drain began while this Accept waited: its deadline, set
		// as the drain began, ends the wait once the queue stayed empty
		// that long.
		if isTimeout(err) {
			l.endDrain(nil)
		}
	}
	return l.acceptQueued()
}

// acceptQueued is Accept once the drain began: it returns a connection
// the queue still holds, and once the queue is found empty, closes the
// listening socket and waits for Close.
func (l *Listener) acceptQueued() (net.Conn, error) {
	select {
	case <-l.drained:
	default:
		if !l.boundAccept() {
			break
		}
		c, err := l.ln.Accept()
		if err == nil {
			l.accepted.Add(1)
			return c, nil
		}
		if isTimeout(err) {
			err = nil // found empty
		}
		l.endDrain(err)
	}
	<-l.closed
	return nil, net.ErrClosed
}

// Drain hands the server what the accept queue holds, then closes the
// listening socket; see the package documentation. Call it while the
// server accepts from l, and stop the server once it returned: the
// connections handed over are the server's by then. It returns when the
// socket is closed: once an Accept found the queue empty, when ctx ends,
// after half a second at most, or when l is closed. It returns a nil
// error only in the first case; otherwise the error says why the socket
// was closed without finding the queue empty (for ctx, it wraps ctx's
// cause; when l was closed, net.ErrClosed), and connections still in the
// queue were reset. A Listener that
// no server has accepted from within 50ms of the drain's beginning is
// closed then: nothing would hand its queue over.
//
// A Listener is drained once: a later or concurrent call of Drain waits
// for the same end, and returns the same.
func (l *Listener) Drain(ctx context.Context) (Report, error) {
	l.begin.Do(l.beginDrain)
	l.endDrain(l.wait(ctx))
	return Report{HeldBack: l.heldBack, Accepted: int(l.accepted.Load()), Took: l.ended.Sub(l.began)}, l.cause
}

// wait waits for the end of the drain, and returns why it should end
// when no Accept ended it: the listener closed, ctx ended, the drain took
// longest, or no server has accepted from the listener within quiet of
// its beginning.
func (l *Listener) wait(ctx context.Context) error {
	bound := time.NewTimer(longest - time.Since(l.began))
	defer bound.Stop()
	var idle <-chan time.Time
	if !l.accepting.Load() {
		t := time.NewTimer(quiet - time.Since(l.began))
		defer t.Stop()
		idle = t.C
	}
	for {
		select {
		case <-l.drained:
			return nil // ended already
		case <-l.closed:
			return errClosed
		case <-ctx.Done():
			return fmt.Errorf("drain cut: %w", context.Cause(ctx))
		case <-bound.C:
			return errLongest
		case <-idle:
			if !l.accepting.Load() {
				return errIdle
			}
			idle = nil // a server accepts: its Accept ends the drain
		}
	}
}

// beginDrain starts the drain: it holds new connections back where it
// can, and sets a deadline on the Accept under way, if any, so that it
// returns once the queue stayed empty for quiet. A listener whose Accept
// cannot be bounded is closed at once.
func (l *Listener) beginDrain() {
	l.began = time.Now()
	l.stopping.Store(true)
	l.heldBack = holdBack(l.ln) == nil
	l.boundAccept()
}

// boundAccept makes the Accept under way, or the next one, wait at most
// quiet. When the listener cannot bound it, it ends the drain, and
// returns false.
func (l *Listener) boundAccept() bool {
	d, ok := l.ln.(deadliner)
	if !ok {
		l.endDrain(errNoDeadline)
		return false
	}
	if err := d.SetDeadline(time.Now().Add(quiet)); err != nil {
		l.endDrain(err)
		return false
	}
	return true
}

// endDrain closes the listening socket, once, and records why: cause,
// nil when the queue was found empty.
func (l *Listener) endDrain(cause error) {
	l.drainOnce.Do(func() {
		if err := l.closeInner(); err != nil && cause == nil {
			cause = err
		}
		l.cause, l.ended = cause, time.Now()
		close(l.drained)
	})
}

// closeInner closes the wrapped listener. Only the first call closes it
// and may return an error.
func (l *Listener) closeInner() error {
	var err error
	l.innerOnce.Do(func() { err = l.ln.Close() })
	return err
}

// Close closes the listening socket if the drain did not, and ends the
// Accept that waits after the drain. It returns the error of closing the
// socket when this is the call that closed it.
func (l *Listener) Close() error {
	l.closeOnce.Do(func() { close(l.closed) })
	return l.closeInner()
}

// Addr returns the address of the listener it wraps.
func (l *Listener) Addr() net.Addr { return l.ln.Addr() }

// SyscallConn returns the raw connection of the listener it wraps, for
// servers that read its socket options (gRPC's channelz does), or
// errors.ErrUnsupported when that listener gives none.
func (l *Listener) SyscallConn() (syscall.RawConn, error) {
	if c, ok := l.ln.(syscall.Conn); ok {
		return c.SyscallConn()
	}
	return nil, errors.ErrUnsupported
}

// isTimeout reports whether err is a net.Error that says a deadline
// passed.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
