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
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/mikros-go/mikros/core"
	"github.com/mikros-go/mikros/core/servicetest"
	merrors "github.com/mikros-go/mikros/features/errors"
	mhttp "github.com/mikros-go/mikros/kinds/http"
	"github.com/mikros-go/mikros/kinds/http/httpkindtest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const definition = `
name    = "api"
types   = ["http"]
version = "v1.0.0"
product = "demo"

[lifecycle]
stop_timeout = "3s"
`

// api is an HTTP service whose handler the test chooses.
type api struct{ h nethttp.Handler }

func (a *api) HTTPHandler() nethttp.Handler { return a.h }

// newClient returns a client of its own, whose connections are closed when
// the test ends, so that no transport goroutine outlives it.
func newClient(t *testing.T) *nethttp.Client {
	t.Helper()
	tr := &nethttp.Transport{MaxIdleConnsPerHost: 8}
	t.Cleanup(tr.CloseIdleConnections)
	return &nethttp.Client{Transport: tr, Timeout: 5 * time.Second}
}

// reply is a response read whole.
type reply struct {
	status int
	header nethttp.Header
	body   string
	err    error
}

func do(c *nethttp.Client, req *nethttp.Request) reply {
	resp, err := c.Do(req)
	if err != nil {
		return reply{err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return reply{status: resp.StatusCode, header: resp.Header, body: string(b), err: err}
}

func get(t *testing.T, c *nethttp.Client, url string) reply {
	t.Helper()
	req, err := nethttp.NewRequestWithContext(t.Context(), nethttp.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return do(c, req)
}

// problemOf decodes a problem+json reply.
func problemOf(t *testing.T, r reply) merrors.Problem {
	t.Helper()
	if ct := r.header.Get("Content-Type"); ct != merrors.ProblemContentType {
		t.Fatalf("Content-Type %q, want %q; body %q", ct, merrors.ProblemContentType, r.body)
	}
	var p merrors.Problem
	if err := json.Unmarshal([]byte(r.body), &p); err != nil {
		t.Fatalf("body %q: %v", r.body, err)
	}
	return p
}

func TestRequests(t *testing.T) {
	mux := nethttp.NewServeMux()
	mux.HandleFunc("GET /ok", func(w nethttp.ResponseWriter, r *nethttp.Request) { fmt.Fprint(w, "ok") })
	mux.Handle("GET /orders/{id}", mhttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) error {
		return merrors.New(merrors.NotFound, "order not found").WithCode("ORDER_NOT_FOUND").
			WithDetail("order", r.PathValue("id")).WithCause(errors.New("sql: no rows (secret-cause-1)"))
	}))
	mux.Handle("GET /internal", mhttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) error {
		return fmt.Errorf("dial db 10.0.0.7: refused (secret-cause-2)")
	}))
	mux.HandleFunc("GET /denied", func(w nethttp.ResponseWriter, r *nethttp.Request) {
		w.Header().Set("Content-Length", "99") // Error drops it
		mhttp.Error(w, r, fmt.Errorf("checking token: %w", merrors.New(merrors.PermissionDenied, "not yours").WithCause(errors.New("secret-cause-3"))))
	})
	mux.Handle("GET /unavailable", mhttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) error {
		return merrors.New(merrors.Unavailable, "try later").WithCause(errors.New("pool exhausted (secret-cause-4)"))
	}))
	mux.Handle("GET /late", mhttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) error {
		fmt.Fprint(w, "partial")
		return errors.New("encoding failed halfway (secret-cause-5)")
	}))
	mux.HandleFunc("GET /stream", func(w nethttp.ResponseWriter, r *nethttp.Request) {
		fmt.Fprint(w, "a")
		w.(nethttp.Flusher).Flush()
		if err := nethttp.NewResponseController(w).Flush(); err != nil {
			panic(err)
		}
		_, _ = io.Copy(w, strings.NewReader("b"))
	})
	svc, url := httpkindtest.Start(t, &api{mux}, definition)
	c := newClient(t)

	tests := []struct {
		path       string
		wantStatus int
		wantBody   string          // for plain responses
		want       merrors.Problem // for problems
		cause      string          // logged exactly wantLogged times, never sent
		wantLogged int
	}{
		{path: "/ok", wantStatus: 200, wantBody: "ok"},
		{path: "/stream", wantStatus: 200, wantBody: "ab"},
		{path: "/nowhere", wantStatus: 404, wantBody: "404 page not found\n"},
		{
			path: "/orders/42", wantStatus: 404,
			want: merrors.Problem{
				Type: "about:blank", Title: "Not Found", Status: 404, Detail: "order not found", Instance: "/orders/42",
				Kind: "not_found", Code: "ORDER_NOT_FOUND", Details: map[string]string{"order": "42"},
			},
			cause: "secret-cause-1", wantLogged: 0, // 4xx: debug level
		},
		{
			path: "/internal", wantStatus: 500,
			want:  merrors.Problem{Type: "about:blank", Title: "Internal Server Error", Status: 500, Detail: "internal error", Instance: "/internal", Kind: "internal"},
			cause: "secret-cause-2", wantLogged: 1,
		},
		{
			path: "/denied", wantStatus: 403,
			want:  merrors.Problem{Type: "about:blank", Title: "Forbidden", Status: 403, Detail: "not yours", Instance: "/denied", Kind: "permission_denied"},
			cause: "secret-cause-3",
		},
		{
			path: "/unavailable", wantStatus: 503,
			want:  merrors.Problem{Type: "about:blank", Title: "Service Unavailable", Status: 503, Detail: "try later", Instance: "/unavailable", Kind: "unavailable"},
			cause: "secret-cause-4", wantLogged: 1,
		},
		{path: "/late", wantStatus: 200, wantBody: "partial", cause: "secret-cause-5", wantLogged: 1},
	}
	for _, tt := range tests {
		t.Run(strings.TrimPrefix(tt.path, "/"), func(t *testing.T) {
			r := get(t, c, url+tt.path)
			if r.err != nil {
				t.Fatal(r.err)
			}
			if r.status != tt.wantStatus {
				t.Fatalf("status %d, want %d; body %q", r.status, tt.wantStatus, r.body)
			}
			if tt.want.Status != 0 {
				p := problemOf(t, r)
				if got, want := fmt.Sprintf("%+v", p), fmt.Sprintf("%+v", tt.want); got != want {
					t.Errorf("problem\n got %s\nwant %s", got, want)
				}
				if r.header.Get("X-Content-Type-Options") != "nosniff" {
					t.Error("no X-Content-Type-Options: nosniff")
				}
			} else if r.body != tt.wantBody {
				t.Errorf("body %q, want %q", r.body, tt.wantBody)
			}
			if tt.cause == "" {
				return
			}
			if strings.Contains(r.body, tt.cause) {
				t.Errorf("the cause reached the client: %q", r.body)
			}
			logs := svc.Logs()
			if got := strings.Count(logs, tt.cause); got != tt.wantLogged {
				t.Errorf("cause logged %d times, want %d:\n%s", got, tt.wantLogged, logs)
			}
			if tt.wantLogged > 0 && !strings.Contains(logs, `"request.id":"`+r.header.Get("X-Request-Id")+`"`) {
				t.Errorf("the log line lacks the request id %q:\n%s", r.header.Get("X-Request-Id"), logs)
			}
		})
	}
	if !strings.Contains(svc.Logs(), "after its response began") {
		t.Errorf("the late error's log line does not say the response had begun:\n%s", svc.Logs())
	}
	if err := svc.Stop(); err != nil {
		t.Fatal(err)
	}
}

func TestPanicStorm(t *testing.T) {
	const storm = 200
	mux := nethttp.NewServeMux()
	mux.HandleFunc("GET /panic", func(nethttp.ResponseWriter, *nethttp.Request) { panic("secret-panic-value") })
	mux.HandleFunc("GET /ok", func(w nethttp.ResponseWriter, r *nethttp.Request) { fmt.Fprint(w, "ok") })
	mux.HandleFunc("GET /late-panic", func(w nethttp.ResponseWriter, r *nethttp.Request) {
		fmt.Fprint(w, "partial")
		w.(nethttp.Flusher).Flush()
		panic("secret-late-panic")
	})
	mux.HandleFunc("GET /abort", func(w nethttp.ResponseWriter, r *nethttp.Request) { panic(nethttp.ErrAbortHandler) })
	svc, url := httpkindtest.Start(t, &api{mux}, definition)
	c := newClient(t)

	replies := make([]reply, storm)
	var wg sync.WaitGroup
	for i := range storm {
		wg.Go(func() {
			req, _ := nethttp.NewRequestWithContext(t.Context(), nethttp.MethodGet, url+"/panic", nil)
			replies[i] = do(c, req)
		})
	}
	wg.Wait() // bounded: every request has the client's 5s timeout
	for i, r := range replies {
		if r.err != nil {
			t.Fatalf("request %d: %v", i, r.err)
		}
		if r.status != 500 {
			t.Fatalf("request %d: status %d, want 500", i, r.status)
		}
		if p := problemOf(t, r); p.Kind != "internal" || p.Detail != "internal error" {
			t.Fatalf("request %d: problem %+v", i, p)
		}
		if strings.Contains(r.body, "secret") {
			t.Fatalf("request %d: the panic value reached the client: %q", i, r.body)
		}
	}
	// The first panic of the stack is logged with it; the repeats are
	// counted, and reported once the service stops.
	if got := strings.Count(svc.Logs(), `"msg":"http: panic serving request"`); got != 1 {
		t.Errorf("%d panics logged, want 1", got)
	}
	if !strings.Contains(svc.Logs(), `"stack":"goroutine`) {
		t.Error("the panic's stack is not logged")
	}

	// A panic after the response began cuts the connection: the client
	// sees a broken response, not a whole one.
	if r := get(t, c, url+"/late-panic"); r.err == nil {
		t.Errorf("a panic after the response began gave a whole response: %d %q", r.status, r.body)
	}
	if r := get(t, c, url+"/abort"); r.err == nil {
		t.Errorf("http.ErrAbortHandler gave a response: %d %q", r.status, r.body)
	}
	if got := strings.Count(svc.Logs(), "secret-late-panic"); got != 1 {
		t.Errorf("the late panic is logged %d times, want 1", got)
	}
	if r := get(t, c, url+"/ok"); r.err != nil || r.status != 200 {
		t.Fatalf("after the storm: %d %v", r.status, r.err)
	}
	if err := svc.Stop(); err != nil {
		t.Fatal(err)
	}
	summary := regexp.MustCompile(`"msg":"http: identical panics suppressed".*"panic.site":"[^"]*TestPanicStorm[^"]*kind_test.go:\d+","suppressed":(\d+)`)
	m := summary.FindAllStringSubmatch(svc.Logs(), -1)
	if len(m) != 1 || m[0][1] != strconv.Itoa(storm-1) {
		t.Errorf("summaries %q, want one of %d suppressed panics:\n%s", m, storm-1, svc.Logs())
	}
}

