package errors

import (
	"fmt"
	"hash/maphash"
	"reflect"
	"runtime/debug"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

// fakeClock is a clock that moves only when told to.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

var epoch = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) set(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = epoch.Add(d)
}

// limiterAt returns a limiter of interval and capacity on a fake clock.
func limiterAt(interval time.Duration, capacity int) (*StackLimiter, *fakeClock) {
	clock := &fakeClock{t: epoch}
	l := NewStackLimiter(interval)
	l.now, l.capacity = clock.now, capacity
	return l, clock
}

// Two stacks as debug.Stack writes them, each in two occurrences that
// differ only in goroutine ids and argument values.
const (
	stackA1 = `goroutine 23 [running]:
runtime/debug.Stack()
	/usr/local/go/src/runtime/debug/stack.go:26 +0x5e
example.com/orders.(*Kind).unary.func1()
	/src/orders/interceptor.go:27 +0x45
panic({0x9c1e40?, 0xc000384120?})
	/usr/local/go/src/runtime/panic.go:792 +0x132
example.com/orders.(*Server).Get(0xc0001a6000, {0xb2f6d0, 0xc000412150}, 0xc0003b8000)
	/src/orders/server.go:41 +0x1d
created by example.com/orders.serve in goroutine 12
	/src/orders/serve.go:88 +0x1f5
`
	stackA2 = `goroutine 4711 [running]:
runtime/debug.Stack()
	/usr/local/go/src/runtime/debug/stack.go:26 +0x5e
example.com/orders.(*Kind).unary.func1()
	/src/orders/interceptor.go:27 +0x45
panic({0x9c1e40?, 0xc000991a80?})
	/usr/local/go/src/runtime/panic.go:792 +0x132
example.com/orders.(*Server).Get(0xc000700000, {0xb2f6d0, 0xc0009920f0}, 0xc000993000)
	/src/orders/server.go:41 +0x1d
created by example.com/orders.serve in goroutine 3051
	/src/orders/serve.go:88 +0x1f5
`
	// The sites of the stacks.
	siteA = "example.com/orders.(*Server).Get at /src/orders/server.go:41"
	siteB = "example.com/orders.(*Server).Get at /src/orders/server.go:42"
	siteC = "example.com/orders.(*Server).List at /src/orders/server.go:41"
)

var (
	// stackB panics one line further down in the same function.
	stackB = strings.Replace(stackA1, "server.go:41 +0x1d", "server.go:42 +0x3a", 1)
	// stackC panics in another function.
	stackC = strings.Replace(stackA1, "(*Server).Get", "(*Server).List", 1)
)

