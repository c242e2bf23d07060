package http_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/mikros-go/mikros/core"
	merrors "github.com/mikros-go/mikros/features/errors"
	mhttp "github.com/mikros-go/mikros/kinds/http"
)

// greeter is an HTTP service.
type greeter struct{}

func (g *greeter) HTTPHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /hello/{name}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello, %s\n", r.PathValue("name"))
	})
	return mux
}

// A service's main calls core.Main(&greeter{}, core.WithKinds(mhttp.New()));
// here it runs with core.Run on a loopback listener until it is ready.
func Example() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	health := core.NewHealth()
	ready := make(chan struct{})
	health.Watch(func(s core.State) {
		if s == core.Ready {
			close(ready)
		}
	})
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- core.Run(ctx, &greeter{},
			core.WithKinds(mhttp.New(mhttp.WithListener(ln))),
			core.WithDefinition("service.toml", []byte(`
				name    = "greeter"
				types   = ["http"]
				version = "v1.0.0"
				product = "demo"
			`)),
			core.WithHealth(health),
			core.WithLogOutput(io.Discard))
	}()
	<-ready

	client := &http.Client{Transport: &http.Transport{}}
	resp, err := client.Get("http://" + ln.Addr().String() + "/hello/ana")
	if err != nil {
		panic(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	client.CloseIdleConnections()
	fmt.Print(resp.Status, ": ", string(body))

	stop()
	fmt.Println("stopped:", <-done)
	// Output:
	// 200 OK: hello, ana
	// stopped: <nil>
}

// accessLog is a feature that observes calls: it hands on a line for each
// request the kind served.
type accessLog struct{ lines chan string }

func (accessLog) Name() string { return "accesslog" }

func (accessLog) StartCall(ctx context.Context, _ *core.Call) context.Context { return ctx }

func (a accessLog) EndCall(ctx context.Context, c *core.Call) {
	a.lines <- fmt.Sprintf("%s %q %d, read %d bytes, wrote %d (id %t)",
		c.Method, c.Request.Pattern, c.Code, c.RequestBytes, c.ResponseBytes, mhttp.RequestID(ctx) != "")
}

// A feature that implements core.CallObserver sees every request the kind
// serves, once enabled in the definition.
func Example_observer() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	health := core.NewHealth()
	ready := make(chan struct{})
	health.Watch(func(s core.State) {
		if s == core.Ready {
			close(ready)
		}
	})
	log := accessLog{lines: make(chan string, 1)}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- core.Run(ctx, &greeter{},
			core.WithKinds(mhttp.New(mhttp.WithListener(ln))),
			core.WithFeatures(log),
			core.WithDefinition("service.toml", []byte(`
				name    = "greeter"
				types   = ["http"]
				version = "v1.0.0"
				product = "demo"

				[features.accesslog]
				enabled = true
			`)),
			core.WithHealth(health),
			core.WithLogOutput(io.Discard))
	}()
	<-ready

	client := &http.Client{Transport: &http.Transport{}}
	resp, err := client.Get("http://" + ln.Addr().String() + "/hello/ana")
	if err != nil {
		panic(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	client.CloseIdleConnections()
	fmt.Println(<-log.lines)

	stop()
	fmt.Println("stopped:", <-done)
	// Output:
	// GET "GET /hello/{name}" 200, read 0 bytes, wrote 11 (id true)
	// stopped: <nil>
}

func ExampleError() {
	errOrderNotFound := merrors.New(merrors.NotFound, "order not found").WithCode("ORDER_NOT_FOUND")
	handler := func(w http.ResponseWriter, r *http.Request) {
		mhttp.Error(w, r, errOrderNotFound.WithDetail("order", r.PathValue("id")))
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /orders/{id}", handler)

	w := httptest.NewRecorder()
	mux.ServeHTTP(w, httptest.NewRequest("GET", "/orders/42", nil))
	fmt.Println(w.Code, w.Header().Get("Content-Type"))
	fmt.Print(w.Body.String())
	// Output:
	// 404 application/problem+json
	// {"type":"about:blank","title":"Not Found","status":404,"detail":"order not found","instance":"/orders/42","kind":"not_found","code":"ORDER_NOT_FOUND","details":{"order":"42"}}
}

func ExampleHandlerFunc() {
	create := mhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		name, err := io.ReadAll(r.Body)
		if err != nil {
			return err
		}
		if len(name) == 0 {
			return merrors.New(merrors.InvalidArgument, "name is empty").WithDetail("field", "name")
		}
		w.WriteHeader(http.StatusCreated)
		return nil
	})

	for _, body := range []string{"ana", ""} {
		w := httptest.NewRecorder()
		create.ServeHTTP(w, httptest.NewRequest("POST", "/users", strings.NewReader(body)))
		if w.Body.Len() == 0 {
			fmt.Println(w.Code)
			continue
		}
		fmt.Println(w.Code, w.Header().Get("Content-Type"), strings.TrimSpace(w.Body.String()))
	}
	// Output:
	// 201
	// 400 application/problem+json {"type":"about:blank","title":"Bad Request","status":400,"detail":"name is empty","instance":"/users","kind":"invalid_argument","details":{"field":"name"}}
}
