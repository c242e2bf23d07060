package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/stats"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/mikros-go/mikros/bench"
)

// Bounds of a request.
const (
	dialTimeout    = time.Second     // a connection held back waits for its SYN to be sent again, about a second
	requestTimeout = 5 * time.Second // the whole request
	refusedPause   = 5 * time.Millisecond
)

// maxSamples bounds the errors of lost and unsent requests kept, per
// kind of client and run.
const maxSamples = 5

// mode is how a client connects.
type mode int

const (
	fresh     mode = iota // a connection per request
	keptAlive             // one connection, kept
)

var modes = []mode{fresh, keptAlive}

func (m mode) String() string { return [...]string{"fresh", "kept-alive"}[m] }

// outcome is how a request ended (see the command's doc).
type outcome int

const (
	answered outcome = iota
	refused
	unsent
	lost
)

// tally counts the outcomes of the requests of one kind of client.
type tally struct {
	mu                                    sync.Mutex
	sent, answered, refused, unsent, lost int
	samples                               []string // errors of lost and unsent requests, the first few
}

func (t *tally) count(o outcome, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.sent++
	switch o {
	case answered:
		t.answered++
	case refused:
		t.refused++
	case unsent:
		t.unsent++
		if len(t.samples) < maxSamples {
			t.samples = append(t.samples, "unsent: "+err.Error())
		}
	case lost:
		t.lost++
		if len(t.samples) < maxSamples {
			t.samples = append(t.samples, "lost: "+err.Error())
		}
	}
}

// load sends requests from one client until ctx ends.
func load(ctx context.Context, proto string, m mode, addr string, t *tally) {
	var c client
	if proto == "grpc" {
		c = &grpcClient{addr: addr, keep: m == keptAlive}
	} else {
		c = newHTTPClient(addr, m == keptAlive)
	}
	defer c.close()
	for ctx.Err() == nil {
		o, err := c.do()
		if ctx.Err() != nil && o != answered {
			return // cut by the end of the load, not by the server
		}
		t.count(o, err)
		if o == refused || o == unsent {
			time.Sleep(refusedPause)
		}
	}
}

// client sends one request at a time.
type client interface {
	do() (outcome, error)
	close()
}

// probe sends one request, for the wait until the server answers.
func probe(ctx context.Context, proto, addr string) error {
	var c client
	if proto == "grpc" {
		c = &grpcClient{addr: addr}
	} else {
		c = newHTTPClient(addr, false)
	}
	defer c.close()
	done := make(chan error, 1)
	go func() {
		o, err := c.do()
		if o != answered && err == nil {
			err = errors.New("not answered")
		}
		done <- err
	}()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		if err := <-done; err != nil { // bounded by requestTimeout
			return errors.Join(ctx.Err(), err)
		}
		return ctx.Err()
	}
}

// httpClient sends GET /hello?name=Ada with net/http's client.
type httpClient struct {
	url    string
	client *http.Client
	tr     *http.Transport
}

func newHTTPClient(addr string, keep bool) *httpClient {
	d := &net.Dialer{Timeout: dialTimeout}
	tr := &http.Transport{DialContext: d.DialContext, DisableKeepAlives: !keep, MaxIdleConnsPerHost: 1}
	return &httpClient{
		url:    "http://" + addr + "/hello?name=Ada",
		client: &http.Client{Transport: tr, Timeout: requestTimeout},
		tr:     tr,
	}
}

func (c *httpClient) close() { c.tr.CloseIdleConnections() }

func (c *httpClient) do() (outcome, error) {
	// The outcome is the last attempt's: the Transport sends a request
	// again on a new connection when a kept-alive one closed under it.
	var written, connected atomic.Bool
	trace := &httptrace.ClientTrace{
		GetConn:      func(string) { written.Store(false); connected.Store(false) },
		GotConn:      func(httptrace.GotConnInfo) { connected.Store(true) },
		WroteRequest: func(i httptrace.WroteRequestInfo) { written.Store(i.Err == nil) },
	}
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace), http.MethodGet, c.url, nil)
	if err != nil {
		return lost, err
	}
	resp, err := c.client.Do(req)
	if err == nil {
		var b []byte
		b, err = io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if err == nil {
			if resp.StatusCode == http.StatusOK && strings.Contains(string(b), "Hello, Ada") {
				return answered, nil
			}
			return lost, fmt.Errorf("answered %d %q", resp.StatusCode, b)
		}
	}
	switch {
	case written.Load():
		return lost, err
	case connected.Load():
		return unsent, err
	}
	return refused, err
}

// grpcClient calls SayHello; a fresh one dials a ClientConn per call.
type grpcClient struct {
	addr string
	keep bool

	conn      *grpc.ClientConn // kept between calls when keep
	connected atomic.Bool      // the connection's last dial succeeded
}

// callState is what the stats handler learns of a call.
type callState struct {
	written atomic.Bool // the request left on the last attempt
}

type callKey struct{}

// callStats is a client stats handler that tells whether a call's
// request was written, on its last attempt.
type callStats struct{}

func (callStats) TagRPC(ctx context.Context, _ *stats.RPCTagInfo) context.Context   { return ctx }
func (callStats) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context { return ctx }
func (callStats) HandleConn(context.Context, stats.ConnStats)                       {}

func (callStats) HandleRPC(ctx context.Context, s stats.RPCStats) {
	st, _ := ctx.Value(callKey{}).(*callState)
	if st == nil {
		return
	}
	switch s.(type) {
	case *stats.Begin:
		st.written.Store(false) // a new attempt
	case *stats.OutPayload:
		st.written.Store(true)
	}
}

func (c *grpcClient) dial() (*grpc.ClientConn, error) {
	d := &net.Dialer{Timeout: dialTimeout}
	return grpc.NewClient(c.addr,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithStatsHandler(callStats{}),
		grpc.WithContextDialer(func(ctx context.Context, addr string) (net.Conn, error) {
			conn, err := d.DialContext(ctx, "tcp", addr)
			c.connected.Store(err == nil)
			return conn, err
		}))
}

func (c *grpcClient) close() {
	if c.conn != nil {
		_ = c.conn.Close()
		c.conn = nil
	}
}

func (c *grpcClient) do() (outcome, error) {
	conn := c.conn
	if conn == nil {
		var err error
		if conn, err = c.dial(); err != nil {
			return lost, err
		}
		if c.keep {
			c.conn = conn
		} else {
			defer func() { _ = conn.Close() }()
		}
	}
	st := &callState{}
	ctx, cancel := context.WithTimeout(context.WithValue(context.Background(), callKey{}, st), requestTimeout)
	defer cancel()
	resp := new(wrapperspb.StringValue)
	err := conn.Invoke(ctx, bench.SayHelloMethod, wrapperspb.String("Ada"), resp)
	switch {
	case err == nil && resp.GetValue() == "Hello, Ada":
		return answered, nil
	case err == nil:
		return lost, fmt.Errorf("answered %q", resp.GetValue())
	case st.written.Load():
		return lost, err
	case c.connected.Load():
		return unsent, err
	}
	return refused, err
}