func TestStackLimiter(t *testing.T) {
	// A step calls Allow with stack at the time at, or Flush when flush is
	// set.
	type step struct {
		at         time.Duration // on the fake clock, from the start
		stack      string
		log        bool
		suppressed int
		since      time.Duration // when suppressed > 0
		flush      bool
		flushed    []Suppressed
	}
	tests := []struct {
		name     string
		interval time.Duration
		capacity int
		steps    []step
	}{
		{
			name:     "the first of a stack is logged, repeats are counted and reported after the interval",
			interval: time.Minute,
			steps: []step{
				{at: 0, stack: stackA1, log: true},
				{at: time.Second, stack: stackA2},
				{at: 2 * time.Second, stack: stackA1},
				{at: 59 * time.Second, stack: stackA2},
				{at: time.Minute, stack: stackA1, log: true, suppressed: 3, since: 0},
				{at: time.Minute + time.Second, stack: stackA1},
				{at: 3 * time.Minute, stack: stackA2, log: true, suppressed: 1, since: time.Minute},
				{at: 3 * time.Minute, flush: true},
				{at: 3*time.Minute + time.Second, stack: stackA1},
				{at: 3*time.Minute + 2*time.Second, flush: true, flushed: []Suppressed{{siteA, 1, epoch.Add(3 * time.Minute)}}},
			},
		},
		{
			name:     "a repeat after a quiet interval is logged with nothing suppressed",
			interval: time.Minute,
			steps: []step{
				{at: 0, stack: stackA1, log: true},
				{at: 5 * time.Minute, stack: stackA2, log: true},
				{at: 5*time.Minute + time.Second, stack: stackA2},
				{at: 5*time.Minute + time.Second, flush: true, flushed: []Suppressed{{siteA, 1, epoch.Add(5 * time.Minute)}}},
			},
		},
		{
			name:     "distinct stacks are limited apart",
			interval: time.Minute,
			steps: []step{
				{at: 0, stack: stackA1, log: true},
				{at: time.Second, stack: stackB, log: true},
				{at: 2 * time.Second, stack: stackA2},
				{at: 3 * time.Second, stack: stackB},
				{at: 3 * time.Second, stack: stackB},
				{at: time.Minute, stack: stackA1, log: true, suppressed: 1, since: 0},
				{at: time.Minute, stack: stackB},
				{at: time.Minute + time.Second, stack: stackB, log: true, suppressed: 3, since: time.Second},
				{at: time.Minute + 2*time.Second, stack: stackB},
				{at: time.Minute + 2*time.Second, stack: stackA2},
				{at: time.Minute + 3*time.Second, stack: stackB},
				{at: time.Minute + 3*time.Second, flush: true, flushed: []Suppressed{
					{siteA, 1, epoch.Add(time.Minute)},
					{siteB, 2, epoch.Add(time.Minute + time.Second)},
				}},
			},
		},
		{
			name:     "a flush reports each count once, the oldest first",
			interval: time.Minute,
			steps: []step{
				{at: 0, stack: stackA1, log: true},
				{at: 0, stack: stackC, log: true},
				{at: time.Second, stack: stackB, log: true},
				{at: 2 * time.Second, stack: stackB},
				{at: 3 * time.Second, stack: stackA2},
				{at: 3 * time.Second, stack: stackC},
				{at: 4 * time.Second, stack: stackA1},
				{at: 5 * time.Second, flush: true, flushed: []Suppressed{
					{siteA, 2, epoch},
					{siteC, 1, epoch},
					{siteB, 1, epoch.Add(time.Second)},
				}},
				{at: 6 * time.Second, flush: true},
				{at: time.Minute, stack: stackA1, log: true}, // reported by the flush
				{at: time.Minute + time.Second, stack: stackA1},
				{at: time.Minute + 2*time.Second, stack: stackB, log: true},
				{at: time.Minute + 3*time.Second, flush: true, flushed: []Suppressed{{siteA, 1, epoch.Add(time.Minute)}}},
			},
		},
		{
			name:     "a zero interval logs everything",
			interval: 0,
			steps: []step{
				{at: 0, stack: stackA1, log: true},
				{at: 0, stack: stackA1, log: true},
				{at: 0, stack: stackA2, log: true},
				{at: 0, flush: true},
			},
		},
		{
			name:     "a full limiter logs a new stack without remembering it",
			interval: time.Minute,
			capacity: 1,
			steps: []step{
				{at: 0, stack: stackA1, log: true},
				{at: time.Second, stack: stackB, log: true},
				{at: 2 * time.Second, stack: stackB, log: true},
				{at: 3 * time.Second, stack: stackA2}, // still remembered
				{at: 4 * time.Second, flush: true, flushed: []Suppressed{{siteA, 1, epoch}}},
			},
		},
		{
			name:     "a full limiter forgets the stacks whose interval passed",
			interval: time.Minute,
			capacity: 1,
			steps: []step{
				{at: 0, stack: stackA1, log: true},
				{at: time.Second, stack: stackA1}, // counted, then forgotten
				{at: 2 * time.Minute, stack: stackB, log: true},
				{at: 2*time.Minute + time.Second, stack: stackB},
				{at: 2*time.Minute + 2*time.Second, stack: stackA1, log: true},
				{at: 2*time.Minute + 3*time.Second, flush: true, flushed: []Suppressed{{siteB, 1, epoch.Add(2 * time.Minute)}}},
			},
		},
		{
			name:     "a full limiter forgets first the stacks with nothing to report",
			interval: time.Minute,
			capacity: 2,
			steps: []step{
				{at: 0, stack: stackA1, log: true},
				{at: time.Second, stack: stackA1},
				{at: 2 * time.Second, stack: stackB, log: true},
				{at: 2 * time.Minute, stack: stackC, log: true}, // B makes room
				{at: 2*time.Minute + time.Second, stack: stackA2, log: true, suppressed: 1, since: 0},
				{at: 2*time.Minute + 2*time.Second, stack: stackB, log: true}, // full again
				{at: 2*time.Minute + 3*time.Second, stack: stackB, log: true},
				{at: 2*time.Minute + 4*time.Second, stack: stackC},
				{at: 2*time.Minute + 5*time.Second, flush: true, flushed: []Suppressed{{siteC, 1, epoch.Add(2 * time.Minute)}}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			capacity := tt.capacity
			if capacity == 0 {
				capacity = stackLimiterCapacity
			}
			l, clock := limiterAt(tt.interval, capacity)
			for i, s := range tt.steps {
				clock.set(s.at)
				if s.flush {
					if got := l.Flush(); !reflect.DeepEqual(got, s.flushed) {
						t.Errorf("step %d (at %s): Flush = %v; want %v", i, s.at, got, s.flushed)
					}
					continue
				}
				log, suppressed, since := l.Allow([]byte(s.stack))
				wantSince := time.Time{}
				if s.suppressed > 0 {
					wantSince = epoch.Add(s.since)
				}
				if log != s.log || suppressed != s.suppressed || !since.Equal(wantSince) {
					t.Errorf("step %d (at %s): Allow = %v, %d, %s; want %v, %d, %s",
						i, s.at, log, suppressed, since, s.log, s.suppressed, wantSince)
				}
			}
		})
	}
}

func TestStackLimiterNil(t *testing.T) {
	var zero StackLimiter
	for _, l := range []*StackLimiter{nil, &zero, NewStackLimiter(-time.Second)} {
		for range 3 {
			if log, n, since := l.Allow([]byte(stackA1)); !log || n != 0 || !since.IsZero() {
				t.Fatalf("%v: Allow = %v, %d, %s; want every stack logged", l, log, n, since)
			}
		}
		if got := l.Flush(); got != nil {
			t.Errorf("%v: Flush = %v; want nil", l, got)
		}
	}
}

// panicStack returns the stack of a panic recovered in a goroutine of its
// own, as a kind's recovery sees it. Calls from the same line give
// identical stacks but for goroutine ids and arguments.
func panicStack(site int, arg *int) (stack []byte) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer func() {
			if recover() != nil {
				stack = debug.Stack()
			}
		}()
		panicAt(site, arg)
	}()
	<-done
	return stack
}

