package http

import (
	"context"
	"log/slog"
	nethttp "net/http"
	"net/http/httptest"
	"testing"

	"github.com/mikros-go/mikros/core"
	merrors "github.com/mikros-go/mikros/features/errors"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// BenchmarkHTTPChain measures what the kind's middleware adds to a request:
// the handler called directly (bare), and through the kind's wrapper as the
// server calls it (mikros). The budget is +400ns and +5 allocations.
//
// mikros-traced is the kind's traced wrapper, as a tracer provider installs
// it, and otel-stock the kind's untraced wrapper inside otelhttp's handler:
// their differences to mikros are what tracing costs each way. Both trace
// with the same SDK provider (every span sampled, handed to a batch
// processor whose exporter drops it), and the request carries a sampled
// trace context, as requests from a traced caller do.
func BenchmarkHTTPChain(b *testing.B) {
	hello := []byte("hello")
	h := nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write(hello)
	})
	k := New()
	if err := k.Configure(&core.Setup{Service: handlerService{h}, Logger: slog.New(slog.DiscardHandler)}); err != nil {
		b.Fatal(err)
	}
	k.next = h // as Start sets it, without binding a port

	traced := New()
	if err := traced.Configure(&core.Setup{Service: handlerService{h}, Logger: slog.New(slog.DiscardHandler)}); err != nil {
		b.Fatal(err)
	}
	traced.next = h
	tp := benchTracerProvider(b)
	traced.tracing = newTracing(tp, propagator) // as Start does with a provider installed
	stock := otelhttp.NewHandler(k.handler, "", otelhttp.WithTracerProvider(tp), otelhttp.WithPropagators(propagator))

	for _, bc := range []struct {
		name  string
		h     nethttp.Handler
		id    string // X-Request-ID sent, if any
		trace bool   // send a caller's trace context
	}{
		{"bare", h, "", false},
		{"mikros", k.handler, "", false},
		{"mikros/request-id-sent", k.handler, "0af7651916cd43dd8448eb211c80319c", false},
		{"mikros-traced", nethttp.HandlerFunc(traced.serveTraced), "", true},
		{"otel-stock", stock, "", true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			req := httptest.NewRequest(nethttp.MethodGet, "/hello", nil)
			req.Body = nethttp.NoBody // as the server gives a GET
			if bc.id != "" {
				req.Header.Set("X-Request-ID", bc.id)
			}
			if bc.trace {
				req.Header.Set("Traceparent", traceparent)
				req.Header.Set("User-Agent", "orders-client/1.0")
			}
			b.ReportAllocs()
			for b.Loop() {
				w := httptest.NewRecorder()
				bc.h.ServeHTTP(w, req)
				if w.Code != nethttp.StatusOK {
					b.Fatal(w.Code)
				}
			}
		})
	}
}

// BenchmarkError measures answering a request with a problem.
func BenchmarkError(b *testing.B) {
	k := New()
	if err := k.Configure(&core.Setup{Service: handlerService{}, Logger: slog.New(slog.DiscardHandler)}); err != nil {
		b.Fatal(err)
	}
	k.next = HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) error {
		return errNotFound
	})
	req := httptest.NewRequest(nethttp.MethodGet, "/orders/42", nil)
	req.Body = nethttp.NoBody
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		k.handler.ServeHTTP(w, req)
		if w.Code != nethttp.StatusNotFound {
			b.Fatal(w.Code)
		}
	}
}

var errNotFound = merrors.New(merrors.NotFound, "order not found").WithCode("ORDER_NOT_FOUND")

// benchTracerProvider returns an SDK tracer provider that samples every
// span and hands it to a batch processor whose exporter drops it: all the
// work of tracing in the service, and none of the export. It is shut down
// when the benchmark ends.
func benchTracerProvider(b *testing.B) *sdktrace.TracerProvider {
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample()), sdktrace.WithBatcher(dropExporter{}))
	b.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return tp
}

// dropExporter exports nothing.
type dropExporter struct{}

func (dropExporter) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (dropExporter) Shutdown(context.Context) error                             { return nil }
