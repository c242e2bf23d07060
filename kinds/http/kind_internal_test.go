package http

import (
	"context"
	"io"
	"log/slog"
	"net"
	nethttp "net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mikros-go/mikros/core"
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

// TestNothingAttachedWithoutObserver checks that, with no feature
// observing calls, an HTTP/1.1 handler gets the request as the server made
// it: no context of the kind's, RequestID all the same, and the body the
// server made (http.NoBody) when there is none; a body is read through the
// kind's requestBody.
func TestNothingAttachedWithoutObserver(t *testing.T) {
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
			if s.exchangeCtx {
				t.Error("the handler's request has the kind's context")
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

// TestRequestIDAfterTheHandler checks what RequestID documents of a
// context kept after its handler returned, on an HTTP/1.1 connection: it
// answers with the id of the connection's latest request.
func TestRequestIDAfterTheHandler(t *testing.T) {
	kept := make(chan context.Context, 2)
	k := started(t, nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		kept <- context.WithoutCancel(r.Context())
	}))
	tr := &nethttp.Transport{}
	defer tr.CloseIdleConnections()
	c := &nethttp.Client{Transport: tr, Timeout: 5 * time.Second}
	var ids []string
	for range 2 {
		resp, err := c.Get("http://" + k.Addr().String() + "/")
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		ids = append(ids, resp.Header.Get("X-Request-Id"))
	}
	first, second := <-kept, <-kept
	if got := RequestID(second); got != ids[1] {
		t.Errorf("the latest request's context: RequestID %q, want %q", got, ids[1])
	}
	if got := RequestID(first); got != ids[1] {
		t.Errorf("the first request's context, once the connection served a second: RequestID %q, want the latest, %q", got, ids[1])
	}
}
