package http_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	nethttp "net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mikros-go/mikros/core"
	"github.com/mikros-go/mikros/core/servicetest"
	mhttp "github.com/mikros-go/mikros/kinds/http"
	"github.com/mikros-go/mikros/kinds/http/httpkindtest"
)

// observed is a call as the fake observer saw it: the call at its end,
// what its header carrier and RequestID gave at its start, and the route
// its request had at its end.
type observed struct {
	call        core.Call
	pattern     string // call.Request.Pattern at EndCall
	traceparent string // call.Header.Get("traceparent") at StartCall
	startID     string // RequestID of the context StartCall got
	sameCtx     bool   // EndCall got the context StartCall returned
}

// observerKey is the key of the value the fake observer adds to a call's
// context, when it adds one.
type observerKey struct{}

// fakeObserver is a feature that observes calls, as tracing and metrics
// do: it records every call that ended. With newContext, StartCall
// returns a context of its own, as a tracer does with its span; otherwise
// it returns the one it got, as metrics does.
type fakeObserver struct {
	newContext bool
	ended      chan observed

	mu     sync.Mutex
	starts map[*core.Call]observed
}

func newObserver(newContext bool) *fakeObserver {
	return &fakeObserver{newContext: newContext, ended: make(chan observed, 64), starts: map[*core.Call]observed{}}
}

func (*fakeObserver) Name() string { return "observer" }

func (o *fakeObserver) StartCall(ctx context.Context, c *core.Call) context.Context {
	o.mu.Lock()
	o.starts[c] = observed{traceparent: c.Header.Get("traceparent"), startID: mhttp.RequestID(ctx)}
	o.mu.Unlock()
	if o.newContext {
		return context.WithValue(ctx, observerKey{}, c)
	}
	return ctx
}

func (o *fakeObserver) EndCall(ctx context.Context, c *core.Call) {
	o.mu.Lock()
	ob := o.starts[c]
	delete(o.starts, c)
	o.mu.Unlock()
	ob.call = *c
	if c.Request != nil {
		ob.pattern = c.Request.Pattern
	}
	ob.sameCtx = !o.newContext || ctx.Value(observerKey{}) == c
	o.ended <- ob
}

// next returns the next call that ended, waiting at most 5s.
func (o *fakeObserver) next(t *testing.T) observed {
	t.Helper()
	select {
	case ob := <-o.ended:
		return ob
	case <-time.After(5 * time.Second):
		t.Fatal("no call ended")
		return observed{}
	}
}

// observedDefinition enables the fake observer.
const observedDefinition = definition + `
[services.http]
max_body_bytes = 64

[features.observer]
enabled = true
`

// ordersMux is the service of the observed tests.
func ordersMux() *nethttp.ServeMux {
	mux := nethttp.NewServeMux()
	mux.HandleFunc("GET /orders/{id}", func(w nethttp.ResponseWriter, r *nethttp.Request) {
		fmt.Fprintf(w, "order %s", r.PathValue("id"))
	})
	mux.HandleFunc("POST /orders", func(w nethttp.ResponseWriter, r *nethttp.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			mhttp.Error(w, r, err)
			return
		}
		w.WriteHeader(nethttp.StatusCreated)
		fmt.Fprintf(w, "created %d", len(b))
	})
	mux.HandleFunc("PUT /orders/{id}/note", func(w nethttp.ResponseWriter, r *nethttp.Request) {
		var four [4]byte
		_, _ = io.ReadFull(r.Body, four[:]) // reads only the first 4 bytes
		w.WriteHeader(nethttp.StatusNoContent)
	})
	mux.HandleFunc("DELETE /orders/{id}", func(nethttp.ResponseWriter, *nethttp.Request) {})
	mux.HandleFunc("GET /panic", func(nethttp.ResponseWriter, *nethttp.Request) { panic("boom") })
	mux.HandleFunc("GET /late-panic", func(w nethttp.ResponseWriter, r *nethttp.Request) {
		fmt.Fprint(w, "partial")
		w.(nethttp.Flusher).Flush()
		panic("boom after the response began")
	})
	mux.HandleFunc("GET /abort", func(nethttp.ResponseWriter, *nethttp.Request) { panic(nethttp.ErrAbortHandler) })
	return mux
}

// withContextCheck wraps h: every response says, in X-Observed, whether
// the handler's context carried the observer's value, and in X-Handler-Id
// what RequestID gave the handler.
func withContextCheck(h nethttp.Handler) nethttp.Handler {
	return nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		w.Header().Set("X-Observed", strconv.FormatBool(r.Context().Value(observerKey{}) != nil))
		w.Header().Set("X-Handler-Id", mhttp.RequestID(r.Context()))
		h.ServeHTTP(w, r)
	})
}

