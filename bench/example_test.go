package bench_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/mikros-go/mikros/bench"
)

// The Greeter answers over HTTP as examples/greeter does.
func ExampleGreeter_HTTPHandler() {
	g := &bench.Greeter{}
	w := httptest.NewRecorder()
	g.HTTPHandler().ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/hello?name=Ada", nil))
	fmt.Print(w.Code, " ", w.Body.String())
	fmt.Println(g.Answered(), "answered")
	// Output:
	// 200 {"message":"Hello, Ada"}
	// 1 answered
}

// The Greeter answers over gRPC as examples/greeter does, and refuses an
// empty name.
func ExampleGreeter_SayHello() {
	g := &bench.Greeter{}
	resp, err := g.SayHello(context.Background(), wrapperspb.String("Ada"))
	fmt.Println(resp.GetValue(), err)
	_, err = g.SayHello(context.Background(), wrapperspb.String(" "))
	fmt.Println(err)
	// Output:
	// Hello, Ada <nil>
	// rpc error: code = InvalidArgument desc = name must not be empty
}