func panicAt(site int, arg *int) {
	if site == 0 {
		panic(fmt.Sprint("site 0 with ", *arg))
	}
	panic(fmt.Sprint("site 1 with ", *arg))
}

func TestStackKeyOfRealStacks(t *testing.T) {
	seed := maphash.MakeSeed()
	one, two := 1, 2
	a, b, c := panicStack(0, &one), panicStack(0, &two), panicStack(1, &one)
	if string(a) == string(b) {
		t.Fatalf("the test needs stacks that differ in goroutine ids or arguments:\n%s", a)
	}
	if stackKey(seed, a) != stackKey(seed, b) {
		t.Errorf("the same panic site gave different keys:\n%s\n%s", a, b)
	}
	if stackKey(seed, a) == stackKey(seed, c) {
		t.Errorf("different panic sites gave the same key:\n%s\n%s", a, c)
	}
}

func TestStackKey(t *testing.T) {
	tests := []struct {
		name  string
		stack string
		same  bool // as stackA1's
	}{
		{"another goroutine and other arguments", stackA2, true},
		{"carriage returns", strings.ReplaceAll(stackA1, "\n", "\r\n"), true},
		{"an ancestry header", strings.Replace(stackA1, "[running]:", "[running]:\n[originating from goroutine 9]:", 1), true},
		{"a goroutine header with its scheduler state", strings.Replace(stackA1, "goroutine 23 [running]", "goroutine 23 gp=0xc000007340 m=4 mp=0xc000100008 [running]", 1), true},
		{"another program counter offset", strings.Replace(stackA1, "+0x1d", "+0x1e", 1), true},
		{"arguments elided", strings.Replace(stackA1, "Get(0xc0001a6000, {0xb2f6d0, 0xc000412150}, 0xc0003b8000)", "Get(...)", 1), true},
		{"arguments not known for sure", strings.Replace(stackA1, "Get(0xc0001a6000, {0xb2f6d0, 0xc000412150}, 0xc0003b8000)", "Get(0xc0001a6000?, {0xb2f6d0?, 0xc000412150?}, 0x7?)", 1), true},
		{"another line", stackB, false},
		{"another function", stackC, false},
		{"another file", strings.Replace(stackA1, "server.go", "handler.go", 1), false},
		{"another parent", strings.Replace(stackA1, "created by example.com/orders.serve", "created by example.com/orders.serveTLS", 1), false},
		{"no parent", stackA1[:strings.Index(stackA1, "created by")], false},
	}
	seed := maphash.MakeSeed()
	base := stackKey(seed, []byte(stackA1))
	for _, tt := range tests {
		if got := stackKey(seed, []byte(tt.stack)) == base; got != tt.same {
			t.Errorf("%s: the same key as stackA1 %v, want %v:\n%s", tt.name, got, tt.same, tt.stack)
		}
	}
}