func TestSlowHeadersAreCut(t *testing.T) {
	text := definition + "\n[services.http]\nread_header_timeout = \"200ms\"\n"
	svc, url := httpkindtest.Start(t, &api{nethttp.NotFoundHandler()}, text)
	conn, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	begin := time.Now()
	if _, err := io.WriteString(conn, "GET / HTTP/1.1\r\nHost: api\r\nX-Slow: "); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(3 * time.Second))
	n, err := conn.Read(make([]byte, 1))
	took := time.Since(begin)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("the connection was still open after %s", took)
	}
	if n != 0 || err == nil {
		t.Fatalf("read %d bytes, err %v; want the connection closed", n, err)
	}
	if took < 150*time.Millisecond || took > 2*time.Second {
		t.Errorf("closed after %s, want about 200ms", took)
	}
	if err := svc.Stop(); err != nil {
		t.Fatal(err)
	}
}

func TestLimits(t *testing.T) {
	text := definition + "\n[services.http]\nmax_body_bytes = 1024\nmax_header_bytes = 1024\n"
	var called atomic.Int32
	echo := mhttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) error {
		called.Add(1)
		b, err := io.ReadAll(r.Body)
		if err != nil {
			return fmt.Errorf("reading the body: %w", err)
		}
		fmt.Fprint(w, len(b))
		return nil
	})
	svc, url := httpkindtest.Start(t, &api{echo}, text)
	c := newClient(t)

	post := func(t *testing.T, n int, chunked bool) reply {
		var body io.Reader = strings.NewReader(strings.Repeat("x", n))
		if chunked {
			body = io.MultiReader(body) // length unknown: sent chunked
		}
		req, err := nethttp.NewRequestWithContext(t.Context(), nethttp.MethodPost, url+"/", body)
		if err != nil {
			t.Fatal(err)
		}
		return do(c, req)
	}
	tests := []struct {
		name       string
		n          int
		chunked    bool
		wantStatus int
		wantCalled bool
	}{
		{"small body", 512, false, 200, true},
		{"body at the limit, chunked", 1024, true, 200, true},
		{"declared length over the limit", 4096, false, 413, false},
		{"chunked body over the limit", 4096, true, 413, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := called.Load()
			r := post(t, tt.n, tt.chunked)
			if r.err != nil {
				t.Fatal(r.err)
			}
			if r.status != tt.wantStatus {
				t.Fatalf("status %d, want %d: %q", r.status, tt.wantStatus, r.body)
			}
			if got := called.Load() > before; got != tt.wantCalled {
				t.Errorf("handler called: %v, want %v", got, tt.wantCalled)
			}
			if r.status == 200 {
				if r.body != strconv.Itoa(tt.n) {
					t.Errorf("body %q, want %d", r.body, tt.n)
				}
				return
			}
			p := problemOf(t, r)
			if p.Status != 413 || p.Title != "Request Entity Too Large" || p.Kind != "resource_exhausted" ||
				p.Code != "REQUEST_BODY_TOO_LARGE" || p.Details["limit"] != "1024" {
				t.Errorf("problem %+v", p)
			}
		})
	}
	t.Run("headers over the limit", func(t *testing.T) {
		req, err := nethttp.NewRequestWithContext(t.Context(), nethttp.MethodGet, url+"/", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-Big", strings.Repeat("h", 16<<10))
		r := do(c, req)
		if r.err != nil {
			t.Fatal(r.err)
		}
		if r.status != nethttp.StatusRequestHeaderFieldsTooLarge {
			t.Fatalf("status %d, want 431", r.status)
		}
	})
	if err := svc.Stop(); err != nil {
		t.Fatal(err)
	}
}