func TestObservedRequests(t *testing.T) {
	tests := []struct {
		name, method, path, body string
		header                   map[string]string

		wantStatus  int    // 0: the response is cut
		notHandled  bool   // the kind answers without calling the handler
		wantBody    string // checked when not ""
		wantCode    int
		wantPattern string
		wantAborted bool
		wantRead    int64
		wantWritten int64 // -1: the length of the body received
	}{
		{
			name: "routed", method: "GET", path: "/orders/42",
			header:     map[string]string{"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"},
			wantStatus: 200, wantBody: "order 42", wantCode: 200, wantPattern: "GET /orders/{id}", wantWritten: -1,
		},
		{
			name: "HEAD routed by a GET pattern", method: "HEAD", path: "/orders/42",
			wantStatus: 200, wantCode: 200, wantPattern: "GET /orders/{id}", wantWritten: 8,
		},
		{
			name: "body read whole", method: "POST", path: "/orders", body: "hello, orders",
			wantStatus: 201, wantBody: "created 13", wantCode: 201, wantPattern: "POST /orders", wantRead: 13, wantWritten: -1,
		},
		{
			name: "body read in part", method: "PUT", path: "/orders/7/note", body: "only four bytes are read",
			wantStatus: 204, wantCode: 204, wantPattern: "PUT /orders/{id}/note", wantRead: 4,
		},
		{
			name: "handler wrote nothing", method: "DELETE", path: "/orders/7",
			wantStatus: 200, wantCode: 200, wantPattern: "DELETE /orders/{id}",
		},
		{
			name: "not routed", method: "GET", path: "/nowhere",
			wantStatus: 404, wantCode: 404, wantWritten: -1,
		},
		{
			name: "body over max_body_bytes", method: "POST", path: "/orders", body: strings.Repeat("x", 65),
			wantStatus: 413, notHandled: true, wantCode: 413, wantWritten: -1,
		},
		{
			name: "panic", method: "GET", path: "/panic",
			wantStatus: 500, wantCode: 500, wantPattern: "GET /panic", wantWritten: -1,
		},
		{
			name: "panic after the response began", method: "GET", path: "/late-panic",
			wantCode: 200, wantPattern: "GET /late-panic", wantAborted: true, wantWritten: 7,
		},
		{
			name: "ErrAbortHandler", method: "GET", path: "/abort",
			wantCode: 200, wantPattern: "GET /abort", wantAborted: true,
		},
	}
	for _, newContext := range []bool{false, true} {
		t.Run(fmt.Sprintf("observer context %v", newContext), func(t *testing.T) {
			obs := newObserver(newContext)
			_, url := httpkindtest.Start(t, &api{withContextCheck(ordersMux())}, observedDefinition, core.WithFeatures(obs))
			addr := strings.TrimPrefix(url, "http://")
			c := newClient(t)
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					var body io.Reader
					if tt.body != "" {
						body = strings.NewReader(tt.body)
					}
					req, err := nethttp.NewRequestWithContext(t.Context(), tt.method, url+tt.path, body)
					if err != nil {
						t.Fatal(err)
					}
					for k, v := range tt.header {
						req.Header.Set(k, v)
					}
					r := do(c, req)
					ob := obs.next(t)
					if tt.wantStatus == 0 {
						if r.err == nil {
							t.Errorf("the response was not cut: %d %q", r.status, r.body)
						}
					} else {
						if r.err != nil || r.status != tt.wantStatus {
							t.Fatalf("status %d, error %v; want %d", r.status, r.err, tt.wantStatus)
						}
						if tt.wantBody != "" && r.body != tt.wantBody {
							t.Errorf("body %q, want %q", r.body, tt.wantBody)
						}
						if got, want := r.header.Get("X-Observed"), strconv.FormatBool(newContext); got != want && !tt.notHandled {
							t.Errorf("the handler's context carries the observer's value: %s, want %s", got, want)
						}
						if id := r.header.Get("X-Request-Id"); id == "" || r.header.Get("X-Handler-Id") != id && !tt.notHandled || ob.startID != id {
							t.Errorf("request id: response %q, handler %q, observer at StartCall %q", id, r.header.Get("X-Handler-Id"), ob.startID)
						}
					}
					wantWritten := tt.wantWritten
					if wantWritten == -1 {
						wantWritten = int64(len(r.body))
					}
					call := ob.call
					if call.Protocol != "http" || call.Client || call.Method != tt.method || call.Request == nil || call.Request.URL.Path != tt.path {
						t.Errorf("call %s %s client %v, request %v; want http %s %s", call.Protocol, call.Method, call.Client, call.Request, tt.method, tt.path)
					}
					if call.Local == nil || call.Local.String() != addr {
						t.Errorf("Local = %v, want %s", call.Local, addr)
					}
					if since := time.Since(call.Start); call.Start.IsZero() || since < 0 || since > time.Minute {
						t.Errorf("Start = %v", call.Start)
					}
					if call.End.Before(call.Start) || time.Since(call.End) < 0 {
						t.Errorf("End = %v, Start %v", call.End, call.Start)
					}
					if ob.pattern != tt.wantPattern || call.Code != tt.wantCode || call.Aborted != tt.wantAborted ||
						call.RequestBytes != tt.wantRead || call.ResponseBytes != wantWritten {
						t.Errorf("pattern %q, code %d, aborted %v, read %d, written %d; want %q, %d, %v, %d, %d",
							ob.pattern, call.Code, call.Aborted, call.RequestBytes, call.ResponseBytes,
							tt.wantPattern, tt.wantCode, tt.wantAborted, tt.wantRead, wantWritten)
					}
					if want := tt.header["traceparent"]; ob.traceparent != want {
						t.Errorf("carrier Get(%q) = %q, want %q", "traceparent", ob.traceparent, want)
					}
					if !ob.sameCtx {
						t.Error("EndCall did not get the context StartCall returned")
					}
				})
			}
		})
	}
}

