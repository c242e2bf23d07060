package http

import (
	"log/slog"
	nethttp "net/http"
	"net/http/httptest"
	"testing"

	"github.com/mikros-go/mikros/core"
	merrors "github.com/mikros-go/mikros/features/errors"
)

// BenchmarkHTTPChain measures what the kind's middleware adds to a request:
// the handler called directly (bare), and through the kind's wrapper as the
// server calls it (mikros). The budget is +400ns and +5 allocations.
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

	for _, bc := range []struct {
		name string
		h    nethttp.Handler
		id   string // X-Request-ID sent, if any
	}{
		{"bare", h, ""},
		{"mikros", k.handler, ""},
		{"mikros/request-id-sent", k.handler, "0af7651916cd43dd8448eb211c80319c"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			req := httptest.NewRequest(nethttp.MethodGet, "/hello", nil)
			req.Body = nethttp.NoBody // as the server gives a GET
			if bc.id != "" {
				req.Header.Set("X-Request-ID", bc.id)
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
