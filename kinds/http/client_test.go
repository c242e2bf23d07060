package http_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	nethttp "net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mikros-go/mikros/core"
	merrors "github.com/mikros-go/mikros/features/errors"
	mhttp "github.com/mikros-go/mikros/kinds/http"
	"github.com/mikros-go/mikros/kinds/http/httpkindtest"
)

// clientDefinition logs at debug level, where the kind writes the
// client's mistakes.
const clientDefinition = definition + `
[log]
level = "debug"

[services.http]
max_body_bytes = 1024
`

// mistakesMux is a service whose handlers read and decode their request's
// body, and return what went wrong as it came.
func mistakesMux() *nethttp.ServeMux {
	type order struct {
		Name string `json:"name"`
		Age  int    `json:"age"`
	}
	mux := nethttp.NewServeMux()
	mux.Handle("POST /read", mhttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) error {
		if _, err := io.ReadAll(r.Body); err != nil {
			return fmt.Errorf("reading the order: %w", err)
		}
		return nil
	}))
	mux.Handle("POST /decode", mhttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) error {
		var o order
		if err := json.NewDecoder(r.Body).Decode(&o); err != nil {
			return fmt.Errorf("decoding the order: %w", err)
		}
		return nil
	}))
	mux.Handle("POST /unmarshal", mhttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) error {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			return err
		}
		var o order
		return json.Unmarshal(b, &o)
	}))
	// The body is fine; what fails is the server's own.
	mux.Handle("POST /backend-json", mhttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) error {
		if _, err := io.ReadAll(r.Body); err != nil {
			return err
		}
		var v map[string]any
		return json.Unmarshal([]byte(`{"inventory": [1, 2, 3], "note": "a long answer from a backend", "broken": }`), &v)
	}))
	mux.Handle("POST /backend-truncated", mhttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) error {
		if _, err := io.ReadAll(r.Body); err != nil {
			return err
		}
		_, err := io.ReadFull(strings.NewReader("ab"), make([]byte, 4))
		return fmt.Errorf("reading the backend's answer: %w", err)
	}))
	mux.Handle("POST /backend-eof", mhttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) error {
		if _, err := io.ReadAll(r.Body); err != nil {
			return err
		}
		return io.EOF
	}))
	mux.Handle("GET /eof", mhttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) error {
		return io.EOF
	}))
	mux.Handle("POST /classified", mhttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) error {
		var o order
		if err := json.NewDecoder(r.Body).Decode(&o); err != nil {
			return merrors.New(merrors.Internal, "the handler says so").WithCause(err)
		}
		return nil
	}))
	return mux
}