func TestHeaderCarrier(t *testing.T) {
	obs := newObserver(false)
	carried := make(chan core.Carrier, 1)
	h := nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {})
	_, url := httpkindtest.Start(t, &api{h}, observedDefinition, core.WithFeatures(carrierObserver{obs, carried}))
	req, err := nethttp.NewRequestWithContext(t.Context(), nethttp.MethodGet, url+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
	req.Header.Add("Baggage", "a=1")
	req.Header.Add("Baggage", "b=2")
	if r := do(newClient(t), req); r.err != nil || r.status != 200 {
		t.Fatalf("%d %v", r.status, r.err)
	}
	obs.next(t)
	var carrier core.Carrier
	select {
	case carrier = <-carried:
	case <-time.After(5 * time.Second):
		t.Fatal("no carrier")
	}
	tests := []struct{ key, want string }{
		{"traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"},
		{"Traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"},
		{"TRACEPARENT", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"},
		{"baggage", "a=1"},
		{"tracestate", ""},
	}
	for _, tt := range tests {
		if got := carrier.Get(tt.key); got != tt.want {
			t.Errorf("Get(%q) = %q, want %q", tt.key, got, tt.want)
		}
	}
	if v, ok := carrier.(interface{ Values(string) []string }); !ok {
		t.Error("the carrier has no Values")
	} else if got := strings.Join(v.Values("baggage"), ","); got != "a=1,b=2" {
		t.Errorf("Values(baggage) = %q", got)
	}
	carrier.Set("traceparent", "changed")
	if got := carrier.Get("traceparent"); got != tests[0].want {
		t.Errorf("Set changed a server's incoming header: %q", got)
	}
	keys := strings.Join(carrier.Keys(), ",")
	for _, k := range []string{"Traceparent", "Baggage", "User-Agent"} {
		if !strings.Contains(keys, k) {
			t.Errorf("Keys() = %s, lacks %s", keys, k)
		}
	}
}

// carrierObserver hands on the carrier of each call it starts; its
// feature keeps the calls' headers for the test to read after the call,
// which a real observer must not do.
type carrierObserver struct {
	*fakeObserver
	carried chan core.Carrier
}

func (o carrierObserver) StartCall(ctx context.Context, c *core.Call) context.Context {
	select {
	case o.carried <- c.Header:
	default:
	}
	return o.fakeObserver.StartCall(ctx, c)
}

func TestObserverDisabled(t *testing.T) {
	obs := newObserver(true)
	seen := make(chan bool, 1)
	h := nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		seen <- r.Context().Value(observerKey{}) != nil
		fmt.Fprint(w, mhttp.RequestID(r.Context()))
	})
	text := strings.Replace(observedDefinition, "enabled = true", "enabled = false", 1)
	_, url := httpkindtest.Start(t, &api{h}, text, core.WithFeatures(obs))
	r := get(t, newClient(t), url+"/")
	if r.err != nil || r.status != 200 || r.body == "" || r.body != r.header.Get("X-Request-Id") {
		t.Fatalf("%d %q %v", r.status, r.body, r.err)
	}
	if <-seen {
		t.Error("the handler's context carries the observer's value")
	}
	select {
	case ob := <-obs.ended:
		t.Errorf("a disabled feature observed %+v", ob.call)
	default:
	}
}

