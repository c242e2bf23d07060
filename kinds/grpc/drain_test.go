package grpc_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mikros-go/mikros/core"
	"github.com/mikros-go/mikros/core/drain"
	"github.com/mikros-go/mikros/core/servicetest"
	mgrpc "github.com/mikros-go/mikros/kinds/grpc"
	grpclib "google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// drainOutcome is what one round of TestDrainIsLossless saw.
type drainOutcome struct {
	ok       int            // calls answered
	refused  map[string]int // calls that failed and that no handler saw, by cause
	unsent   []string       // such calls whose fresh connection the kernel had accepted
	lost     []string       // calls a handler saw that their caller did not get the answer of
	inFlight int            // calls in a handler when the stop began
}

// add adds the outcome of a round to o.
func (o *drainOutcome) add(r drainOutcome) {
	o.ok += r.ok
	o.inFlight += r.inFlight
	o.unsent = append(o.unsent, r.unsent...)
	o.lost = append(o.lost, r.lost...)
	for cause, n := range r.refused {
		o.refused[cause] += n
	}
}

// canHoldBack says whether the kind's stop can hold new connections back
// on this platform, with a plain TCP listener (see core/drain).
const canHoldBack = runtime.GOOS == "linux" && runtime.GOARCH != "386"

// dialTimeout bounds the connect of the test's clients: one held back
// while the kind drains its listener fails then, and is counted as
// refused.
const dialTimeout = 300 * time.Millisecond

// refusal names the cause of a failed call, for the test's log: whether
// the client could not connect (refused, or held back until its dial
// timed out), was told the server was going away, or lost the transport.
func refusal(err error) string {
	msg := status.Convert(err).Message()
	for _, cause := range []string{"connection refused", "connection reset", "i/o timeout", "EOF", "GOAWAY", "draining", "closing", "broken pipe"} {
		if strings.Contains(msg, cause) {
			return status.Code(err).String() + " " + cause
		}
	}
	return status.Code(err).String() + " " + msg
}

// TestDrainIsLossless stops the kind, again and again, under load from
// clients that open a connection for each call and from clients that share
// one, over loopback TCP: every call a handler accepted must be answered.
// A call that fails is only allowed when no handler saw it (refused before
// the server took it: the port closed, the connection reset before it was
// served, or the server's GOAWAY) — a call that reached a handler and then
// lost its answer to a reset or EOF is lost.
//
// Where the stop holds new connections back (Linux, on a plain TCP
// listener), no call may fail either on a fresh connection that the
// kernel accepted ("unsent": reset before the server's preface): the stop
// hands the connections in the accept queue to the server before
// GracefulStop closes the listener.
func TestDrainIsLossless(t *testing.T) {
	noFilter := "new connections are not held back on " + runtime.GOOS + "/" + runtime.GOARCH
	if canHoldBack {
		noFilter = "net.Listen's listener is Multipath TCP where the kernel has it, which takes no socket filter: new connections are not held back"
	}
	plain := ""
	if !canHoldBack {
		plain = "new connections are not held back on " + runtime.GOOS + "/" + runtime.GOARCH
	}
	tests := []struct {
		name   string
		listen func(testing.TB) net.Listener
		loose  string // why fresh connections the kernel accepted may be reset; "": they must not be
	}{
		{"net.Listen (Multipath TCP on Linux: takes no filter)", func(tb testing.TB) net.Listener {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				tb.Fatal(err)
			}
			return ln
		}, noFilter},
		{"plain TCP (drain.Listen)", func(tb testing.TB) net.Listener {
			ln, err := drain.Listen(context.Background(), "tcp", "127.0.0.1:0")
			if err != nil {
				tb.Fatal(err)
			}
			return ln
		}, plain},
	}
	rounds := 20
	if testing.Short() {
		rounds = 5
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			deadline := time.Now().Add(90 * time.Second)
			total := drainOutcome{refused: map[string]int{}}
			for round := range rounds {
				if time.Now().After(deadline) {
					t.Logf("stopped after %d rounds: out of time", round)
					break
				}
				total.add(drainRound(t, round, tt.listen(t)))
			}
			t.Logf("%d calls answered, %d in a handler as the stop began, refused: %v, unsent: %d", total.ok, total.inFlight, total.refused, len(total.unsent))
			if len(total.lost) > 0 {
				t.Errorf("%d calls accepted by a handler but not answered:\n%s", len(total.lost), strings.Join(total.lost, "\n"))
			}
			if total.ok == 0 || total.inFlight == 0 {
				t.Errorf("the stops did not happen under load: %d calls answered, %d in flight", total.ok, total.inFlight)
			}
			t.Run("no fresh connection reset", func(t *testing.T) {
				if tt.loose != "" {
					t.Skip(tt.loose + ", and one that enters the accept queue once it was found empty is reset when the listener closes")
				}
				if len(total.unsent) > 0 {
					t.Errorf("%d calls failed on a connection the kernel accepted, before they began:\n%s", len(total.unsent), strings.Join(total.unsent, "\n"))
				}
			})
		})
	}
}

