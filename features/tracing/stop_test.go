package tracing_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	collectorpb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

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
			if !strings.Contains(logs.String(), "spans were not exported at stop") || !strings.Contains(logs.String(), "spans=10") || !strings.Contains(logs.String(), "cut shortly before the stop deadline") {
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

// refusedEndpoint returns an endpoint of the exporter's where nothing
// listens: a loopback port that was listened on and closed.
func refusedEndpoint(t *testing.T, exporter string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	if exporter == "otlp-http" {
		return "http://" + addr
	}
	return addr
}

// TestStopRefused points the exporters at a port nothing listens on and
// checks that Stop, given 10s, does not wait for the collector: the spans
// are given up at the first refusal, and counted in one line.
func TestStopRefused(t *testing.T) {
	const (
		budget = 10 * time.Second
		bound  = time.Second // far under the budget, far over a refusal on loopback
	)
	for _, exporter := range []string{"otlp-grpc", "otlp-http"} {
		t.Run(exporter, func(t *testing.T) {
			f, logs := startedWithLog(t, fmt.Sprintf(`
[features.tracing]
enabled  = true
exporter = %q
endpoint = %q
insecure = true
`, exporter, refusedEndpoint(t, exporter)))
			for range 10 {
				call(context.Background(), f, &core.Call{Protocol: "grpc", Method: "/a.B/C", Header: newCarrier()}, nil)
			}
			ctx, cancel := context.WithTimeout(context.Background(), budget)
			defer cancel()
			begin := time.Now()
			err := f.Stop(ctx)
			took := time.Since(begin)
			if err != nil {
				t.Errorf("Stop = %v, want nil: undelivered telemetry does not fail the service", err)
			}
			if took > bound {
				t.Errorf("Stop took %s with a refused collector, want under %s (budget %s)", took, bound, budget)
			}
			out := logs.String()
			if n := strings.Count(out, "spans were not exported at stop"); n != 1 || !strings.Contains(out, "spans=10") || !strings.Contains(out, "refused") {
				t.Errorf("want one line counting the 10 spans lost to the refused connection, got %d:\n%s", n, out)
			}
			if strings.Contains(out, "export failed") {
				t.Errorf("a failure at stop is logged as a failure while running:\n%s", out)
			}
		})
	}
}

// flaky is a collector, over OTLP/gRPC and OTLP/HTTP on loopback, that
// answers its first fail exports with UNAVAILABLE (gRPC) or 503 (HTTP),
// and accepts the others.
type flaky struct {
	collectorpb.UnimplementedTraceServiceServer

	fail      int
	attempted chan struct{} // gets a value at each export, when there is room

	mu       sync.Mutex
	attempts int
	spans    int // spans accepted

	grpcSrv  *grpc.Server
	grpcAddr string
	httpSrv  *httptest.Server
}

// newFlaky starts a flaky collector that fails fail exports, and stops it
// when the test ends.
func newFlaky(t *testing.T, fail int) *flaky {
	t.Helper()
	c := &flaky{fail: fail, attempted: make(chan struct{}, 16)}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c.grpcAddr = ln.Addr().String()
	c.grpcSrv = grpc.NewServer()
	collectorpb.RegisterTraceServiceServer(c.grpcSrv, c)
	var serving sync.WaitGroup
	serving.Go(func() { _ = c.grpcSrv.Serve(ln) })
	c.httpSrv = httptest.NewServer(http.HandlerFunc(c.serveHTTP))
	t.Cleanup(func() {
		c.httpSrv.Close()
		c.grpcSrv.Stop()
		serving.Wait()
	})
	return c
}

// endpoint returns the collector's endpoint for the exporter.
func (c *flaky) endpoint(exporter string) string {
	if exporter == "otlp-http" {
		return c.httpSrv.URL
	}
	return c.grpcAddr
}

// export counts an export of req and reports whether it is accepted.
func (c *flaky) export(req *collectorpb.ExportTraceServiceRequest) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.attempts++
	select {
	case c.attempted <- struct{}{}:
	default:
	}
	if c.attempts <= c.fail {
		return false
	}
	for _, rs := range req.GetResourceSpans() {
		for _, ss := range rs.GetScopeSpans() {
			c.spans += len(ss.GetSpans())
		}
	}
	return true
}

// counts returns the exports tried and the spans accepted so far.
func (c *flaky) counts() (attempts, spans int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.attempts, c.spans
}

// Export is the OTLP/gRPC TraceService's.
func (c *flaky) Export(_ context.Context, req *collectorpb.ExportTraceServiceRequest) (*collectorpb.ExportTraceServiceResponse, error) {
	if !c.export(req) {
		return nil, status.Error(codes.Unavailable, "flaky: not ready")
	}
	return &collectorpb.ExportTraceServiceResponse{}, nil
}

