package grpc_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mikros-go/mikros/core"
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
	lost     []string       // calls a handler saw that their caller did not get the answer of
	inFlight int            // calls in a handler when the stop began
}

// refusal names the cause of a failed call, for the test's log: whether
// the client could not connect, was told the server was going away, or
// lost the transport.
func refusal(err error) string {
	msg := status.Convert(err).Message()
	for _, cause := range []string{"connection refused", "connection reset", "EOF", "GOAWAY", "draining", "closing", "broken pipe"} {
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
func TestDrainIsLossless(t *testing.T) {
	rounds := 20
	if testing.Short() {
		rounds = 5
	}
	deadline := time.Now().Add(90 * time.Second)
	var total drainOutcome
	total.refused = map[string]int{}
	for round := range rounds {
		if time.Now().After(deadline) {
			t.Logf("stopped after %d rounds: out of time", round)
			break
		}
		o := drainRound(t, round)
		total.ok += o.ok
		total.inFlight += o.inFlight
		total.lost = append(total.lost, o.lost...)
		for cause, n := range o.refused {
			total.refused[cause] += n
		}
	}
	t.Logf("%d calls answered, %d in a handler as the stop began, refused: %v", total.ok, total.inFlight, total.refused)
	if len(total.lost) > 0 {
		t.Errorf("%d calls accepted by a handler but not answered:\n%s", len(total.lost), strings.Join(total.lost, "\n"))
	}
	if total.ok == 0 || total.inFlight == 0 {
		t.Errorf("the stops did not happen under load: %d calls answered, %d in flight", total.ok, total.inFlight)
	}
}

// drainRound runs one service, loads it, stops it, and tells what the
// calls got.
func drainRound(t *testing.T, round int) drainOutcome {
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
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	// No drain delay: the stop meets the calls in flight at once.
	def := definition + `drain_delay = "0s"
`
	svc := servicetest.Start(t, e, def, core.WithKinds(mgrpc.New(mgrpc.WithListener(ln))))
	if err := svc.Err(); err != nil {
		t.Fatal(err)
	}
	shared, err := grpclib.NewClient(addr, grpclib.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer shared.Close()

	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	type result struct {
		id  string
		err error
	}
	var (
		stopped atomic.Bool
		mu      sync.Mutex
		results []result
		wg      sync.WaitGroup
		next    atomic.Int64
	)
	record := func(id string, err error) {
		mu.Lock()
		results = append(results, result{id, err})
		mu.Unlock()
	}
	// once makes one call, on a connection of its own when fresh.
	once := func(fresh bool, id string) error {
		var conn grpclib.ClientConnInterface = shared
		if fresh {
			c, err := grpclib.NewClient(addr, grpclib.WithTransportCredentials(insecure.NewCredentials()))
			if err != nil {
				return err
			}
			defer c.Close()
			conn = c
		}
		_, err := call(ctx, conn, id)
		return err
	}
	// A worker calls until the stop is over or a call failed: once the
	// server refused one, it refuses the next ones alike.
	worker := func(fresh bool) {
		for !stopped.Load() {
			id := fmt.Sprintf("r%d-%d", round, next.Add(1))
			err := once(fresh, id)
			record(id, err)
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
		default:
			o.refused[refusal(r.err)]++
		}
	}
	return o
}