func TestStackSite(t *testing.T) {
	long := "example.com/orders." + strings.Repeat("é", 200)
	tests := []struct {
		name  string
		stack string
		want  string
	}{
		{"a panic", stackA1, siteA},
		{"another occurrence", stackA2, siteA},
		{"another line", stackB, siteB},
		{"carriage returns", strings.ReplaceAll(stackA1, "\n", "\r\n"), siteA},
		{"the runtime's frames below the panic are skipped", `goroutine 7 [running]:
panic({0x4b0e60?, 0xc000012345?})
	/usr/local/go/src/runtime/panic.go:792 +0x132
runtime.panicmem(...)
	/usr/local/go/src/runtime/panic.go:262
runtime.sigpanic()
	/usr/local/go/src/runtime/signal_unix.go:925 +0x359
example.com/orders.load(0x0?)
	/src/orders/load.go:12 +0x4
`, "example.com/orders.load at /src/orders/load.go:12"},
		{"a function without its place", stackA1[:strings.Index(stackA1, "\t/src/orders/server.go")], "example.com/orders.(*Server).Get"},
		{"a site too long is cut between characters", strings.Replace(stackA1, "example.com/orders.(*Server).Get(", long+"(", 1),
			"example.com/orders." + strings.Repeat("é", 118)},
		{"no panic", "goroutine 1 [running]:\nmain.main()\n\t/src/main.go:3 +0x1\n", "unknown"},
		{"nothing below the panic but the runtime", "goroutine 1 [running]:\npanic({0x1, 0x2})\n\t/go/src/runtime/panic.go:792 +0x132\nruntime.goexit({})\n\t/go/src/runtime/asm_amd64.s:1700 +0x1\n", "unknown"},
		{"an empty stack", "", "unknown"},
	}
	for _, tt := range tests {
		if got := stackSite([]byte(tt.stack)); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
		if got := stackSite([]byte(tt.stack)); len(got) > maxSiteLen || !utf8.ValidString(got) {
			t.Errorf("%s: a site of %d bytes, valid UTF-8 %v", tt.name, len(got), utf8.ValidString(got))
		}
	}
}

