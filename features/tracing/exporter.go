package tracing

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/status"
)

// The waits between the attempts of an export that failed while the
// service runs. The nth wait (from 0) is drawn at random between half of
// and the whole of retryFirst·2ⁿ, at most retryMax: 0.5–1s, 1–2s, 2–4s,
// 4–8s, then 5–10s each time. A collector that asks for a longer wait
// (gRPC RetryInfo, HTTP Retry-After) gets it.
const (
	retryFirst = time.Second
	retryMax   = 10 * time.Second
)

// retryRule reports whether an export that failed with err may succeed
// when tried again, and how long the collector asked to wait first. ans is
// what the collector answered to the attempt, for OTLP/HTTP.
type retryRule func(err error, ans *answer) (retry bool, after time.Duration)

// newExporter makes the exporter the settings choose, and the rule that
// tells which of its failures are worth another attempt (nil: none is).
// Every option the OTLP exporters would otherwise read from an
// OTEL_EXPORTER_OTLP_* variable is given, so that the table alone
// decides. The OTLP exporters' own retries are off: the feature's
// exporter retries (see [exporter.ExportSpans]).
func newExporter(ctx context.Context, st settings, stdout io.Writer) (sdktrace.SpanExporter, retryRule, error) {
	switch st.Exporter {
	case ExporterOTLPGRPC:
		creds := credentials.NewTLS(&tls.Config{MinVersion: tls.VersionTLS12})
		if st.Insecure {
			creds = insecure.NewCredentials()
		}
		compressor := encoding.Identity
		if st.Compression == CompressionGzip {
			compressor = CompressionGzip
		}
		exp, err := otlptracegrpc.New(ctx,
			otlptracegrpc.WithEndpoint(st.Endpoint),
			otlptracegrpc.WithTLSCredentials(creds),
			otlptracegrpc.WithHeaders(st.Headers),
			otlptracegrpc.WithTimeout(st.ExportTimeout),
			otlptracegrpc.WithRetry(otlptracegrpc.RetryConfig{Enabled: false}),
			// A call option rather than WithCompressor, which has no
			// value for "none" and would leave a compression set by
			// OTEL_EXPORTER_OTLP_COMPRESSION in place.
			otlptracegrpc.WithDialOption(grpc.WithDefaultCallOptions(grpc.UseCompressor(compressor))),
		)
		return exp, grpcRetryable, err
	case ExporterOTLPHTTP:
		transport := newTransport(strings.HasPrefix(st.Endpoint, "https:"))
		opts := []otlptracehttp.Option{
			otlptracehttp.WithEndpointURL(strings.TrimRight(st.Endpoint, "/") + tracesPath),
			otlptracehttp.WithHeaders(st.Headers),
			otlptracehttp.WithTimeout(st.ExportTimeout),
			otlptracehttp.WithEncoding(otlptracehttp.EncodingProtobuf),
			otlptracehttp.WithCompression(otlptracehttp.NoCompression),
			otlptracehttp.WithRetry(otlptracehttp.RetryConfig{Enabled: false}),
			// The client of the exports, so that the feature's exporter
			// sees each answer's status (recorder), and closes the
			// connections it kept once shut down.
			otlptracehttp.WithHTTPClient(&http.Client{Transport: recorder{transport}, Timeout: st.ExportTimeout}),
		}
		if st.Compression == CompressionGzip {
			opts = append(opts, otlptracehttp.WithCompression(otlptracehttp.GzipCompression))
		}
		exp, err := otlptracehttp.New(ctx, opts...)
		if err != nil {
			return nil, nil, err
		}
		return closing{SpanExporter: exp, close: transport.CloseIdleConnections}, httpRetryable, nil
	case ExporterStdout:
		exp, err := stdouttrace.New(stdouttrace.WithWriter(stdout))
		return exp, nil, err
	}
	return nil, nil, nil
}

