package errors

import (
	"bytes"
	"hash/maphash"
	"sync"
	"time"
)

// stackLimiterCapacity is how many distinct stacks a StackLimiter
// remembers at most.
const stackLimiterCapacity = 1024

// StackLimiter decides which panic stacks to log, so that a panic that
// repeats on every call does not write the same stack each time: the first
// occurrence of each distinct stack is logged, the repeats within the
// interval that follows are only counted, and the first repeat after the
// interval is logged again with that count.
//
// Two stacks are identical when they have the same frames: the same
// functions at the same lines, the same goroutine ancestry. What varies
// from one occurrence to the next is ignored: goroutine ids, and the
// argument values printed after each function (pointers, lengths). The
// panic's value is not part of the key, so one site that panics with
// varying messages ("index out of range [5]", "[7]") counts as one.
//
// A StackLimiter remembers at most 1024 distinct stacks. When it is full, a
// new stack first makes it forget the stacks whose interval has passed
// (their counts of repeats not reported yet are lost); if every one is
// still within its interval, the new stack is logged and not remembered.
//
// A StackLimiter is safe for concurrent use. A nil *StackLimiter, and the
// zero value, log every stack.
type StackLimiter struct {
	interval time.Duration
	capacity int
	now      func() time.Time // time.Now; tests set a fake clock

	mu     sync.Mutex
	seed   maphash.Seed
	stacks map[uint64]*stackEntry // by the hash of the normalized stack
}

// stackEntry is what a StackLimiter keeps of one distinct stack.
type stackEntry struct {
	logged     time.Time // when the stack was last logged
	suppressed int       // repeats since then
}

// NewStackLimiter returns a StackLimiter that logs each distinct stack at
// most once per interval. An interval of zero or less logs every stack.
func NewStackLimiter(interval time.Duration) *StackLimiter {
	return &StackLimiter{interval: interval, capacity: stackLimiterCapacity, now: time.Now}
}

// Allow reports whether to log stack, as [runtime/debug.Stack] returns it,
// and how many identical stacks were not logged since the last one that
// was: suppressed, counted since the time since, when the stack was last
// logged. A caller that logs a stack with a count above zero says so on the
// same line, as in "3 identical panics suppressed since 12:00:01" (the
// gRPC kind writes the attributes "suppressed" and "suppressed_since").
//
// The first occurrence of a stack is logged, with a count of zero; so is
// the first repeat once the interval since the stack was last logged
// passed, with the count of the repeats in between. The others are not:
// Allow returns false and counts them.
func (l *StackLimiter) Allow(stack []byte) (log bool, suppressed int, since time.Time) {
	if l == nil || l.interval <= 0 {
		return true, 0, time.Time{}
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.stacks == nil {
		l.seed = maphash.MakeSeed()
		l.stacks = make(map[uint64]*stackEntry)
	}
	key := stackKey(l.seed, stack)
	e, ok := l.stacks[key]
	if !ok {
		if len(l.stacks) >= l.capacity && !l.forget(now) {
			return true, 0, time.Time{} // full of stacks within their interval
		}
		l.stacks[key] = &stackEntry{logged: now}
		return true, 0, time.Time{}
	}
	if now.Sub(e.logged) < l.interval {
		e.suppressed++
		return false, 0, time.Time{}
	}
	suppressed, since = e.suppressed, e.logged
	if suppressed == 0 {
		since = time.Time{}
	}
	e.logged, e.suppressed = now, 0
	return true, suppressed, since
}

// forget removes the stacks whose interval has passed, and reports whether
// it removed any. l.mu is held.
func (l *StackLimiter) forget(now time.Time) bool {
	n := len(l.stacks)
	for key, e := range l.stacks {
		if now.Sub(e.logged) >= l.interval {
			delete(l.stacks, key)
		}
	}
	return len(l.stacks) < n
}

// stackKey hashes the frames of stack, leaving out what varies between two
// occurrences of the same panic: the goroutine headers ("goroutine 42
// [running]:"), the argument values of each function ("(0xc000123456,
// {0x7, 0x9})") and the ids of the parent and ancestor goroutines
// ("created by f in goroutine 7", "[originating from goroutine 7]:").
// Function names, files, lines and program counter offsets remain.
func stackKey(seed maphash.Seed, stack []byte) uint64 {
	var h maphash.Hash
	h.SetSeed(seed)
	for len(stack) > 0 {
		line := stack
		if i := bytes.IndexByte(stack, '\n'); i >= 0 {
			line, stack = stack[:i], stack[i+1:]
		} else {
			stack = nil
		}
		line = bytes.TrimRight(line, "\r")
		switch {
		case len(line) == 0:
			continue
		case line[0] == '\t': // the file, line and offset of a frame
		case bytes.HasPrefix(line, []byte("goroutine ")),
			bytes.HasPrefix(line, []byte("[originating from goroutine ")):
			continue
		case bytes.HasPrefix(line, []byte("created by ")):
			if i := bytes.Index(line, []byte(" in goroutine ")); i >= 0 {
				line = line[:i]
			}
		case line[len(line)-1] == ')': // a function and its arguments
			if i := bytes.LastIndexByte(line, '('); i >= 0 {
				line = line[:i]
			}
		}
		_, _ = h.Write(line)
		_ = h.WriteByte('\n')
	}
	return h.Sum64()
}
