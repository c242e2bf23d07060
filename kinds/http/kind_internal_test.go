package http

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"log/slog"
	"net"
	nethttp "net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mikros-go/mikros/core"
	"github.com/mikros-go/mikros/core/servicetest"
)

type handlerService struct{ h nethttp.Handler }

func (s handlerService) HTTPHandler() nethttp.Handler { return s.h }

// started returns a kind configured with the defaults, started on a
// loopback listener and running; it is stopped when the test ends.
func started(t *testing.T, h nethttp.Handler) *Kind {
	t.Helper()
	return runningKind(t, h, nil)
}

func TestDefaultsReachTheServer(t *testing.T) {
	k := started(t, nethttp.NotFoundHandler())
	got := k.srv
	if got.ReadHeaderTimeout != 5*time.Second || got.ReadTimeout != 0 ||
		got.WriteTimeout != 0 || got.IdleTimeout != 120*time.Second ||
		got.MaxHeaderBytes != 1<<20 || k.set.MaxBodyBytes != 4<<20 {
		t.Errorf("server settings %+v, body limit %d", got, k.set.MaxBodyBytes)
	}
}

func TestStopCutsConnectionsWhenCtxEnds(t *testing.T) {
	release := make(chan struct{})
	var running sync.WaitGroup
	k := started(t, nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		running.Add(1)
		defer running.Done()
		w.WriteHeader(200)
		w.(nethttp.Flusher).Flush()
		<-release
	}))
	t.Cleanup(func() { close(release); running.Wait() })
	tr := &nethttp.Transport{}
	defer tr.CloseIdleConnections()
	resp, err := (&nethttp.Client{Transport: tr, Timeout: 5 * time.Second}).Get("http://" + k.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	begin := time.Now()
	err = k.Stop(ctx)
	if took := time.Since(begin); took > time.Second {
		t.Errorf("Stop took %s with a 100ms deadline", took)
	}
	if err == nil || !strings.Contains(err.Error(), "connections were cut: context deadline exceeded") {
		t.Fatalf("Stop: %v, want an error saying connections were cut", err)
	}
	if _, err := io.ReadAll(resp.Body); err == nil {
		t.Error("the stuck request's connection was not cut")
	}
}

func TestStopWithoutRun(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	k := New(WithListener(ln))
	if err := k.Configure(&core.Setup{Service: handlerService{nethttp.NotFoundHandler()}, Logger: slog.New(slog.DiscardHandler)}); err != nil {
		t.Fatal(err)
	}
	if err := k.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	// A start that rolls back stops the kind before Run: the listener
	// must be closed all the same.
	if err := k.Stop(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second); err == nil {
		t.Error("the listener is still open")
	}
	if err := k.Run(t.Context()); err != nil {
		t.Errorf("Run after Stop: %v", err)
	}
}

func TestSaneRequestID(t *testing.T) {
	tests := map[string]bool{
		"":                          false,
		"a":                         true,
		"0af7651916cd43dd-1":        true,
		strings.Repeat("x", 128):    true,
		strings.Repeat("x", 129):    false,
		"with space":                false,
		"tab\there":                 false,
		"new\nline":                 false,
		"del\x7f":                   false,
		"é":                         false,
		`{"injected":"json"}`:       true, // visible ASCII; logs quote it
		"~!@#$%^&*()_+-=[]{};':,./": true,
	}
	for id, want := range tests {
		if got := saneRequestID(id); got != want {
			t.Errorf("saneRequestID(%q) = %v, want %v", id, got, want)
		}
	}
}

// TestHandlersRequestWithoutObserver checks what an HTTP/1.1 handler
// gets with no feature observing calls: a request whose context is the
// exchange, which RequestID finds, and the body the server made
// (http.NoBody) when there is none; a body is read through the kind's
// requestBody.
func TestHandlersRequestWithoutObserver(t *testing.T) {
	type seen struct {
		exchangeCtx bool
		body        io.ReadCloser
		id          string
	}
	got := make(chan seen, 1)
	k := started(t, nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		_, x := r.Context().(*exchange)
		body := r.Body
		_, _ = io.Copy(io.Discard, r.Body)
		got <- seen{x, body, RequestID(r.Context())}
	}))
	if k.calls != nil {
		t.Fatalf("Calls = %v, want nil", k.calls)
	}
	tr := &nethttp.Transport{}
	defer tr.CloseIdleConnections()
	c := &nethttp.Client{Transport: tr, Timeout: 5 * time.Second}
	for _, tt := range []struct {
		name, method, body string
	}{
		{"without a body", nethttp.MethodGet, ""},
		{"with a body", nethttp.MethodPost, "a body"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req, err := nethttp.NewRequestWithContext(t.Context(), tt.method, "http://"+k.Addr().String()+"/", strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			s := <-got
			if !s.exchangeCtx {
				t.Error("the handler's request does not have the exchange as its context")
			}
			if _, ours := s.body.(*requestBody); tt.body == "" && s.body != nethttp.NoBody || tt.body != "" && !ours {
				t.Errorf("the handler's body is a %T", s.body)
			}
			if s.id == "" || s.id != resp.Header.Get("X-Request-Id") {
				t.Errorf("RequestID %q, response X-Request-Id %q", s.id, resp.Header.Get("X-Request-Id"))
			}
		})
	}
}