func TestPortInUse(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	port := busy.Addr().(*net.TCPAddr).Port
	text := fmt.Sprintf("%s\n[services.http]\naddress = \"127.0.0.1\"\nport = %d\n", definition, port)
	_, err = servicetest.Run(t, &api{nethttp.NotFoundHandler()}, text, core.WithKinds(mhttp.New()))
	if got := core.ExitCode(err); got != core.ExitFailure {
		t.Fatalf("exit code %d, want %d: %v", got, core.ExitFailure, err)
	}
	if want := fmt.Sprintf("kind http start: port %d: listen tcp 127.0.0.1:%d", port, port); !strings.Contains(err.Error(), want) {
		t.Errorf("error %q lacks %q", err, want)
	}
}

func TestDrainUnderLoad(t *testing.T) {
	const (
		workers = 4
		maxTime = 2 * time.Second
	)
	text := strings.Replace(definition, "[lifecycle]\n", "[lifecycle]\ndrain_delay = \"200ms\"\n", 1)
	var entered sync.Map // request numbers the handler took
	h := nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		entered.Store(r.Header.Get("X-Seq"), true)
		time.Sleep(20 * time.Millisecond)
		fmt.Fprint(w, "ok")
	})
	svc, url := httpkindtest.Start(t, &api{h}, text)
	c := newClient(t)

	var (
		seq           atomic.Int64
		stopping      atomic.Bool
		okAfterStop   atomic.Int64
		mu            sync.Mutex
		answered      = map[string]int{} // request number → status
		refused       int
		wg            sync.WaitGroup
		deadline      = time.Now().Add(maxTime)
		stopCalled    = make(chan struct{})
		stopErr       error
		stopDone      = make(chan struct{})
		okBeforeStart = make(chan struct{}, workers)
	)
	for range workers {
		wg.Go(func() {
			first := true
			for time.Now().Before(deadline) {
				select {
				case <-svc.Done():
					return
				default:
				}
				n := strconv.FormatInt(seq.Add(1), 10)
				req, _ := nethttp.NewRequestWithContext(t.Context(), nethttp.MethodGet, url+"/", nil)
				req.Header.Set("X-Seq", n)
				r := do(c, req)
				mu.Lock()
				if r.err != nil {
					refused++
					mu.Unlock()
					time.Sleep(5 * time.Millisecond) // the listener closed: no busy loop
					continue
				} else {
					answered[n] = r.status
				}
				mu.Unlock()
				if r.err == nil && stopping.Load() {
					okAfterStop.Add(1)
				}
				if r.err == nil && first {
					first = false
					okBeforeStart <- struct{}{}
				}
			}
		})
	}
	for range workers { // every worker is under way
		select {
		case <-okBeforeStart:
		case <-time.After(maxTime):
			t.Fatal("the workers got no response")
		}
	}
	go func() {
		defer close(stopDone)
		stopping.Store(true)
		close(stopCalled)
		stopErr = svc.Stop()
	}()
	<-stopCalled
	wg.Wait()
	select {
	case <-stopDone:
	case <-time.After(5 * time.Second):
		t.Fatal("Stop did not return")
	}
	if stopErr != nil {
		t.Fatalf("Stop: %v", stopErr)
	}
	mu.Lock()
	defer mu.Unlock()
	for n, status := range answered {
		if status != 200 {
			t.Errorf("request %s: status %d", n, status)
		}
	}
	var cut []string
	entered.Range(func(n, _ any) bool {
		if answered[n.(string)] != 200 {
			cut = append(cut, n.(string))
		}
		return true
	})
	if len(cut) > 0 {
		t.Errorf("requests the handler took but whose client got no 200: %v", cut)
	}
	if okAfterStop.Load() == 0 {
		t.Error("no request was served during the drain delay")
	}
	t.Logf("%d answered (%d after Stop began), %d refused once the listener closed", len(answered), okAfterStop.Load(), refused)
}