// drainRound runs one service on ln, loads it, stops it, and tells what
// the calls got.
func drainRound(t *testing.T, round int, ln net.Listener) drainOutcome {
	t.Helper()
	var (
		seen    sync.Map // the ids the handlers accepted
		running atomic.Int64
	)
	e := &echo{echo: func(_ context.Context, in *wrapperspb.StringValue) (*wrapperspb.StringValue, error) {
		seen.Store(in.GetValue(), true)
		running.Add(1)
		defer running.Add(-1)
		time.Sleep(time.Duration(rand.IntN(3000)) * time.Microsecond)
		return in, nil
	}}
	addr := ln.Addr().String()
	// No drain delay: the stop meets the calls in flight at once.
	def := definition + `drain_delay = "0s"
`
	svc := servicetest.Start(t, e, def, core.WithKinds(mgrpc.New(mgrpc.WithListener(ln))))
	if err := svc.Err(); err != nil {
		t.Fatal(err)
	}
	dialer := &net.Dialer{Timeout: dialTimeout}
	shared, err := grpclib.NewClient(addr, grpclib.WithTransportCredentials(insecure.NewCredentials()),
		grpclib.WithContextDialer(func(ctx context.Context, addr string) (net.Conn, error) {
			return dialer.DialContext(ctx, "tcp", addr)
		}))
	if err != nil {
		t.Fatal(err)
	}
	defer shared.Close()

	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	type result struct {
		id        string
		err       error
		connected bool // on a fresh connection, which its last dial made
	}
	var (
		stopped atomic.Bool
		mu      sync.Mutex
		results []result
		wg      sync.WaitGroup
		next    atomic.Int64
	)
	record := func(r result) {
		mu.Lock()
		results = append(results, r)
		mu.Unlock()
	}
	// once makes one call, on a connection of its own when fresh, and
	// says whether that connection was made.
	once := func(fresh bool, id string) (bool, error) {
		if !fresh {
			_, err := call(ctx, shared, id)
			return false, err
		}
		var connected atomic.Bool
		c, err := grpclib.NewClient(addr, grpclib.WithTransportCredentials(insecure.NewCredentials()),
			grpclib.WithContextDialer(func(ctx context.Context, addr string) (net.Conn, error) {
				conn, err := dialer.DialContext(ctx, "tcp", addr)
				connected.Store(err == nil)
				return conn, err
			}))
		if err != nil {
			return false, err
		}
		defer c.Close()
		_, err = call(ctx, c, id)
		return connected.Load(), err
	}
	// A worker calls until the stop is over or a call failed: once the
	// server refused one, it refuses the next ones alike.
	worker := func(fresh bool) {
		for !stopped.Load() {
			id := fmt.Sprintf("r%d-%d", round, next.Add(1))
			connected, err := once(fresh, id)
			record(result{id, err, connected})
			if err != nil {
				return
			}
		}
	}
	for i := range 6 {
		wg.Go(func() { worker(i%2 == 0) })
	}

	time.Sleep(time.Duration(20+rand.IntN(40)) * time.Millisecond)
	inFlight := int(running.Load())
	if err := svc.Stop(); err != nil {
		t.Errorf("round %d: stop: %v", round, err)
	}
	stopped.Store(true)
	wg.Wait()

	o := drainOutcome{refused: map[string]int{}, inFlight: inFlight}
	for _, r := range results {
		_, accepted := seen.Load(r.id)
		switch {
		case r.err == nil:
			o.ok++
		case accepted:
			o.lost = append(o.lost, fmt.Sprintf("%s: %v", r.id, r.err))
		case status.Code(r.err) != codes.Unavailable:
			t.Errorf("round %d: %s failed with %v, want Unavailable", round, r.id, r.err)
		case r.connected:
			o.unsent = append(o.unsent, fmt.Sprintf("round %d, %s: %v", round, r.id, r.err))
		default:
			o.refused[refusal(r.err)]++
		}
	}
	return o
}
