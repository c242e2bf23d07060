// Package httpkindtest runs an HTTP service inside a test, on a loopback
// port, through the real lifecycle of core/servicetest:
//
//	func TestGreeter(t *testing.T) {
//		svc, url := httpkindtest.Start(t, &greeter{}, `
//			name    = "greeter"
//			types   = ["http"]
//			version = "v1.0.0"
//			product = "demo"
//		`)
//		resp, err := http.Get(url + "/hello/ana")
//		// ...
//	}
//
// The service is stopped when the test ends; svc.Stop stops it earlier and
// returns what the lifecycle returned.
package httpkindtest

import (
	"net"
	"testing"

	"github.com/mikros-go/mikros/core"
	"github.com/mikros-go/mikros/core/servicetest"
	mhttp "github.com/mikros-go/mikros/kinds/http"
)

// Start runs svc with the definition text, as [servicetest.Start] does,
// with the http kind serving on a new TCP listener on 127.0.0.1 (not
// Multipath TCP, as the kind's own). It returns
// the running service and the base URL of the kind, such as
// "http://127.0.0.1:41234". opts come after the kind: they may add features
// and other kinds, or replace the kind with another http kind.
//
// When the service stops before it is ready, Start returns all the same, as
// servicetest.Start does: svc.Done is then closed and svc.Err says why.
func Start(t testing.TB, svc any, definition string, opts ...core.Option) (*servicetest.Service, string) {
	t.Helper()
	// Plain TCP, as the kind binds its own: its stop can then hold new
	// connections back (see mhttp.Kind.Stop).
	var lc net.ListenConfig
	lc.SetMultipathTCP(false)
	ln, err := lc.Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("httpkindtest: listener: %v", err)
	}
	// Registered first, so it runs last: after the service stopped, for
	// when the kind never started and so never closed ln.
	t.Cleanup(func() { _ = ln.Close() })
	all := append([]core.Option{core.WithKinds(mhttp.New(mhttp.WithListener(ln)))}, opts...)
	return servicetest.Start(t, svc, definition, all...), "http://" + ln.Addr().String()
}
