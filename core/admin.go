package core

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// adminServer serves the admin endpoints (/livez, /readyz and what features
// mount) over HTTP/1.1, one request per connection.
//
// It is not an http.Server on purpose: linking http.Server brings in the
// HTTP/2 server and TLS, which adds about 1.7 MB to every stripped binary,
// a third of a one-shot script's size budget (see docs/architecture.md).
// Probes and scrapes need none of that. Requests are parsed by
// http.ReadRequest and answered by ordinary http.Handlers, so features mount
// the same handlers they would mount anywhere else.
type adminServer struct {
	ln      net.Listener
	handler http.Handler
	ctx     context.Context
	cancel  context.CancelFunc
	slots   chan struct{} // bounds the connections served at once
	wg      sync.WaitGroup
}

// Limits of the admin listener.
const (
	adminConns       = 32               // connections served at once; more wait in the backlog
	adminReadTimeout = 5 * time.Second  // to read a request, headers and body
	adminTimeout     = 30 * time.Second // to read, handle and answer a request
	adminMaxBody     = 1 << 20          // bytes of request body a handler may read
)

func newAdminServer(ln net.Listener, h http.Handler) *adminServer {
	ctx, cancel := context.WithCancel(context.Background())
	return &adminServer{ln: ln, handler: h, ctx: ctx, cancel: cancel, slots: make(chan struct{}, adminConns)}
}

// serve accepts connections until close is called.
func (a *adminServer) serve() {
	defer a.wg.Done()
	for {
		select {
		case a.slots <- struct{}{}:
		case <-a.ctx.Done():
			return
		}
		conn, err := a.ln.Accept()
		if err != nil {
			<-a.slots
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return // closed
		}
		a.wg.Add(1)
		go func() {
			defer a.wg.Done()
			defer func() { <-a.slots }()
			a.handle(conn)
		}()
	}
}

func (a *adminServer) start() {
	a.wg.Add(1)
	go a.serve()
}

// stop closes the listener as a lifecycle stop hook does.
func (a *adminServer) stop(ctx context.Context) error {
	a.close(ctx)
	return nil
}

// close stops accepting, cancels the requests in flight, and waits for
// their handlers to return, or for ctx to end, whichever comes first.
func (a *adminServer) close(ctx context.Context) {
	a.cancel()
	_ = a.ln.Close()
	done := make(chan struct{})
	go func() {
		a.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
	}
}

func (a *adminServer) handle(conn net.Conn) {
	defer func() { _ = conn.Close() }()
	_ = conn.SetDeadline(time.Now().Add(adminTimeout))
	_ = conn.SetReadDeadline(time.Now().Add(adminReadTimeout))
	req, err := http.ReadRequest(bufio.NewReader(conn))
	if err != nil {
		if !errors.Is(err, io.EOF) {
			writeResponse(conn, http.StatusBadRequest, http.Header{}, []byte("bad request\n"), false)
		}
		return
	}
	req.Body = http.MaxBytesReader(nil, req.Body, adminMaxBody)
	req.RemoteAddr = conn.RemoteAddr().String()
	ctx, cancel := context.WithCancel(a.ctx)
	defer cancel()
	w := &adminResponse{header: http.Header{}}
	func() {
		defer func() {
			if r := recover(); r != nil {
				w = &adminResponse{header: http.Header{}, code: http.StatusInternalServerError}
				w.body.WriteString("internal error\n")
			}
		}()
		a.handler.ServeHTTP(w, req.WithContext(ctx))
	}()
	if w.code == 0 {
		w.code = http.StatusOK
	}
	writeResponse(conn, w.code, w.header, w.body.Bytes(), req.Method != http.MethodHead)
}

// writeResponse writes a whole HTTP/1.1 response and asks the client to
// close the connection.
func writeResponse(w io.Writer, code int, h http.Header, body []byte, withBody bool) {
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("Connection", "close")
	if h.Get("Content-Type") == "" && len(body) > 0 {
		h.Set("Content-Type", http.DetectContentType(body))
	}
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "HTTP/1.1 %d %s\r\n", code, http.StatusText(code))
	_ = h.Write(bw)
	bw.WriteString("\r\n")
	if withBody {
		bw.Write(body)
	}
	_ = bw.Flush()
}

// adminResponse collects a handler's answer to write it whole.
type adminResponse struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func (r *adminResponse) Header() http.Header { return r.header }

func (r *adminResponse) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
	}
}

func (r *adminResponse) Write(p []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return r.body.Write(p)
}
