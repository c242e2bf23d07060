package tracing

import (
	"context"
	"crypto/tls"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/encoding"
)

// newExporter makes the exporter the settings choose. Every option the
// OTLP exporters would otherwise read from an OTEL_EXPORTER_OTLP_*
// variable is given, so that the table alone decides.
func newExporter(ctx context.Context, st settings, stdout io.Writer) (sdktrace.SpanExporter, error) {
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
		return otlptracegrpc.New(ctx,
			otlptracegrpc.WithEndpoint(st.Endpoint),
			otlptracegrpc.WithTLSCredentials(creds),
			otlptracegrpc.WithHeaders(st.Headers),
			otlptracegrpc.WithTimeout(st.ExportTimeout),
			// A call option rather than WithCompressor, which has no
			// value for "none" and would leave a compression set by
			// OTEL_EXPORTER_OTLP_COMPRESSION in place.
			otlptracegrpc.WithDialOption(grpc.WithDefaultCallOptions(grpc.UseCompressor(compressor))),
		)
	case ExporterOTLPHTTP:
		opts := []otlptracehttp.Option{
			otlptracehttp.WithEndpointURL(strings.TrimRight(st.Endpoint, "/") + tracesPath),
			otlptracehttp.WithHeaders(st.Headers),
			otlptracehttp.WithTimeout(st.ExportTimeout),
			otlptracehttp.WithEncoding(otlptracehttp.EncodingProtobuf),
			otlptracehttp.WithCompression(otlptracehttp.NoCompression),
		}
		if st.Compression == CompressionGzip {
			opts = append(opts, otlptracehttp.WithCompression(otlptracehttp.GzipCompression))
		}
		if strings.HasPrefix(st.Endpoint, "https:") {
			opts = append(opts, otlptracehttp.WithTLSClientConfig(&tls.Config{MinVersion: tls.VersionTLS12}))
		}
		return otlptracehttp.New(ctx, opts...)
	case ExporterStdout:
		return stdouttrace.New(stdouttrace.WithWriter(stdout))
	}
	return nil, nil
}

// exporter is the exporter the batch processor hands its batches to: the
// chosen one, wrapped so that a failed export is logged (once until
// exports succeed again) rather than handed to OpenTelemetry's global
// error handler, and so that Stop can cut exports short.
type exporter struct {
	sdktrace.SpanExporter
	log *slog.Logger

	abort context.Context // ended by cut
	cut   context.CancelFunc
	lost  atomic.Int64 // spans not exported because of cut

	mu      sync.Mutex
	failing bool  // the last export failed
	dropped int64 // spans of the failed exports since the last success
}

// wrapExporter wraps exp. Its cut ends the exports under way and
// makes the later ones drop their spans at once.
func wrapExporter(exp sdktrace.SpanExporter, log *slog.Logger) *exporter {
	e := &exporter{SpanExporter: exp, log: log}
	e.abort, e.cut = context.WithCancel(context.Background())
	return e
}

// ExportSpans exports spans, and gives up on them when cut is called.
// It reports no error to the batch processor: a failure is logged here.
func (e *exporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	if e.abort.Err() != nil {
		e.lost.Add(int64(len(spans)))
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(e.abort, cancel)()
	err := e.SpanExporter.ExportSpans(ctx, spans)
	if e.abort.Err() != nil {
		if err != nil {
			e.lost.Add(int64(len(spans)))
		}
		return nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if err != nil {
		if !e.failing {
			e.log.Warn("tracing: export failed; spans are dropped until an export succeeds", "spans", len(spans), "error", err.Error())
		}
		e.failing = true
		e.dropped += int64(len(spans))
		return nil
	}
	if e.failing {
		e.log.Info("tracing: export succeeds again", "dropped_spans", e.dropped)
		e.failing, e.dropped = false, 0
	}
	return nil
}