// TestRequestIDOverHTTP2 sends requests at once on one HTTP/2 connection
// (TLS, negotiated with ALPN), each of which waits until all arrived: the
// id each handler finds, through its context and through one derived from
// it, must be its own.
func TestRequestIDOverHTTP2(t *testing.T) {
	const concurrent = 16
	for _, tt := range []struct {
		name     string
		observer *fakeObserver
	}{
		{"no observer", nil},
		{"observer keeping the context", newObserver(false)},
		{"observer with a context of its own", newObserver(true)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var arrived sync.WaitGroup
			arrived.Add(concurrent)
			all := make(chan struct{})
			go func() { arrived.Wait(); close(all) }()
			defer func() {
				for range concurrent { // when the test failed before sending them all
					select {
					case <-all:
						return
					default:
						arrived.Done()
					}
				}
			}()
			h := nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
				if r.Header.Get("X-Warm-Up") == "" {
					arrived.Done()
					select {
					case <-all:
					case <-time.After(5 * time.Second):
						nethttp.Error(w, "not every request arrived", nethttp.StatusGatewayTimeout)
						return
					}
				}
				derived, cancel := context.WithTimeout(context.WithValue(r.Context(), observerKey{}, "handler"), time.Minute)
				defer cancel()
				fmt.Fprintf(w, "%s %s %s %s", r.Proto, r.RemoteAddr, mhttp.RequestID(r.Context()), mhttp.RequestID(derived))
			})
			certPEM, keyPEM := servicetest.SelfSigned(t)
			cert, err := tls.X509KeyPair(certPEM, keyPEM)
			if err != nil {
				t.Fatal(err)
			}
			pool := x509.NewCertPool()
			pool.AppendCertsFromPEM(certPEM)
			ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"h2", "http/1.1"}, MinVersion: tls.VersionTLS12})
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			text, opts := definition, []core.Option{core.WithKinds(mhttp.New(mhttp.WithListener(ln)))}
			if tt.observer != nil {
				text = observedDefinition
				opts = append(opts, core.WithFeatures(tt.observer))
			}
			svc := servicetest.Start(t, &api{h}, text, opts...)
			tr := &nethttp.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}, ForceAttemptHTTP2: true}
			defer tr.CloseIdleConnections()
			c := &nethttp.Client{Transport: tr, Timeout: 10 * time.Second}
			url := "https://" + ln.Addr().String() + "/"

			// One request first, so that the others share its connection.
			warm, _ := nethttp.NewRequestWithContext(t.Context(), nethttp.MethodGet, url, nil)
			warm.Header.Set("X-Warm-Up", "1")
			if r := do(c, warm); r.err != nil || r.status != 200 || !strings.HasPrefix(r.body, "HTTP/2.0 ") {
				t.Fatalf("first request: %d %q %v", r.status, r.body, r.err)
			}

			replies := make([]reply, concurrent)
			sent := make([]string, concurrent)
			var wg sync.WaitGroup
			for i := range concurrent {
				if i%2 == 0 {
					sent[i] = fmt.Sprintf("client-id-%d", i) // the others get a generated one
				}
				wg.Go(func() {
					req, _ := nethttp.NewRequestWithContext(t.Context(), nethttp.MethodGet, url, nil)
					if sent[i] != "" {
						req.Header.Set("X-Request-ID", sent[i])
					}
					replies[i] = do(c, req)
				})
			}
			wg.Wait() // bounded by the client's timeout
			var remote string
			for i, r := range replies {
				if r.err != nil || r.status != 200 {
					t.Fatalf("request %d: %d %q %v", i, r.status, r.body, r.err)
				}
				f := strings.Fields(r.body)
				if len(f) != 4 {
					t.Fatalf("request %d: body %q", i, r.body)
				}
				proto, peer, id, derivedID := f[0], f[1], f[2], f[3]
				if proto != "HTTP/2.0" {
					t.Fatalf("request %d served over %s", i, proto)
				}
				if remote == "" {
					remote = peer
				} else if peer != remote {
					t.Errorf("request %d came on connection %s, not %s", i, peer, remote)
				}
				want := r.header.Get("X-Request-Id")
				if sent[i] != "" && want != sent[i] {
					t.Errorf("request %d: X-Request-Id %q, want %q", i, want, sent[i])
				}
				if id != want || derivedID != want {
					t.Errorf("request %d: RequestID %q, from a derived context %q; want %q", i, id, derivedID, want)
				}
			}
			tr.CloseIdleConnections() // else the graceful stop waits for the client to close the connection
			if err := svc.Stop(); err != nil {
				t.Fatal(err)
			}
		})
	}
}
