package http

import (
	"context"
	"net"
	nethttp "net/http"
	"sync"
	"sync/atomic"
	"time"
)

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
