package tracing

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
)

// grpcError returns the error of a gRPC status with code c, carrying a
// RetryInfo of delay when delay is not negative.
func grpcError(t *testing.T, c codes.Code, delay time.Duration) error {
	t.Helper()
	s := status.New(c, "collector says no")
	if delay >= 0 {
		var err error
		if s, err = s.WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(delay)}); err != nil {
			t.Fatal(err)
		}
	}
	return s.Err()
}

func TestGRPCRetryable(t *testing.T) {
	for _, tc := range []struct {
		name  string
		err   func(t *testing.T) error
		retry bool
		after time.Duration
	}{
		{"unavailable", func(t *testing.T) error { return grpcError(t, codes.Unavailable, -1) }, true, 0},
		{"unavailable, as the exporter wraps it", func(t *testing.T) error {
			return fmt.Errorf("traces export: %w", errors.Join(nil, grpcError(t, codes.Unavailable, -1)))
		}, true, 0},
		{"deadline exceeded", func(t *testing.T) error { return grpcError(t, codes.DeadlineExceeded, -1) }, true, 0},
		{"aborted", func(t *testing.T) error { return grpcError(t, codes.Aborted, -1) }, true, 0},
		{"data loss", func(t *testing.T) error { return grpcError(t, codes.DataLoss, -1) }, true, 0},
		{"unavailable with RetryInfo", func(t *testing.T) error { return grpcError(t, codes.Unavailable, 2*time.Second) }, true, 2 * time.Second},
		{"resource exhausted", func(t *testing.T) error { return grpcError(t, codes.ResourceExhausted, -1) }, false, 0},
		{"resource exhausted with RetryInfo", func(t *testing.T) error { return grpcError(t, codes.ResourceExhausted, 3*time.Second) }, true, 3 * time.Second},
		{"invalid argument", func(t *testing.T) error { return grpcError(t, codes.InvalidArgument, -1) }, false, 0},
		{"unauthenticated", func(t *testing.T) error { return grpcError(t, codes.Unauthenticated, -1) }, false, 0},
		{"permission denied", func(t *testing.T) error { return grpcError(t, codes.PermissionDenied, -1) }, false, 0},
		{"not a status", func(*testing.T) error { return errors.New("request message too large") }, false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			retry, after := grpcRetryable(tc.err(t), nil)
			if retry != tc.retry || after != tc.after {
				t.Errorf("grpcRetryable = %v, %s; want %v, %s", retry, after, tc.retry, tc.after)
			}
		})
	}
}