func TestStackSiteOfRealPanics(t *testing.T) {
	tests := []struct {
		name  string
		panic func()
	}{
		{"a call of panic", func() { panic("boom") }},
		{"a nil dereference", func() {
			var m map[string]*int
			_ = *m["absent"]
		}},
		{"an index out of range", func() {
			var s []int
			i := 3
			_ = s[i]
		}},
		{"a write to a nil map", func() {
			var m map[string]int
			m["x"] = 1 //nolint:staticcheck // the panic of a write to a nil map is what is tested
		}},
	}
	for _, tt := range tests {
		var stack []byte
		func() {
			defer func() {
				_ = recover()
				stack = debug.Stack()
			}()
			tt.panic()
		}()
		got := stackSite(stack)
		if !strings.Contains(got, "TestStackSiteOfRealPanics.func") || !strings.Contains(got, "stack_test.go:") {
			t.Errorf("%s: site %q, want the test's function and file:\n%s", tt.name, got, stack)
		}
	}
}

// TestStackLimiterConcurrent has many goroutines panic alike at once while
// one of them flushes now and then: exactly one logs, and the flushes and
// the next one after the interval report all the others, once. Run with
// -race.
func TestStackLimiterConcurrent(t *testing.T) {
	l, clock := limiterAt(time.Minute, stackLimiterCapacity)
	const goroutines, each = 8, 500
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		logged  int
		flushed int
	)
	for g := range goroutines {
		wg.Go(func() {
			stack := []byte(stackA1)
			if g%2 == 1 {
				stack = []byte(stackA2)
			}
			for i := range each {
				if log, _, _ := l.Allow(stack); log {
					mu.Lock()
					logged++
					mu.Unlock()
				}
				if g == 0 && i%50 == 0 {
					for _, s := range l.Flush() {
						mu.Lock()
						flushed += s.Count
						mu.Unlock()
					}
				}
			}
		})
	}
	wg.Wait()
	if logged != 1 {
		t.Errorf("%d stacks logged, want 1", logged)
	}
	clock.set(time.Hour)
	log, n, _ := l.Allow([]byte(stackA1))
	if !log || flushed+n != goroutines*each-1 {
		t.Errorf("after the interval: Allow = %v, %d with %d flushed; want true and %d in all", log, n, flushed, goroutines*each-1)
	}
}

func TestStackLimiterMemoryIsBounded(t *testing.T) {
	if c := NewStackLimiter(time.Minute).capacity; c != stackLimiterCapacity {
		t.Fatalf("capacity %d, want %d", c, stackLimiterCapacity)
	}
	for _, capacity := range []int{16, stackLimiterCapacity} {
		t.Run(fmt.Sprint(capacity), func(t *testing.T) {
			l, clock := limiterAt(time.Minute, capacity)
			for i := range 3 * capacity {
				clock.set(time.Duration(i) * time.Second)
				stack := []byte(strings.Replace(stackA1, "server.go:41", fmt.Sprintf("server.go:%d", 1000+i), 1))
				if log, _, _ := l.Allow(stack); !log {
					t.Fatalf("distinct stack %d was not logged", i)
				}
				l.Allow(stack) // a repeat to report
				if len(l.stacks) > capacity {
					t.Fatalf("%d stacks remembered, capacity %d", len(l.stacks), capacity)
				}
			}
			if n := len(l.Flush()); n == 0 || n > capacity {
				t.Errorf("%d counts flushed, want 1 to %d", n, capacity)
			}
		})
	}
}

func BenchmarkStackLimiterAllow(b *testing.B) {
	l := NewStackLimiter(time.Minute)
	stack := debug.Stack()
	b.ReportAllocs()
	for b.Loop() {
		l.Allow(stack)
	}
}