// TestClientMistakes sends requests whose body is cut, malformed, empty or
// abandoned: each is answered (when the client can still read) with a
// problem of the client's, logged at debug level and never as the
// server's error, and observed with its status; errors of the server's
// own stay 500s.
func TestClientMistakes(t *testing.T) {
	const (
		cut   = "cut"   // CloseWrite after the body: the client still reads
		reset = "reset" // the connection reset after the body
	)
	tests := []struct {
		name     string
		path     string
		headers  string // after the request line and Host
		body     string
		end      string // cut, reset, or "" (the request is whole)
		status   int
		kind     string
		code     string
		details  map[string]string
		canRead  bool // the client can read the answer
		logLevel string
	}{
		{
			name: "body shorter than its length", path: "/read", headers: "Content-Length: 100\r\n", body: "0123456789", end: cut,
			status: 400, kind: "invalid_argument", code: "REQUEST_BODY_TRUNCATED", canRead: true, logLevel: "debug",
		},
		{
			name: "JSON body shorter than its length", path: "/decode", headers: "Content-Length: 100\r\n", body: `{"name":"a`, end: cut,
			status: 400, kind: "invalid_argument", code: "REQUEST_BODY_TRUNCATED", canRead: true, logLevel: "debug",
		},
		{
			name: "malformed chunked encoding", path: "/read", headers: "Transfer-Encoding: chunked\r\n", body: "zz\r\nabc\r\n",
			status: 400, kind: "invalid_argument", code: "REQUEST_BODY_UNREADABLE", canRead: true, logLevel: "debug",
		},
		{
			name: "client reset the connection", path: "/read", headers: "Content-Length: 100\r\n", body: "0123456789", end: reset,
			status: 499, kind: "canceled", code: "CLIENT_CLOSED_REQUEST", logLevel: "debug",
		},
		{
			name: "JSON syntax error", path: "/decode", headers: "Content-Length: 12\r\n", body: `{"name": x}` + "\n",
			status: 400, kind: "invalid_argument", code: "REQUEST_BODY_MALFORMED", details: map[string]string{"offset": "10"}, canRead: true, logLevel: "debug",
		},
		{
			name: "JSON syntax error, unmarshaled", path: "/unmarshal", headers: "Content-Length: 8\r\n", body: `{"name":`,
			status: 400, kind: "invalid_argument", code: "REQUEST_BODY_MALFORMED", details: map[string]string{"offset": "8"}, canRead: true, logLevel: "debug",
		},
		{
			name: "JSON value of the wrong type", path: "/decode", headers: "Content-Length: 13\r\n", body: `{"age":"old"}`,
			status: 400, kind: "invalid_argument", code: "REQUEST_BODY_MALFORMED", details: map[string]string{"field": "age", "offset": "12"}, canRead: true, logLevel: "debug",
		},
		{
			name: "no body", path: "/decode", headers: "Content-Length: 0\r\n",
			status: 400, kind: "invalid_argument", code: "REQUEST_BODY_EMPTY", canRead: true, logLevel: "debug",
		},
		{
			name: "empty chunked body", path: "/decode", headers: "Transfer-Encoding: chunked\r\n", body: "0\r\n\r\n",
			status: 400, kind: "invalid_argument", code: "REQUEST_BODY_EMPTY", canRead: true, logLevel: "debug",
		},
		{
			name: "body over the limit", path: "/read", headers: "Transfer-Encoding: chunked\r\n", body: "800\r\n" + strings.Repeat("x", 2048) + "\r\n0\r\n\r\n",
			status: 413, kind: "resource_exhausted", code: "REQUEST_BODY_TOO_LARGE", details: map[string]string{"limit": "1024"}, canRead: true, logLevel: "debug",
		},
		{
			name: "the server's JSON, past what was read of the body", path: "/backend-json", headers: "Content-Length: 2\r\n", body: "{}",
			status: 500, kind: "internal", canRead: true, logLevel: "error",
		},
		{
			name: "the server's unexpected EOF, the body read whole", path: "/backend-truncated", headers: "Content-Length: 2\r\n", body: "{}",
			status: 500, kind: "internal", canRead: true, logLevel: "error",
		},
		{
			name: "the server's EOF, the body not empty", path: "/backend-eof", headers: "Content-Length: 2\r\n", body: "{}",
			status: 500, kind: "internal", canRead: true, logLevel: "error",
		},
		{
			name: "EOF of a GET", path: "/eof",
			status: 500, kind: "internal", canRead: true, logLevel: "error",
		},
		{
			name: "the handler's own error wins", path: "/classified", headers: "Content-Length: 6\r\n", body: "{oops}",
			status: 500, kind: "internal", canRead: true, logLevel: "error",
		},
	}
	for _, obs := range []struct {
		name     string
		observer *fakeObserver
	}{
		{"no observer", nil},
		{"observer", newObserver(false)},
	} {
		t.Run(obs.name, func(t *testing.T) {
			text, opts := clientDefinition, []core.Option(nil)
			if obs.observer != nil {
				text += "\n[features.observer]\nenabled = true\n"
				opts = []core.Option{core.WithFeatures(obs.observer)}
			}
			svc, url := httpkindtest.Start(t, &api{mistakesMux()}, text, opts...)
			addr := strings.TrimPrefix(url, "http://")
			for i, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					id := fmt.Sprintf("mistake-%d", i)
					method := "POST"
					if strings.HasPrefix(tt.path, "/eof") {
						method = "GET"
					}
					status, p, err := sendRaw(t, addr, fmt.Sprintf("%s %s HTTP/1.1\r\nHost: api\r\nX-Request-Id: %s\r\n%s\r\n%s", method, tt.path, id, tt.headers, tt.body), tt.end)
					if tt.canRead {
						if err != nil {
							t.Fatal(err)
						}
						if status != tt.status || p.Status != tt.status || p.Kind != tt.kind || p.Code != tt.code {
							t.Errorf("answer %d %+v, want %d, kind %s, code %s", status, p, tt.status, tt.kind, tt.code)
						}
						if tt.details != nil && fmt.Sprint(p.Details) != fmt.Sprint(tt.details) {
							t.Errorf("details %v, want %v", p.Details, tt.details)
						}
					}
					if obs.observer != nil {
						if ob := obs.observer.next(t); ob.call.Code != tt.status {
							t.Errorf("observed status %d, want %d", ob.call.Code, tt.status)
						}
					}
					line := logLine(t, svc.Logs, id)
					if !strings.Contains(line, `"level":"`+tt.logLevel+`"`) || !strings.Contains(line, fmt.Sprintf(`"http.response.status_code":%d`, tt.status)) {
						t.Errorf("logged %s, want level %s and status %d", line, tt.logLevel, tt.status)
					}
					if strings.Contains(line, `"stack"`) {
						t.Errorf("logged with a stack: %s", line)
					}
				})
			}
			if err := svc.Stop(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// sendRaw writes request on a connection of its own, ends it as end says
// (cut: CloseWrite; reset: a reset, without reading), and reads the
// problem it is answered with.
func sendRaw(t *testing.T, addr, request, end string) (int, merrors.Problem, error) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, request); err != nil {
		t.Fatal(err)
	}
	switch end {
	case "cut":
		_ = c.(*net.TCPConn).CloseWrite()
	case "reset":
		time.Sleep(50 * time.Millisecond) // the handler reads what was sent
		_ = c.(*net.TCPConn).SetLinger(0)
		return 0, merrors.Problem{}, nil
	}
	resp, err := nethttp.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return 0, merrors.Problem{}, err
	}
	defer resp.Body.Close()
	var p merrors.Problem
	if err := json.NewDecoder(resp.Body).Decode(&p); err != nil && !errors.Is(err, io.EOF) {
		return resp.StatusCode, p, fmt.Errorf("the answer is no problem: %w", err)
	}
	return resp.StatusCode, p, nil
}