func TestRequestInFlightWhenStopBegins(t *testing.T) {
	entered := make(chan struct{})
	h := nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		close(entered)
		time.Sleep(300 * time.Millisecond)
		fmt.Fprint(w, "done")
	})
	svc, url := httpkindtest.Start(t, &api{h}, definition)
	c := newClient(t)
	got := make(chan reply, 1)
	go func() {
		req, _ := nethttp.NewRequestWithContext(context.Background(), nethttp.MethodGet, url+"/", nil)
		got <- do(c, req)
	}()
	select {
	case <-entered:
	case <-time.After(5 * time.Second):
		t.Fatal("the request did not arrive")
	}
	begin := time.Now()
	if err := svc.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if took := time.Since(begin); took < 200*time.Millisecond {
		t.Errorf("Stop returned after %s, before the request finished", took)
	}
	r := <-got
	if r.err != nil || r.status != 200 || r.body != "done" {
		t.Fatalf("in-flight request: %d %q %v", r.status, r.body, r.err)
	}
}

func TestStopBudgetCutsConnections(t *testing.T) {
	text := strings.Replace(definition, `stop_timeout = "3s"`, `stop_timeout = "300ms"`, 1)
	release := make(chan struct{})
	var running sync.WaitGroup
	h := nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		running.Add(1)
		defer running.Done()
		w.WriteHeader(200)
		w.(nethttp.Flusher).Flush()
		<-release
	})
	t.Cleanup(func() { close(release); running.Wait() })
	svc, url := httpkindtest.Start(t, &api{h}, text)
	c := newClient(t)
	resp, err := c.Get(url + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	begin := time.Now()
	err = svc.Stop()
	if took := time.Since(begin); took > 2*time.Second {
		t.Errorf("Stop took %s with a 300ms budget", took)
	}
	if core.ExitCode(err) != core.ExitFailure || !strings.Contains(err.Error(), "kind http stop") {
		t.Fatalf("got %v, want exit 1 naming the kind's stop", err)
	}
	t.Log(err)
	if _, err := io.ReadAll(resp.Body); err == nil {
		t.Error("the stuck request's connection was not cut")
	}
}