// TestRequestIDAfterTheHandler keeps the context of a request after its
// handler returned (a goroutine the handler started, or a handler that
// http.TimeoutHandler gave up on), has a second request served on the same
// kept-alive connection (HTTP/1.1, and HTTP/2 over TLS), and asks
// RequestID of the kept context: it must answer with the first request's
// id, with and without observers, whatever context they return.
func TestRequestIDAfterTheHandler(t *testing.T) {
	for _, proto := range []struct {
		name  string
		http2 bool
	}{
		{"HTTP/1.1", false},
		{"HTTP/2", true},
	} {
		for _, obs := range []struct {
			name  string
			calls core.CallObserver
		}{
			{"no observer", nil},
			{"observer keeping the context", noopObserver{}},
			{"observer with a context of its own", contextObserver{}},
			{"observer with a context not derived from its own", detachedObserver{}},
		} {
			for _, keep := range []struct {
				name    string
				timeout bool // the handler runs in http.TimeoutHandler, which gives up on the first
			}{
				{"goroutine", false},
				{"TimeoutHandler", true},
			} {
				t.Run(proto.name+"/"+obs.name+"/"+keep.name, func(t *testing.T) {
					testKeptContext(t, proto.http2, obs.calls, keep.timeout)
				})
			}
		}
	}
}

// testKeptContext is a case of TestRequestIDAfterTheHandler.
func testKeptContext(t *testing.T, http2 bool, calls core.CallObserver, timeout bool) {
	type kept struct {
		ctx    context.Context
		id     string // RequestID while the handler ran
		remote string // the connection's client address
	}
	keptc := make(chan kept, 2)
	release := make(chan struct{})
	var gaveUp sync.WaitGroup
	h := nethttp.Handler(nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		ctx := r.Context()
		first := r.Header.Get("X-First") != ""
		if first && !timeout {
			// A goroutine that outlives the handler keeps the context.
			ctx = context.WithoutCancel(ctx)
			go func() { <-release; keptc <- kept{ctx, RequestID(ctx), r.RemoteAddr} }()
			return
		}
		if first {
			gaveUp.Add(1) // before the test may wait
			defer gaveUp.Done()
		}
		keptc <- kept{ctx, RequestID(ctx), r.RemoteAddr}
		if first {
			<-release // long after TimeoutHandler answered
		}
	}))
	if timeout {
		h = nethttp.TimeoutHandler(h, 50*time.Millisecond, "gave up")
	}
	var ln net.Listener
	var err error
	tr := &nethttp.Transport{}
	scheme := "http://"
	if http2 {
		certPEM, keyPEM := servicetest.SelfSigned(t)
		cert, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			t.Fatal(err)
		}
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(certPEM)
		ln, err = tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"h2", "http/1.1"}, MinVersion: tls.VersionTLS12})
		if err != nil {
			t.Fatal(err)
		}
		tr = &nethttp.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}, ForceAttemptHTTP2: true}
		scheme = "https://"
	} else if ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	k := observedKind(t, ln, h, calls)
	defer tr.CloseIdleConnections()
	// Runs before the kind stops (cleanups run last in first out).
	t.Cleanup(func() { tr.CloseIdleConnections() })
	c := &nethttp.Client{Transport: tr, Timeout: 5 * time.Second}
	var ids []string
	for i := range 2 {
		req, err := nethttp.NewRequestWithContext(t.Context(), nethttp.MethodGet, scheme+k.Addr().String()+"/", nil)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			req.Header.Set("X-First", "1")
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		if want := 1 + btoi(http2); resp.ProtoMajor != want {
			t.Fatalf("served over %s", resp.Proto)
		}
		if timeout && i == 0 && resp.StatusCode != nethttp.StatusServiceUnavailable {
			t.Fatalf("TimeoutHandler did not give up: %s", resp.Status)
		}
		ids = append(ids, resp.Header.Get("X-Request-Id"))
	}
	if ids[0] == "" || ids[0] == ids[1] {
		t.Fatalf("ids %q", ids)
	}
	var first, second kept
	if timeout {
		// Each handler sent its context at once; the first still runs.
		first, second = <-keptc, <-keptc
		close(release)
		gaveUp.Wait()
	} else {
		second = <-keptc
		close(release) // the first's goroutine runs on only now
		first = <-keptc
	}
	if first.remote != second.remote {
		t.Fatalf("the requests came on different connections: %s, %s", first.remote, second.remote)
	}
	if first.id != ids[0] || second.id != ids[1] {
		t.Errorf("RequestID in the work of the handlers: %q, %q; want %q", first.id, second.id, ids)
	}
	if got := RequestID(first.ctx); got != ids[0] {
		t.Errorf("the first request's context, once the connection served a second: RequestID %q, want its own, %q", got, ids[0])
	}
	if got := RequestID(second.ctx); got != ids[1] {
		t.Errorf("the second request's context: RequestID %q, want %q", got, ids[1])
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// observedKind returns a kind serving h on ln with the default settings,
// observed by calls when it is not nil; it is stopped when the test ends.
func observedKind(t *testing.T, ln net.Listener, h nethttp.Handler, calls core.CallObserver) *Kind {
	t.Helper()
	k := New(WithListener(ln))
	if err := k.Configure(&core.Setup{Service: handlerService{h}, Logger: slog.New(slog.DiscardHandler), Calls: calls}); err != nil {
		t.Fatal(err)
	}
	if err := k.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	ran := make(chan error, 1)
	go func() { ran <- k.Run(context.Background()) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = k.Stop(ctx)
		if err := <-ran; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return k
}

// detachedObserver gives every call a context that does not descend from
// the one it was given.
type detachedObserver struct{}

func (detachedObserver) StartCall(context.Context, *core.Call) context.Context {
	return context.WithValue(context.Background(), observedKey{}, "detached")
}
func (detachedObserver) EndCall(context.Context, *core.Call) {}
