package http_test

import (
	"context"
	"net"
	nethttp "net/http"
	"net/http/httptest"
	"testing"

	"github.com/mikros-go/mikros/core"
	"github.com/mikros-go/mikros/core/servicetest"
	mhttp "github.com/mikros-go/mikros/kinds/http"
)

// localConn is a net.Conn that only has a local address, for ConnContext.
type localConn struct {
	net.Conn
	local net.Addr
}

func (c localConn) LocalAddr() net.Addr { return c.local }

// TestHandler checks that the handler the kind gives out is the one its
// server serves: called directly, with a request whose context descends
// from the kind's ConnContext (as the server makes it) or not, it gives
// the request its id, calls the service's handler with it, and hands the
// call to the features that observe calls, with the connection's local
// address.
func TestHandler(t *testing.T) {
	if mhttp.New().Handler() != nil {
		t.Error("Handler of a kind not started is not nil")
	}
	local := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8080}
	for _, tc := range []struct {
		name       string
		observer   *fakeObserver // nil: no feature observes calls
		connection bool          // the request comes through ConnContext
	}{
		{name: "plain", connection: true},
		{name: "plain/no-connection"},
		{name: "observed", observer: newObserver(false), connection: true},
		{name: "observed/new-context", observer: newObserver(true), connection: true},
		{name: "observed/no-connection", observer: newObserver(false)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			kind := mhttp.New(mhttp.WithListener(ln))
			def, opts := definition, []core.Option{core.WithKinds(kind)}
			if tc.observer != nil {
				def, opts = observedDefinition, append(opts, core.WithFeatures(tc.observer))
			}
			handlerID := make(chan string, 1)
			mux := nethttp.NewServeMux()
			mux.HandleFunc("GET /hello", func(w nethttp.ResponseWriter, r *nethttp.Request) {
				handlerID <- mhttp.RequestID(r.Context())
				_, _ = w.Write([]byte("hello"))
			})
			svc := servicetest.Start(t, &api{mux}, def, opts...)
			if err := svc.Err(); err != nil {
				t.Fatal(err)
			}
			h := kind.Handler()
			if h == nil {
				t.Fatal("Handler of a started kind is nil")
			}

			ctx := context.Background()
			if tc.connection {
				ctx = kind.ConnContext(ctx, localConn{local: local})
			}
			req := httptest.NewRequestWithContext(ctx, nethttp.MethodGet, "/hello", nil)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != nethttp.StatusOK || w.Body.String() != "hello" {
				t.Fatalf("answer %d %q, want 200 \"hello\"", w.Code, w.Body.String())
			}
			id := w.Header().Get("X-Request-Id")
			if got := <-handlerID; id == "" || got != id {
				t.Errorf("request id: response %q, handler %q", id, got)
			}
			if tc.observer == nil {
				return
			}
			ob := tc.observer.next(t)
			if ob.call.Code != nethttp.StatusOK || ob.pattern != "GET /hello" || !ob.sameCtx {
				t.Errorf("observed call: code %d, pattern %q, same context %v; want 200, \"GET /hello\", true",
					ob.call.Code, ob.pattern, ob.sameCtx)
			}
			var wantLocal net.Addr
			if tc.connection {
				wantLocal = local
				// Through its connection, the request has its id before
				// the observers see it.
				if ob.startID != id {
					t.Errorf("request id at StartCall %q, want %q", ob.startID, id)
				}
			}
			if ob.call.Local != wantLocal {
				t.Errorf("observed local address %v, want %v", ob.call.Local, wantLocal)
			}
		})
	}
}
