package errors

import (
	"bytes"
	"cmp"
	"hash/maphash"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// stackLimiterCapacity is how many distinct stacks a StackLimiter
// remembers at most.
const stackLimiterCapacity = 1024

// maxSiteLen bounds the length in bytes of a [Suppressed.Site].
const maxSiteLen = 256

// StackLimiter decides which panic stacks to log, so that a panic that
// repeats on every call does not write the same stack each time: the first
// occurrence of each distinct stack is logged, the repeats within the
// interval that follows are only counted, and the first repeat after the
// interval is logged again with that count. [StackLimiter.Flush] returns
// the counts not reported yet, for a server to log when it stops.
//
// Two stacks are identical when they have the same frames: the same
// functions at the same lines, the same goroutine ancestry. What varies
// from one occurrence to the next is ignored: goroutine ids, the argument
// values printed after each function (pointers, lengths) and the offsets
// of the program counters. The panic's value is not part of the key, so
// one site that panics with varying messages ("index out of range [5]",
// "[7]") counts as one.
//
// A StackLimiter remembers at most 1024 distinct stacks. When it is full, a
// new stack first makes it forget the stacks whose interval has passed and
// that have no repeat to report; when there are none, those whose interval
// has passed, with their counts of repeats not reported yet, which are
// lost. If every stack is still within its interval, the new stack is
// logged and not remembered.
//
// A StackLimiter is safe for concurrent use. A nil *StackLimiter, and the
// zero value, log every stack.
type StackLimiter struct {
	interval time.Duration
	capacity int
	now      func() time.Time // time.Now; tests set a fake clock
	seed     maphash.Seed

	mu     sync.Mutex
	stacks map[uint64]*stackEntry // by the hash of the normalized stack
}

// stackEntry is what a StackLimiter keeps of one distinct stack.
type stackEntry struct {
	site       string    // see Suppressed.Site
	logged     time.Time // when the stack was last logged
	suppressed int       // repeats since then, not reported yet
}

// Suppressed is a count of identical panics that a [StackLimiter] held
// back and has not reported yet, as [StackLimiter.Flush] returns it.
type Suppressed struct {
	// Site is the function that panicked and its file and line, as in
	// "example.com/orders.(*Server).Get at /src/orders/server.go:41": the
	// first frame below the panic that is not the runtime's own. It is
	// "unknown" when the stack shows no panic, and at most 256 bytes long.
	Site string
	// Count is how many identical panics were not logged.
	Count int
	// Since is when the stack was last logged; the panics counted came
	// after it.
	Since time.Time
}

// NewStackLimiter returns a StackLimiter that logs each distinct stack at
// most once per interval. An interval of zero or less logs every stack.
func NewStackLimiter(interval time.Duration) *StackLimiter {
	return &StackLimiter{
		interval: interval,
		capacity: stackLimiterCapacity,
		now:      time.Now,
		seed:     maphash.MakeSeed(),
		stacks:   make(map[uint64]*stackEntry),
	}
}

// Allow reports whether to log stack, as [runtime/debug.Stack] returns it
// during the panic, and how many identical stacks were not logged since
// the last one that was: suppressed, counted since the time since, when
// the stack was last logged. A caller that logs a stack with a count above
// zero says so on the same line, as in "3 identical panics suppressed
// since 12:00:01" (the kinds write the attributes "suppressed" and
// "suppressed_since").
//
// The first occurrence of a stack is logged, with a count of zero; so is
// the first repeat once the interval since the stack was last logged
// passed, with the count of the repeats in between. The others are not:
// Allow returns false and counts them.
func (l *StackLimiter) Allow(stack []byte) (log bool, suppressed int, since time.Time) {
	if l == nil || l.interval <= 0 {
		return true, 0, time.Time{}
	}
	key := stackKey(l.seed, stack)
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	e, ok := l.stacks[key]
	if !ok {
		if len(l.stacks) < l.capacity || l.forget(now) {
			l.stacks[key] = &stackEntry{site: stackSite(stack), logged: now}
		}
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

// Flush returns the identical panics that Allow counted and no call
// reported yet, one Suppressed per stack, the oldest first, and resets
// those counts, so that neither Allow nor another Flush reports them
// again. A server calls it when it stops, and logs each, so that the
// repeats of the last interval are not lost. Flush returns nil when there
// are none, and for a nil or zero StackLimiter.
func (l *StackLimiter) Flush() []Suppressed {
	if l == nil {
		return nil
	}
	var out []Suppressed
	l.mu.Lock()
	for _, e := range l.stacks {
		if e.suppressed > 0 {
			out = append(out, Suppressed{Site: e.site, Count: e.suppressed, Since: e.logged})
			e.suppressed = 0
		}
	}
	l.mu.Unlock()
	slices.SortFunc(out, func(a, b Suppressed) int {
		return cmp.Or(a.Since.Compare(b.Since), strings.Compare(a.Site, b.Site))
	})
	return out
}

// forget makes room for a new stack: it removes the stacks whose interval
// has passed and that have no repeat to report or, when there are none,
// the stacks whose interval has passed. It reports whether it removed any.
// l.mu is held.
func (l *StackLimiter) forget(now time.Time) bool {
	n := len(l.stacks)
	for _, withCounts := range [2]bool{false, true} {
		for key, e := range l.stacks {
			if now.Sub(e.logged) >= l.interval && (withCounts || e.suppressed == 0) {
				delete(l.stacks, key)
			}
		}
		if len(l.stacks) < n {
			return true
		}
	}
	return false
}

// stackKey hashes the frames of stack, leaving out what varies between two
// occurrences of the same panic (see stackLine).
func stackKey(seed maphash.Seed, stack []byte) uint64 {
	var h maphash.Hash
	h.SetSeed(seed)
	for line := range bytes.Lines(stack) {
		if line, ok := stackLine(line); ok {
			_, _ = h.Write(line)
			_ = h.WriteByte('\n')
		}
	}
	return h.Sum64()
}

// stackSite returns the function that panicked and its file and line, from
// a stack that debug.Stack returned during the panic: the first frame
// below the runtime's panic that is not the runtime's own (a nil
// dereference passes through runtime.sigpanic, a failed index through
// runtime.panicIndex). See Suppressed.Site.
func stackSite(stack []byte) string {
	var below bool // below the frame of the runtime's panic
	var fn []byte  // the function that panicked, once found
	for line := range bytes.Lines(stack) {
		line, ok := stackLine(line)
		switch {
		case !ok:
		case fn != nil:
			if line[0] == '\t' {
				return siteOf(fn, line[1:])
			}
			return siteOf(fn, nil)
		case line[0] == '\t': // the place of a frame
		case !below:
			below = string(line) == "panic"
		case !bytes.HasPrefix(line, []byte("runtime.")):
			fn = line
		}
	}
	if fn != nil {
		return siteOf(fn, nil)
	}
	return "unknown"
}

// siteOf returns the site of a function fn at place (when there is one),
// cut to maxSiteLen bytes without splitting a character.
func siteOf(fn, place []byte) string {
	site := string(fn)
	if place != nil {
		site += " at " + string(place)
	}
	if len(site) <= maxSiteLen {
		return site
	}
	n := maxSiteLen
	for n > 0 && !utf8.RuneStart(site[n]) {
		n--
	}
	return site[:n]
}

// stackLine returns a line of a stack without what varies from one
// occurrence of the same panic to the next, or false for a line that is
// left out entirely. Left out are empty lines, the goroutine headers
// ("goroutine 42 [running]:") and ancestry headers ("[originating from
// goroutine 7]:"). Cut from a line are the line break, the arguments of a
// call ("pkg.f(0xc000012345, {0x7, 0x9})" becomes "pkg.f"), the offset of a
// program counter ("\t/src/f.go:12 +0x1d" becomes "\t/src/f.go:12") and
// the id of a parent goroutine ("created by pkg.f in goroutine 7" becomes
// "created by pkg.f"). Function names, files and lines remain.
func stackLine(line []byte) ([]byte, bool) {
	line = bytes.TrimRight(line, "\r\n")
	switch {
	case len(line) == 0,
		bytes.HasPrefix(line, []byte("goroutine ")),
		bytes.HasPrefix(line, []byte("[originating from goroutine ")):
		return nil, false
	case line[0] == '\t':
		if i := bytes.LastIndex(line, []byte(" +0x")); i >= 0 {
			line = line[:i]
		}
	case bytes.HasPrefix(line, []byte("created by ")):
		if i := bytes.Index(line, []byte(" in goroutine ")); i >= 0 {
			line = line[:i]
		}
	case line[len(line)-1] == ')':
		if i := bytes.LastIndexByte(line, '('); i > 0 {
			line = line[:i]
		}
	}
	return line, true
}
