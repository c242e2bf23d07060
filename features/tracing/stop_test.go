package tracing_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mikros-go/mikros/core"
	"github.com/mikros-go/mikros/features/tracing"
)

// blackhole is a collector that accepts connections and never answers.
type blackhole struct {
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
	done  sync.WaitGroup
}

func newBlackhole(t *testing.T) *blackhole {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &blackhole{ln: ln}
	b.done.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			b.mu.Lock()
			b.conns = append(b.conns, c)
			b.mu.Unlock()
		}
	})
	t.Cleanup(func() {
		_ = ln.Close()
		b.done.Wait()
		b.mu.Lock()
		defer b.mu.Unlock()
		for _, c := range b.conns {
			_ = c.Close()
		}
	})
	return b
}

// syncBuffer is a buffer for log lines written from several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startedWithLog configures and starts a feature for identity+rest, its
// lines logged to the buffer returned.
func startedWithLog(t *testing.T, rest string) (*tracing.Feature, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	s := setup(parse(t, rest, nil))
	s.Logger = slog.New(slog.NewTextHandler(logs, nil))
	f := tracing.New()
	if err := f.Configure(s); err != nil {
		t.Fatalf("Configure: %v", err)
	}
	if err := f.Start(t.Context()); err != nil {
		t.Fatalf("Start: %v", err)
	}
	return f, logs
}

// TestStopWithinDeadline points the exporters at a collector that never
// answers and checks that Stop, given 300ms, returns within them, and
// logs the spans it could not export.
func TestStopWithinDeadline(t *testing.T) {
	const budget = 300 * time.Millisecond
	for _, exporter := range []string{"otlp-grpc", "otlp-http"} {
		t.Run(exporter, func(t *testing.T) {
			b := newBlackhole(t)
			endpoint := b.ln.Addr().String()
			if exporter == "otlp-http" {
				endpoint = "http://" + endpoint
			}
			f, logs := startedWithLog(t, fmt.Sprintf(`
[features.tracing]
enabled  = true
exporter = %q
endpoint = %q
insecure = true
`, exporter, endpoint))
			for range 10 {
				call(context.Background(), f, &core.Call{Protocol: "grpc", Method: "/a.B/C", Header: newCarrier()}, nil)
			}
			ctx, cancel := context.WithTimeout(context.Background(), budget)
			defer cancel()
			begin := time.Now()
			err := f.Stop(ctx)
			took := time.Since(begin)
			t.Logf("Stop returned in %s", took)
			if err != nil {
				t.Errorf("Stop = %v, want nil: undelivered telemetry does not fail the service", err)
			}
			if took > budget {
				t.Errorf("Stop took %s, over its budget of %s", took, budget)
			}
			if !strings.Contains(logs.String(), "spans were not exported before the stop deadline") || !strings.Contains(logs.String(), "spans=10") {
				t.Errorf("the log does not count the 10 spans lost:\n%s", logs)
			}
		})
	}
}

// TestExportFailureLogged points the exporter at a port nothing listens
// on: the failure is logged, once, and Stop does not fail.
func TestExportFailureLogged(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	f, logs := startedWithLog(t, fmt.Sprintf(`
[features.tracing]
enabled        = true
exporter       = "otlp-http"
endpoint       = "http://%s"
export_timeout = "200ms"
`, addr))
	for range 2 {
		call(context.Background(), f, &core.Call{Protocol: "grpc", Method: "/a.B/C"}, nil)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := f.Flush(ctx)
		cancel()
		if err != nil {
			t.Fatalf("Flush = %v", err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := f.Stop(ctx); err != nil {
		t.Errorf("Stop = %v", err)
	}
	if n := strings.Count(logs.String(), "tracing: export failed"); n != 1 {
		t.Errorf("%d lines about the failed exports, want 1:\n%s", n, logs)
	}
}