// logLine returns the kind's line about the request whose id is id,
// waiting for it at most 5 seconds.
func logLine(t *testing.T, logs func() string, id string) string {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; {
		for _, line := range strings.Split(logs(), "\n") {
			if strings.Contains(line, `"request.id":"`+id+`"`) && strings.Contains(line, `"msg":"http: request failed`) {
				return line
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no line about request %s:\n%s", id, logs())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestErrorOutsideTheKind checks the rule that holds without the kind
// (an httptest recorder): io.EOF is the client's for a request without a
// body whose method carries one.
func TestErrorOutsideTheKind(t *testing.T) {
	for _, tt := range []struct {
		method string
		err    error
		status int
	}{
		{nethttp.MethodPost, io.EOF, 400},
		{nethttp.MethodPut, fmt.Errorf("decoding: %w", io.EOF), 400},
		{nethttp.MethodGet, io.EOF, 500},
		{nethttp.MethodPost, io.ErrUnexpectedEOF, 500},
		{nethttp.MethodPost, context.Canceled, 499},
	} {
		req, _ := nethttp.NewRequest(tt.method, "/orders", nil)
		w := httptest.NewRecorder()
		mhttp.Error(w, req, tt.err)
		if w.Code != tt.status {
			t.Errorf("%s, %v: status %d, want %d", tt.method, tt.err, w.Code, tt.status)
		}
	}
}
