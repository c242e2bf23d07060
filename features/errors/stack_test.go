package errors

import (
	"fmt"
	"hash/maphash"
	"runtime/debug"
	"strings"
	"sync"
	"testing"
	"time"
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
	// stackB panics one line further down in the same function.
	stackB = `goroutine 23 [running]:
runtime/debug.Stack()
	/usr/local/go/src/runtime/debug/stack.go:26 +0x5e
example.com/orders.(*Kind).unary.func1()
	/src/orders/interceptor.go:27 +0x45
panic({0x9c1e40?, 0xc000384120?})
	/usr/local/go/src/runtime/panic.go:792 +0x132
example.com/orders.(*Server).Get(0xc0001a6000, {0xb2f6d0, 0xc000412150}, 0xc0003b8000)
	/src/orders/server.go:42 +0x3a
created by example.com/orders.serve in goroutine 12
	/src/orders/serve.go:88 +0x1f5
`
)

func TestStackLimiter(t *testing.T) {
	type step struct {
		at         time.Duration // on the fake clock, from the start
		stack      string
		log        bool
		suppressed int
		since      time.Duration // when suppressed > 0
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
			},
		},
		{
			name:     "a repeat after a quiet interval is logged with nothing suppressed",
			interval: time.Minute,
			steps: []step{
				{at: 0, stack: stackA1, log: true},
				{at: 5 * time.Minute, stack: stackA2, log: true},
				{at: 5*time.Minute + time.Second, stack: stackA2},
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
			},
		},
		{
			name:     "a zero interval logs everything",
			interval: 0,
			steps: []step{
				{at: 0, stack: stackA1, log: true},
				{at: 0, stack: stackA1, log: true},
				{at: 0, stack: stackA2, log: true},
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

func TestStackKeyIgnoresWhatVaries(t *testing.T) {
	seed := maphash.MakeSeed()
	same := []string{
		stackA2,
		strings.ReplaceAll(stackA1, "\n", "\r\n"),
		strings.Replace(stackA1, "[running]:", "[running]:\n[originating from goroutine 9]:", 1),
		strings.Replace(stackA1, "goroutine 23 [running]", "goroutine 23 gp=0xc000007340 m=4 mp=0xc000100008 [running]", 1),
	}
	for _, s := range same {
		if stackKey(seed, []byte(s)) != stackKey(seed, []byte(stackA1)) {
			t.Errorf("different key for\n%s", s)
		}
	}
	different := []string{
		stackB,
		strings.Replace(stackA1, "(*Server).Get", "(*Server).List", 1),
		strings.Replace(stackA1, "+0x1d", "+0x1e", 1),
		strings.Replace(stackA1, "created by example.com/orders.serve", "created by example.com/orders.serveTLS", 1),
		stackA1[:strings.Index(stackA1, "created by")],
	}
	for _, s := range different {
		if stackKey(seed, []byte(s)) == stackKey(seed, []byte(stackA1)) {
			t.Errorf("the same key for\n%s", s)
		}
	}
}

// TestStackLimiterConcurrent has many goroutines panic alike at once:
// exactly one logs, and the next one after the interval reports all the
// others. Run with -race.
func TestStackLimiterConcurrent(t *testing.T) {
	l, clock := limiterAt(time.Minute, stackLimiterCapacity)
	const goroutines, each = 8, 500
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		logged int
	)
	for g := range goroutines {
		wg.Go(func() {
			stack := []byte(stackA1)
			if g%2 == 1 {
				stack = []byte(stackA2)
			}
			for range each {
				if log, _, _ := l.Allow(stack); log {
					mu.Lock()
					logged++
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	if logged != 1 {
		t.Errorf("%d stacks logged, want 1", logged)
	}
	clock.set(time.Hour)
	if log, n, since := l.Allow([]byte(stackA1)); !log || n != goroutines*each-1 || !since.Equal(epoch) {
		t.Errorf("after the interval: Allow = %v, %d, %s; want true, %d, %s", log, n, since, goroutines*each-1, epoch)
	}
}

func TestStackLimiterMemoryIsBounded(t *testing.T) {
	l, clock := limiterAt(time.Minute, 16)
	for i := range 1000 {
		clock.set(time.Duration(i) * time.Second)
		stack := strings.Replace(stackA1, "server.go:41", fmt.Sprintf("server.go:%d", 1000+i), 1)
		if log, _, _ := l.Allow([]byte(stack)); !log {
			t.Fatalf("distinct stack %d was not logged", i)
		}
		if len(l.stacks) > 16 {
			t.Fatalf("%d stacks remembered, capacity 16", len(l.stacks))
		}
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