// serveHTTP is the OTLP/HTTP endpoint.
func (c *flaky) serveHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	var req collectorpb.ExportTraceServiceRequest
	if err == nil {
		err = proto.Unmarshal(body, &req)
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if !c.export(&req) {
		http.Error(w, "flaky: not ready", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.WriteHeader(http.StatusOK)
}

// TestRetryWhileRunning points the exporters at a collector that fails
// the first export: the feature tries again, and the spans arrive, with
// nothing logged about a failure.
func TestRetryWhileRunning(t *testing.T) {
	for _, exporter := range []string{"otlp-grpc", "otlp-http"} {
		t.Run(exporter, func(t *testing.T) {
			t.Parallel()
			c := newFlaky(t, 1)
			f, logs := startedWithLog(t, fmt.Sprintf(`
[features.tracing]
enabled        = true
exporter       = %q
endpoint       = %q
insecure       = true
export_timeout = "10s"
`, exporter, c.endpoint(exporter)))
			for range 3 {
				call(context.Background(), f, &core.Call{Protocol: "grpc", Method: "/a.B/C", Header: newCarrier()}, nil)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := f.Flush(ctx); err != nil {
				t.Fatalf("Flush = %v", err)
			}
			attempts, spans := c.counts()
			if attempts != 2 || spans != 3 {
				t.Errorf("%d exports tried and %d spans accepted, want 2 and 3", attempts, spans)
			}
			if err := f.Stop(ctx); err != nil {
				t.Errorf("Stop = %v", err)
			}
			if out := logs.String(); strings.Contains(out, "export failed") || strings.Contains(out, "not exported") {
				t.Errorf("a failure was logged though the retry succeeded:\n%s", out)
			}
		})
	}
}

// TestStopWakesRetry points the exporters at a collector that fails every
// export, and stops the service while a failed export waits to be tried
// again: Stop tries it once more at once, and returns without waiting.
func TestStopWakesRetry(t *testing.T) {
	const (
		budget = 10 * time.Second
		bound  = time.Second
	)
	for _, exporter := range []string{"otlp-grpc", "otlp-http"} {
		t.Run(exporter, func(t *testing.T) {
			t.Parallel()
			c := newFlaky(t, 1<<30)
			f, logs := startedWithLog(t, fmt.Sprintf(`
[features.tracing]
enabled        = true
exporter       = %q
endpoint       = %q
insecure       = true
batch_timeout  = "10ms"
export_timeout = "30s"
`, exporter, c.endpoint(exporter)))
			for range 5 {
				call(context.Background(), f, &core.Call{Protocol: "grpc", Method: "/a.B/C", Header: newCarrier()}, nil)
			}
			select {
			case <-c.attempted:
			case <-time.After(5 * time.Second):
				t.Fatal("no export was tried within 5s")
			}
			before, _ := c.counts()
			ctx, cancel := context.WithTimeout(context.Background(), budget)
			defer cancel()
			begin := time.Now()
			if err := f.Stop(ctx); err != nil {
				t.Errorf("Stop = %v", err)
			}
			if took := time.Since(begin); took > bound {
				t.Errorf("Stop took %s, want under %s (budget %s): it waited to retry", took, bound, budget)
			}
			if after, _ := c.counts(); after != before+1 {
				t.Errorf("%d exports tried at stop, want 1", after-before)
			}
			out := logs.String()
			if !strings.Contains(out, "spans were not exported at stop") || !strings.Contains(out, "spans=5") {
				t.Errorf("the log does not count the 5 spans lost:\n%s", out)
			}
		})
	}
}

// TestStopTwice stops a feature whose spans could not be exported twice:
// the second Stop does nothing, and the spans lost are counted once.
func TestStopTwice(t *testing.T) {
	f, logs := startedWithLog(t, fmt.Sprintf(`
[features.tracing]
enabled  = true
exporter = "otlp-http"
endpoint = %q
`, refusedEndpoint(t, "otlp-http")))
	call(context.Background(), f, &core.Call{Protocol: "grpc", Method: "/a.B/C", Header: newCarrier()}, nil)
	for i := range 2 {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := f.Stop(ctx)
		cancel()
		if err != nil {
			t.Errorf("Stop %d = %v", i+1, err)
		}
	}
	if n := strings.Count(logs.String(), "spans were not exported at stop"); n != 1 {
		t.Errorf("%d lines counting the spans lost, want 1:\n%s", n, logs)
	}
}
