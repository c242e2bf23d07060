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
