package http

import (
	"bytes"
	"context"
	"hash/maphash"
	"log/slog"
	"sync"
	"time"
)

// panicLogInterval is how long the repeats of a panic's stack, once
// logged, are only counted.
const panicLogInterval = time.Minute

// maxPanicStacks bounds the distinct stacks a panicLog remembers.
const maxPanicStacks = 1024

// maxPanicSite bounds the length of the site a summary names.
const maxPanicSite = 256

// panicLog decides which panics the kind logs with their stack, so that a
// handler that panics on every request does not write the same stack each
// time. The first panic of each distinct stack is logged in full; its
// repeats in the interval that follows are counted, not logged; the first
// repeat after the interval is logged in full again, with the count of
// those in between; and at stop, the counts not reported yet are logged
// in one line per stack.
//
// Two stacks are identical when they have the same frames (functions,
// files and lines) and the same goroutine ancestry: goroutine ids, the
// argument values printed with each call and the offsets of the program
// counters are ignored, and so is the panic's value.
type panicLog struct {
	interval time.Duration
	now      func() time.Time // time.Now when nil; tests set it

	mu     sync.Mutex
	seed   maphash.Seed
	stacks map[uint64]*panicStack
}

// panicStack is what a panicLog keeps of one distinct stack.
type panicStack struct {
	site       string    // the function that panicked, and its file and line
	logged     time.Time // when the stack was last logged
	suppressed int       // repeats since then, not logged
}

// allow reports whether to log a panic whose stack (as debug.Stack
// returns it) is stack, and how many identical ones were not logged since
// the last one that was, since when.
func (l *panicLog) allow(stack []byte) (ok bool, suppressed int, since time.Time) {
	if l.interval <= 0 {
		return true, 0, time.Time{}
	}
	now := time.Now()
	if l.now != nil {
		now = l.now()
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.stacks == nil {
		l.seed = maphash.MakeSeed()
		l.stacks = make(map[uint64]*panicStack)
	}
	key := stackKey(l.seed, stack)
	s, seen := l.stacks[key]
	if !seen {
		if len(l.stacks) >= maxPanicStacks {
			l.forgetLocked(now)
		}
		if len(l.stacks) < maxPanicStacks {
			l.stacks[key] = &panicStack{site: panicSite(stack), logged: now}
		}
		return true, 0, time.Time{}
	}
	if now.Sub(s.logged) < l.interval {
		s.suppressed++
		return false, 0, time.Time{}
	}
	suppressed, since = s.suppressed, s.logged
	s.suppressed, s.logged = 0, now
	return true, suppressed, since
}

// forgetLocked forgets the stacks whose interval passed and that have no
// repeat to report.
func (l *panicLog) forgetLocked(now time.Time) {
	for k, s := range l.stacks {
		if s.suppressed == 0 && now.Sub(s.logged) >= l.interval {
			delete(l.stacks, k)
		}
	}
}

// flush logs, one line per stack, the repeats counted and not reported
// yet, and forgets them.
func (l *panicLog) flush(log *slog.Logger) {
	l.mu.Lock()
	type summary struct {
		site  string
		n     int
		since time.Time
	}
	var out []summary
	for _, s := range l.stacks {
		if s.suppressed > 0 {
			out = append(out, summary{s.site, s.suppressed, s.logged})
			s.suppressed = 0
		}
	}
	l.mu.Unlock()
	for _, s := range out {
		log.LogAttrs(context.Background(), slog.LevelError, "http: identical panics suppressed",
			slog.String("panic.site", s.site), slog.Int("suppressed", s.n), slog.Time("suppressed_since", s.since))
	}
}

// stackKey hashes the frames of stack, without what varies from one
// occurrence of the same panic to the next.
func stackKey(seed maphash.Seed, stack []byte) uint64 {
	var h maphash.Hash
	h.SetSeed(seed)
	for i, line := range bytes.Split(stack, []byte("\n")) {
		if i == 0 && bytes.HasPrefix(line, []byte("goroutine ")) {
			continue // goroutine 42 [running]:
		}
		_, _ = h.Write(normalizeFrame(line))
		_ = h.WriteByte('\n')
	}
	return h.Sum64()
}

// normalizeFrame returns a line of a stack without its varying parts: the
// arguments of a call ("pkg.f(0xc000012345, 0x2)"), the offset of a
// program counter ("\t/src/f.go:12 +0x1d"), and the id of a goroutine
// ("created by pkg.f in goroutine 7").
func normalizeFrame(line []byte) []byte {
	if bytes.HasPrefix(line, []byte("\t")) {
		if i := bytes.LastIndex(line, []byte(" +0x")); i >= 0 {
			return line[:i]
		}
		return line
	}
	if bytes.HasPrefix(line, []byte("created by ")) {
		if i := bytes.Index(line, []byte(" in goroutine ")); i >= 0 {
			return line[:i]
		}
		return line
	}
	if bytes.HasSuffix(line, []byte(")")) {
		if i := bytes.LastIndexByte(line, '('); i > 0 {
			return line[:i]
		}
	}
	return line
}

// panicSite returns the function that panicked and its place, from a
// stack that debug.Stack returned during the panic: the first frame below
// the runtime's panic that is not the runtime's own (a nil dereference
// passes through runtime.sigpanic).
func panicSite(stack []byte) string {
	lines := bytes.Split(stack, []byte("\n"))
	below := false
	for i := 0; i+1 < len(lines); i++ {
		line := lines[i]
		if bytes.HasPrefix(line, []byte("\t")) {
			continue // a place
		}
		if !below {
			below = bytes.HasPrefix(line, []byte("panic("))
			continue
		}
		if bytes.HasPrefix(line, []byte("runtime.")) {
			continue
		}
		site := string(normalizeFrame(line)) + " at " + string(bytes.TrimSpace(normalizeFrame(lines[i+1])))
		if len(site) > maxPanicSite {
			site = site[:maxPanicSite]
		}
		return site
	}
	return "unknown"
}