func TestHTTPRetryable(t *testing.T) {
	refused := errors.New(`Post "http://127.0.0.1:1/v1/traces": dial tcp 127.0.0.1:1: connect: connection refused`)
	cert := fmt.Errorf("traces export: %w", &tls.CertificateVerificationError{Err: errors.New("x509: certificate signed by unknown authority")})
	for _, tc := range []struct {
		name  string
		err   error
		ans   *answer
		retry bool
		after time.Duration
	}{
		{"no answer slot", refused, nil, false, 0},
		{"failed before sending", errors.New("marshal"), &answer{}, false, 0},
		{"connection refused", refused, &answer{sent: true}, true, 0},
		{"certificate refused", cert, &answer{sent: true}, false, 0},
		{"429", errors.New("429"), &answer{sent: true, status: http.StatusTooManyRequests}, true, 0},
		{"502", errors.New("502"), &answer{sent: true, status: http.StatusBadGateway}, true, 0},
		{"503 with Retry-After", errors.New("503"), &answer{sent: true, status: http.StatusServiceUnavailable, after: 2 * time.Second}, true, 2 * time.Second},
		{"504", errors.New("504"), &answer{sent: true, status: http.StatusGatewayTimeout}, true, 0},
		{"400", errors.New("400"), &answer{sent: true, status: http.StatusBadRequest}, false, 0},
		{"401", errors.New("401"), &answer{sent: true, status: http.StatusUnauthorized}, false, 0},
		{"404", errors.New("404"), &answer{sent: true, status: http.StatusNotFound}, false, 0},
		{"500", errors.New("500"), &answer{sent: true, status: http.StatusInternalServerError}, false, 0},
		{"200 with a bad body", errors.New("proto"), &answer{sent: true, status: http.StatusOK}, false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			retry, after := httpRetryable(tc.err, tc.ans)
			if retry != tc.retry || after != tc.after {
				t.Errorf("httpRetryable = %v, %s; want %v, %s", retry, after, tc.retry, tc.after)
			}
		})
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		header string
		want   time.Duration
	}{
		{"", 0},
		{"3", 3 * time.Second},
		{"0", 0},
		{"-1", 0},
		{"soon", 0},
		{"99999999999999999", maxRetryAfter},
		{now.Add(5 * time.Second).Format(http.TimeFormat), 5 * time.Second},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
		{now.Add(48 * time.Hour).Format(http.TimeFormat), maxRetryAfter},
	} {
		t.Run(tc.header, func(t *testing.T) {
			if got := retryAfter(tc.header, now); got != tc.want {
				t.Errorf("retryAfter(%q) = %s, want %s", tc.header, got, tc.want)
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	e := wrapExporter(tracetest.NewNoopExporter(), nil, slog.New(slog.DiscardHandler))
	for _, tc := range []struct {
		n        int
		low, top time.Duration
	}{
		{0, 500 * time.Millisecond, time.Second},
		{1, time.Second, 2 * time.Second},
		{2, 2 * time.Second, 4 * time.Second},
		{3, 4 * time.Second, 8 * time.Second},
		{4, 5 * time.Second, 10 * time.Second},
		{10, 5 * time.Second, 10 * time.Second},
		{70, 5 * time.Second, 10 * time.Second},
	} {
		t.Run(fmt.Sprint(tc.n), func(t *testing.T) {
			for range 200 {
				if d := e.backoff(tc.n); d < tc.low || d > tc.top {
					t.Fatalf("backoff(%d) = %s, want from %s to %s", tc.n, d, tc.low, tc.top)
				}
			}
		})
	}
}

// errTransient and errPermanent are failures of fakeExporter that the
// test rule says may pass, and will not.
var (
	errTransient = errors.New("collector unavailable")
	errPermanent = errors.New("collector refuses the request")
)

// testRule retries errTransient, asking for after.
func testRule(after time.Duration) retryRule {
	return func(err error, _ *answer) (bool, time.Duration) {
		return errors.Is(err, errTransient), after
	}
}

// fakeExporter fails its exports with errs, in turn, then with then
// (nil: succeeds).
type fakeExporter struct {
	errs   []error
	then   error
	called chan struct{} // gets a value at each export, when there is room

	mu    sync.Mutex
	calls int
}

func newFakeExporter(errs ...error) *fakeExporter {
	return &fakeExporter{errs: errs, called: make(chan struct{}, 64)}
}

func (f *fakeExporter) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	select {
	case f.called <- struct{}{}:
	default:
	}
	if f.calls <= len(f.errs) {
		return f.errs[f.calls-1]
	}
	return f.then
}

func (*fakeExporter) Shutdown(context.Context) error { return nil }

func (f *fakeExporter) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

// spansOf returns n spans to export.
func spansOf(n int) []sdktrace.ReadOnlySpan {
	tp := sdktrace.NewTracerProvider()
	spans := make([]sdktrace.ReadOnlySpan, n)
	for i := range spans {
		_, s := tp.Tracer("test").Start(context.Background(), "span")
		s.End()
		spans[i] = s.(sdktrace.ReadOnlySpan)
	}
	return spans
}

// logBuffer is a buffer for log lines written from several goroutines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// testExporter wraps fake with rule, with waits of 1–4ms.
func testExporter(fake *fakeExporter, rule retryRule) (*exporter, *logBuffer) {
	logs := &logBuffer{}
	e := wrapExporter(fake, rule, slog.New(slog.NewTextHandler(logs, nil)))
	e.first, e.most = 2*time.Millisecond, 8*time.Millisecond
	return e, logs
}

// TestExportRetries checks the attempts of one export while the service
// runs, and what is logged of them.
func TestExportRetries(t *testing.T) {
	for _, tc := range []struct {
		name    string
		errs    []error
		then    error
		rule    retryRule
		timeout time.Duration
		calls   int    // attempts; -1: more than one
		log     string // in the log; "": nothing logged
	}{
		{"success", nil, nil, testRule(0), 5 * time.Second, 1, ""},
		{"retried until it succeeds", []error{errTransient, errTransient, errTransient}, nil, testRule(0), 5 * time.Second, 4, ""},
		{"a failure that will not pass", []error{errTransient, errPermanent}, errTransient, testRule(0), 5 * time.Second, 2, "export failed"},
		{"no rule", []error{errTransient}, nil, nil, 5 * time.Second, 1, "export failed"},
		{"a wait past the deadline", []error{errTransient}, nil, testRule(time.Minute), 5 * time.Second, 1, "export failed"},
		{"retried until the deadline", nil, errTransient, testRule(0), 40 * time.Millisecond, -1, "export failed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := newFakeExporter(tc.errs...)
			fake.then = tc.then
			e, logs := testExporter(fake, tc.rule)
			ctx, cancel := context.WithTimeout(context.Background(), tc.timeout)
			defer cancel()
			begin := time.Now()
			if err := e.ExportSpans(ctx, spansOf(2)); err != nil {
				t.Errorf("ExportSpans = %v, want nil: failures are logged", err)
			}
			if took := time.Since(begin); took > tc.timeout+time.Second {
				t.Errorf("the export took %s, far over its %s", took, tc.timeout)
			}
			calls := fake.count()
			if (tc.calls > 0 && calls != tc.calls) || (tc.calls < 0 && calls < 2) {
				t.Errorf("%d attempts, want %d (-1: more than one)", calls, tc.calls)
			}
			out := logs.String()
			if (tc.log == "" && out != "") || !strings.Contains(out, tc.log) {
				t.Errorf("log %q, want %q", out, tc.log)
			}
		})
	}
}

// TestExportAtStop checks that once Stop began an export is attempted
// once, whether it was waiting to be tried again or not, and that its
// spans are counted as lost, in one line.
func TestExportAtStop(t *testing.T) {
	t.Run("stopped before the export", func(t *testing.T) {
		fake := newFakeExporter(errTransient, errTransient)
		e, logs := testExporter(fake, testRule(0))
		e.beginStop()
		_ = e.ExportSpans(context.Background(), spansOf(3))
		if n := fake.count(); n != 1 {
			t.Errorf("%d attempts, want 1", n)
		}
		e.report()
		if out := logs.String(); strings.Count(out, "not exported at stop") != 1 || !strings.Contains(out, "spans=3") || !strings.Contains(out, errTransient.Error()) || strings.Contains(out, "export failed") {
			t.Errorf("log %q, want one line counting 3 spans lost, and why", out)
		}
	})
	t.Run("stopped while waiting", func(t *testing.T) {
		fake := newFakeExporter(errTransient, errTransient, errTransient)
		e, logs := testExporter(fake, testRule(0))
		e.first, e.most = time.Hour, time.Hour
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Hour)
		defer cancel()
		done := make(chan struct{})
		go func() {
			defer close(done)
			_ = e.ExportSpans(ctx, spansOf(4))
		}()
		select {
		case <-fake.called:
		case <-time.After(5 * time.Second):
			t.Fatal("no attempt within 5s")
		}
		e.beginStop()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatal("the export still waits 5s after Stop began")
		}
		if n := fake.count(); n != 2 {
			t.Errorf("%d attempts, want 2: the first, and one at stop", n)
		}
		e.report()
		if out := logs.String(); !strings.Contains(out, "not exported at stop") || !strings.Contains(out, "spans=4") {
			t.Errorf("log %q, want the 4 spans counted", out)
		}
	})
	t.Run("succeeds at stop", func(t *testing.T) {
		fake := newFakeExporter()
		e, logs := testExporter(fake, testRule(0))
		e.beginStop()
		_ = e.ExportSpans(context.Background(), spansOf(3))
		e.report()
		if out := logs.String(); out != "" {
			t.Errorf("log %q, want nothing", out)
		}
	})
	t.Run("cut", func(t *testing.T) {
		fake := newFakeExporter()
		e, logs := testExporter(fake, testRule(0))
		e.beginStop()
		e.cut()
		_ = e.ExportSpans(context.Background(), spansOf(2))
		_ = e.ExportSpans(context.Background(), spansOf(3))
		if n := fake.count(); n != 0 {
			t.Errorf("%d attempts after the cut, want none", n)
		}
		e.report()
		if out := logs.String(); strings.Count(out, "not exported at stop") != 1 || !strings.Contains(out, "spans=5") || !strings.Contains(out, "cut shortly before the stop deadline") {
			t.Errorf("log %q, want one line counting the 5 spans cut", out)
		}
	})
	t.Run("failing before the stop", func(t *testing.T) {
		fake := newFakeExporter(errPermanent, errPermanent)
		e, logs := testExporter(fake, testRule(0))
		_ = e.ExportSpans(context.Background(), spansOf(2))
		e.beginStop()
		_ = e.ExportSpans(context.Background(), spansOf(3))
		e.report()
		out := logs.String()
		if strings.Count(out, "export failed") != 1 || !strings.Contains(out, "spans=3") || !strings.Contains(out, "dropped_before_stop=2") {
			t.Errorf("log %q, want the failure while running, then 3 spans lost and 2 dropped before", out)
		}
	})
}