func TestConfigure(t *testing.T) {
	tests := []struct {
		name string
		svc  any
		toml string
		want []string
	}{
		{
			name: "read_header_timeout of 0s",
			svc:  &api{},
			toml: "[services.http]\nread_header_timeout = \"0s\"\n",
			want: []string{`service.toml:10:1: services.http.read_header_timeout: must be more than 0s, not 0s`},
		},
		{
			name: "unknown key",
			svc:  &api{},
			toml: "[services.http]\nread_header_timout = \"1s\"\n",
			want: []string{`service.toml:10:1: services.http: unknown key "read_header_timout" (did you mean "read_header_timeout"?)`},
		},
		{
			name: "idle_timeout of 0s while read_timeout is 0s",
			svc:  &api{},
			toml: "[services.http]\nidle_timeout = \"0s\"\n",
			want: []string{`service.toml:10:1: services.http.idle_timeout: must be more than 0s while read_timeout is 0s`},
		},
		{
			name: "service without HTTPHandler",
			svc:  &struct{}{},
			want: []string{`service.toml:2:1: types: kind http: the service (*struct {}) has no method HTTPHandler() http.Handler`},
		},
		{
			name: "every problem at once",
			svc:  &struct{}{},
			toml: "[services.http]\nwrite_timeout = \"-1s\"\nmax_body_bytes = 0\nmax_header_bytes = -1\nread_timeout = 30\n",
			want: []string{
				`service.toml:2:1: types: kind http`,
				`service.toml:10:1: services.http.write_timeout: must not be negative, not -1s`,
				`service.toml:11:1: services.http.max_body_bytes: must be positive, not 0`,
				`service.toml:12:1: services.http.max_header_bytes: must be positive, not -1`,
				`service.toml:13:1: services.http.read_timeout: 30 is not a duration`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := servicetest.Run(t, tt.svc, definition+"\n"+tt.toml, core.WithKinds(mhttp.New()))
			if core.ExitCode(err) != core.ExitInvalid {
				t.Fatalf("got %v (exit %d), want exit 2", err, core.ExitCode(err))
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
}

func TestCheckWithoutService(t *testing.T) {
	for _, settings := range []string{
		"read_header_timeout = \"1s\"\naddress = \"127.0.0.1\"\n",
		"idle_timeout = \"0s\"\nread_timeout = \"10s\"\n",
		"read_timeout = \"30s\"\nwrite_timeout = \"1m\"\n",
	} {
		text := definition + "\n[services.http]\n" + settings
		if _, err := core.Check(nil, core.WithDefinition("service.toml", []byte(text)), core.WithKinds(mhttp.New()), servicetest.Env(nil)); err != nil {
			t.Errorf("%s: %v", settings, err)
		}
	}
}

// TestRequestID sends requests one after the other on keep-alive
// connections, without and with an observer: the id the handler finds,
// through its request's context and through a context derived from it,
// is the one the response carries.
func TestRequestID(t *testing.T) {
	h := nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		derived, cancel := context.WithCancel(context.WithValue(r.Context(), observerKey{}, "handler"))
		defer cancel()
		if id := mhttp.RequestID(derived); id != mhttp.RequestID(r.Context()) {
			nethttp.Error(w, "RequestID of a derived context: "+id, nethttp.StatusInternalServerError)
			return
		}
		fmt.Fprint(w, mhttp.RequestID(r.Context()))
	})
	generated := regexp.MustCompile(`^[0-9a-f]{16}-[0-9a-f]+$`)
	tests := []struct {
		name string
		sent []string
		echo bool
	}{
		{"absent: generated", nil, false},
		{"sane: echoed", []string{"a1b2-C3_d4.e5:f6/g7"}, true},
		{"128 characters: echoed", []string{strings.Repeat("i", 128)}, true},
		{"129 characters: replaced", []string{strings.Repeat("i", 129)}, false},
		{"spaces: replaced", []string{"my id"}, false},
		{"not ASCII: replaced", []string{"café"}, false},
		{"two of them: replaced", []string{"one", "two"}, false},
	}
	for _, obs := range []struct {
		name     string
		observer *fakeObserver
	}{
		{"no observer", nil},
		{"observer keeping the context", newObserver(false)},
		{"observer with a context of its own", newObserver(true)},
	} {
		t.Run(obs.name, func(t *testing.T) {
			text, opts := definition, []core.Option(nil)
			if obs.observer != nil {
				text, opts = observedDefinition, []core.Option{core.WithFeatures(obs.observer)}
			}
			svc, url := httpkindtest.Start(t, &api{h}, text, opts...)
			c := newClient(t)
			seen := map[string]bool{}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					req, _ := nethttp.NewRequestWithContext(t.Context(), nethttp.MethodGet, url+"/", nil)
					for _, v := range tt.sent {
						req.Header.Add("X-Request-ID", v)
					}
					r := do(c, req)
					if r.err != nil || r.status != 200 {
						t.Fatalf("%d %q %v", r.status, r.body, r.err)
					}
					id := r.header.Get("X-Request-ID")
					if id != r.body {
						t.Errorf("header %q, but RequestID gave the handler %q", id, r.body)
					}
					if obs.observer != nil {
						if ob := obs.observer.next(t); ob.startID != id {
							t.Errorf("RequestID gave the observer %q, want %q", ob.startID, id)
						}
					}
					if tt.echo {
						if id != tt.sent[0] {
							t.Errorf("id %q, want %q echoed", id, tt.sent[0])
						}
						return
					}
					if !generated.MatchString(id) {
						t.Errorf("id %q is not a generated one", id)
					}
					if seen[id] {
						t.Errorf("id %q generated twice", id)
					}
					seen[id] = true
				})
			}
			if err := svc.Stop(); err != nil {
				t.Fatal(err)
			}
		})
	}
	if got := mhttp.RequestID(context.Background()); got != "" {
		t.Errorf("RequestID outside a request = %q", got)
	}
}

func TestAddrAndHijack(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	k := mhttp.New(mhttp.WithListener(ln))
	if k.Addr() != nil {
		t.Errorf("Addr before Start = %v", k.Addr())
	}
	h := nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		conn, rw, err := w.(nethttp.Hijacker).Hijack()
		if err != nil {
			panic(err)
		}
		defer conn.Close()
		_, _ = rw.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 8\r\nConnection: close\r\n\r\nhijacked")
		_ = rw.Flush()
	})
	svc := servicetest.Start(t, &api{h}, definition, core.WithKinds(k))
	if got := k.Addr(); got == nil || got.String() != ln.Addr().String() {
		t.Fatalf("Addr = %v, want %v", got, ln.Addr())
	}
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprint(conn, "GET / HTTP/1.1\r\nHost: api\r\n\r\n")
	resp, err := nethttp.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "hijacked" {
		t.Errorf("body %q", b)
	}
	if err := svc.Stop(); err != nil {
		t.Fatal(err)
	}
}
