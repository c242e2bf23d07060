package errors_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"time"

	merrors "github.com/mikros-go/mikros/features/errors"
)

// ErrOrderNotFound is a sentinel: it matches every NotFound error with its
// code, whatever the message and details.
var ErrOrderNotFound = merrors.New(merrors.NotFound, "order not found").WithCode("ORDER_NOT_FOUND")

// findOrder fails as a service's repository would.
func findOrder(id int) error {
	dbErr := errors.New("sql: no rows in result set")
	return ErrOrderNotFound.WithDetail("order", fmt.Sprint(id)).WithCause(dbErr)
}

// A service returns an Error, possibly wrapped; a transport reads it back
// with From and sends only the safe parts.
func Example() {
	err := fmt.Errorf("load order: %w", findOrder(42))

	// The service's own code branches on kinds and codes.
	fmt.Println(errors.Is(err, ErrOrderNotFound))
	fmt.Println(merrors.KindOf(err))

	// The log gets everything, cause included.
	fmt.Println(err)

	// The caller gets the problem details, without the cause.
	e := merrors.From(err)
	body, _ := json.Marshal(e.Problem())
	fmt.Println(e.Kind().GRPCCode(), merrors.ProblemContentType)
	fmt.Println(string(body))

	// Errors that are not an *Error reach callers as Internal.
	fmt.Println(merrors.From(os.ErrPermission).Problem().Detail)

	// Output:
	// true
	// not_found
	// load order: not_found: order not found: sql: no rows in result set
	// 5 application/problem+json
	// {"type":"about:blank","title":"Not Found","status":404,"detail":"order not found","kind":"not_found","code":"ORDER_NOT_FOUND","details":{"order":"42"}}
	// internal error
}

// A client turns a problem+json body back into an Error.
func ExampleFromProblem() {
	body := `{"type":"about:blank","title":"Conflict","status":409,"detail":"email taken","kind":"already_exists","code":"EMAIL_TAKEN"}`
	var p merrors.Problem
	if err := json.Unmarshal([]byte(body), &p); err != nil {
		panic(err)
	}
	err := merrors.FromProblem(p)
	fmt.Println(err.Kind(), err.Code(), err.Message())
	fmt.Println(errors.Is(err, merrors.New(merrors.AlreadyExists, "")))

	// Output:
	// already_exists EMAIL_TAKEN email taken
	// true
}

// Kinds map to gRPC codes and HTTP statuses through one table.
func ExampleKind() {
	for _, k := range []merrors.Kind{merrors.InvalidArgument, merrors.Unavailable, merrors.Canceled} {
		fmt.Println(k, k.GRPCCode(), k.HTTPStatus())
	}
	fmt.Println(merrors.KindFromGRPCCode(5), merrors.KindFromHTTPStatus(503))

	// Output:
	// invalid_argument 3 400
	// unavailable 14 503
	// canceled 1 499
	// not_found unavailable
}

// A server's recovery logs the stack of each distinct panic once a
// minute; the repeats in between are counted, and the next line logged
// says how many there were. When the server stops, it logs the counts not
// reported yet.
func ExampleStackLimiter() {
	panics := merrors.NewStackLimiter(time.Minute)
	// A log without times, stacks and sites (which name this file), so
	// that the output is the same on every run.
	log := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Value.Kind() == slog.KindTime || a.Key == "stack" || a.Key == "panic.site" {
				return slog.Attr{}
			}
			return a
		},
	}))
	serve := func(handler func()) {
		defer func() {
			r := recover()
			if r == nil {
				return
			}
			stack := debug.Stack()
			ok, suppressed, since := panics.Allow(stack)
			if !ok {
				return // counted, reported with the next line logged or at stop
			}
			attrs := []any{"panic", fmt.Sprint(r), "stack", string(stack)}
			if suppressed > 0 {
				attrs = append(attrs, "suppressed", suppressed, "suppressed_since", since)
			}
			log.Error("call panicked", attrs...)
		}()
		handler()
	}
	for i := range 3 {
		serve(func() { panic(fmt.Sprint("order ", i, " has no lines")) })
	}
	// The server stops.
	for _, s := range panics.Flush() {
		log.Error("identical panics suppressed", "panic.site", s.Site, "suppressed", s.Count, "suppressed_since", s.Since)
	}

	// Output:
	// level=ERROR msg="call panicked" panic="order 0 has no lines"
	// level=ERROR msg="identical panics suppressed" suppressed=2
}