// newTransport is the transport of the OTLP/HTTP exports: net/http's
// default one (proxies from HTTPS_PROXY and NO_PROXY, HTTP/2 when the
// collector offers it), with TLS 1.2 at least for an https endpoint.
func newTransport(useTLS bool) *http.Transport {
	t := &http.Transport{
		Proxy: http.ProxyFromEnvironment,
		DialContext: (&net.Dialer{
			Timeout:   30 * time.Second,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
	if useTLS {
		t.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	return t
}

// closing is an exporter whose Shutdown also runs close.
type closing struct {
	sdktrace.SpanExporter
	close func()
}

// Shutdown shuts the exporter down, then runs close.
func (c closing) Shutdown(ctx context.Context) error {
	err := c.SpanExporter.Shutdown(ctx)
	c.close()
	return err
}

// answer is what the collector answered to one attempt of an OTLP/HTTP
// export, as the recorder saw it.
type answer struct {
	sent   bool          // the request was handed to the transport
	status int           // the answer's status; 0: no answer
	after  time.Duration // the wait its Retry-After asks for
}

// answerKey is the context key of the *answer of an attempt.
type answerKey struct{}

// recorder is the transport of the OTLP/HTTP exports: it writes what the
// collector answered into the *answer of the request's context, if any.
type recorder struct {
	next http.RoundTripper
}

// RoundTrip sends req through the wrapped transport and records the
// answer.
func (r recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	ans, _ := req.Context().Value(answerKey{}).(*answer)
	if ans != nil {
		ans.sent = true
	}
	resp, err := r.next.RoundTrip(req)
	if ans != nil && err == nil {
		ans.status = resp.StatusCode
		ans.after = retryAfter(resp.Header.Get("Retry-After"), time.Now())
	}
	return resp, err
}

// maxRetryAfter bounds the wait a Retry-After may ask for: longer than
// any export may take.
const maxRetryAfter = time.Hour

// retryAfter reads a Retry-After header, in seconds or as an HTTP date,
// as a wait from now; 0 when there is none or it does not read as either.
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseInt(v, 10, 64); err == nil {
		if s <= 0 {
			return 0
		}
		return time.Duration(min(s, int64(maxRetryAfter/time.Second))) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return min(max(t.Sub(now), 0), maxRetryAfter)
	}
	return 0
}

// httpRetryable is the retry rule of OTLP/HTTP: an answer of 429, 502,
// 503 or 504, after its Retry-After; and a request that got no answer (a
// connection refused, reset or timed out) unless the collector's
// certificate was refused. Other answers, and failures before the request
// was sent, would fail again.
func httpRetryable(err error, ans *answer) (bool, time.Duration) {
	if ans == nil || !ans.sent {
		return false, 0
	}
	switch ans.status {
	case 0:
		var cert *tls.CertificateVerificationError
		return !errors.As(err, &cert), 0
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true, ans.after
	}
	return false, 0
}

// grpcRetryable is the retry rule of OTLP/gRPC: the codes of failures
// that may pass (CANCELLED, DEADLINE_EXCEEDED, ABORTED, OUT_OF_RANGE,
// UNAVAILABLE, DATA_LOSS), and RESOURCE_EXHAUSTED when the collector says
// when to come back; after the wait of the status's RetryInfo, if any.
func grpcRetryable(err error, _ *answer) (bool, time.Duration) {
	s, ok := status.FromError(err)
	if !ok {
		return false, 0
	}
	var after time.Duration
	asked := false
	for _, d := range s.Details() {
		if info, ok := d.(*errdetails.RetryInfo); ok {
			after, asked = max(info.GetRetryDelay().AsDuration(), 0), true
		}
	}
	switch s.Code() {
	case codes.Canceled, codes.DeadlineExceeded, codes.Aborted, codes.OutOfRange, codes.Unavailable, codes.DataLoss:
		return true, after
	case codes.ResourceExhausted:
		return asked, after
	}
	return false, 0
}

// errCut is why the spans of exports cut by Stop were not exported.
var errCut = errors.New("the export was cut shortly before the stop deadline")

// exporter is the exporter the batch processor hands its batches to: the
// chosen one, wrapped so that
//
//   - a failed export is retried while the service runs (see
//     [exporter.ExportSpans]), and attempted once more at most once Stop
//     began;
//   - a failure is logged (once until exports succeed again) rather than
//     handed to OpenTelemetry's global error handler;
//   - Stop can cut exports short, and count the spans lost at stop.
type exporter struct {
	sdktrace.SpanExporter
	log   *slog.Logger
	retry retryRule // nil: a failed export is not retried

	// first and most bound the waits between attempts (retryFirst and
	// retryMax).
	first, most time.Duration

	stopping chan struct{} // closed by beginStop
	stopOnce sync.Once

	abort context.Context // ended by cut
	cut   context.CancelFunc

	mu      sync.Mutex
	failing bool  // the last export failed
	dropped int64 // spans of the failed exports since the last success
	lost    int64 // spans not exported once Stop began
	lostWhy error // why the first of them were not
}

// wrapExporter wraps exp, whose failures retry says are worth another
// attempt (nil: none is). Its cut ends the exports under way and makes
// the later ones drop their spans at once.
func wrapExporter(exp sdktrace.SpanExporter, retry retryRule, log *slog.Logger) *exporter {
	e := &exporter{SpanExporter: exp, log: log, retry: retry, first: retryFirst, most: retryMax, stopping: make(chan struct{})}
	e.abort, e.cut = context.WithCancel(context.Background())
	return e
}

// beginStop tells the exporter that Stop began: an export waiting to be
// tried again is tried at once, and a failed export is not tried again.
func (e *exporter) beginStop() {
	e.stopOnce.Do(func() { close(e.stopping) })
}

// stopped reports whether Stop began.
func (e *exporter) stopped() bool {
	select {
	case <-e.stopping:
		return true
	default:
		return false
	}
}

// ExportSpans exports spans. It reports no error to the batch processor:
// a failure is logged here.
//
// While the service runs, an export that failed in a way that may pass
// (the collector unreachable, restarting, or asking to come back later)
// is tried again after a wait (see retryFirst), until it succeeds, it
// fails in a way that will not pass, or the next attempt would begin
// after ctx's deadline (export_timeout). Once Stop began, it is tried
// once more without waiting and then given up: a collector that is down
// costs the stop nothing, one that is up gets every span. After cut, the
// spans are given up at once.
func (e *exporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	if e.abort.Err() != nil {
		e.lose(len(spans), errCut)
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(e.abort, cancel)()
	err := e.send(ctx, spans)
	switch {
	case err == nil:
		e.succeeded()
	case e.abort.Err() != nil:
		e.lose(len(spans), errCut)
	case e.stopped():
		e.lose(len(spans), err)
	default:
		e.failed(len(spans), err)
	}
	return nil
}

// send makes the attempts of one export, and returns the last one's
// error.
func (e *exporter) send(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	for n := 0; ; n++ {
		last := e.stopped()
		actx, ans := ctx, (*answer)(nil)
		if e.retry != nil {
			ans = &answer{}
			actx = context.WithValue(ctx, answerKey{}, ans)
		}
		err := e.SpanExporter.ExportSpans(actx, spans)
		if err == nil || e.retry == nil || last || ctx.Err() != nil {
			return err
		}
		retry, after := e.retry(err, ans)
		if !retry {
			return err
		}
		wait := max(e.backoff(n), after)
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) <= wait {
			return err
		}
		if !e.sleep(ctx, wait) {
			return err
		}
	}
}

// backoff returns the wait after the nth failed attempt (from 0): drawn
// between half of and the whole of first·2ⁿ, at most most.
func (e *exporter) backoff(n int) time.Duration {
	base := e.most
	if n < 32 && e.first<<n < e.most && e.first<<n > 0 {
		base = e.first << n
	}
	half := base / 2
	if half <= 0 {
		return base
	}
	return base - half + rand.N(half+1)
}

// sleep waits for d, or until Stop begins, and reports whether it did not
// end because ctx did.
func (e *exporter) sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-e.stopping:
		return true
	case <-ctx.Done():
		return false
	}
}

// succeeded records an export that succeeded.
func (e *exporter) succeeded() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.failing {
		e.log.Info("tracing: export succeeds again", "dropped_spans", e.dropped)
		e.failing, e.dropped = false, 0
	}
}

// failed records an export that failed while the service runs: logged
// when it is the first since the last success.
func (e *exporter) failed(spans int, err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.failing {
		e.log.Warn("tracing: export failed; spans are dropped until an export succeeds", "spans", spans, "error", err.Error())
	}
	e.failing = true
	e.dropped += int64(spans)
}

// lose records spans not exported once Stop began, because of why.
func (e *exporter) lose(spans int, why error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.lost == 0 {
		e.lostWhy = why
	}
	e.lost += int64(spans)
}

// report logs, once Stop ended, the spans that were lost: in one error
// line, with why the first were, and the spans dropped before the stop
// when exports were failing then.
func (e *exporter) report() {
	e.mu.Lock()
	defer e.mu.Unlock()
	switch {
	case e.lost > 0:
		attrs := []any{"spans", e.lost, "error", e.lostWhy.Error()}
		if e.failing && e.dropped > 0 {
			attrs = append(attrs, "dropped_before_stop", e.dropped)
		}
		e.log.Error("tracing: spans were not exported at stop", attrs...)
	case e.failing && e.dropped > 0:
		e.log.Warn("tracing: exports were still failing at stop", "dropped_spans", e.dropped)
	}
}
