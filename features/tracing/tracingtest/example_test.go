package tracingtest_test

import (
	"context"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/mikros-go/mikros/core"
	"github.com/mikros-go/mikros/features/tracing"
	"github.com/mikros-go/mikros/features/tracing/tracingtest"
)

// once is a kind that runs its function once, as a script does.
type once struct{ run func(context.Context) error }

func (once) Name() string                    { return "once" }
func (k once) Run(ctx context.Context) error { return k.run(ctx) }

// A service exports its startup trace over OTLP/HTTP to a receiver; once
// it stopped, the receiver holds what a collector would have got. (In a
// test, tracingtest.NewReceiver(t) closes the receiver when the test
// ends; use exporter = "otlp-grpc" with rcv.Endpoint() for OTLP/gRPC.)
func ExampleReceiver() {
	rcv, err := tracingtest.Listen()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer rcv.Close()

	err = core.Run(context.Background(), nil,
		core.WithDefinition("service.toml", fmt.Appendf(nil, `
name    = "hello"
types   = ["once"]
version = "v1.0.0"
product = "demo"

[features.tracing]
enabled  = true
exporter = "otlp-http"
endpoint = %q
`, rcv.URL())),
		core.WithKinds(once{run: func(context.Context) error { return nil }}),
		core.WithFeatures(tracing.New()),
		core.WithLogOutput(io.Discard),
		core.WithLookupEnv(func(string) (string, bool) { return "", false }),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	spans, err := rcv.WaitSpans(4, 5*time.Second)
	if err != nil {
		fmt.Println(err)
		return
	}
	var names []string
	for _, s := range spans {
		names = append(names, s.Name)
	}
	slices.Sort(names)
	fmt.Println(names)
	fmt.Println("service.name:", spans[0].Resource["service.name"], "via", spans[0].Via)
	// Output:
	// [build configure start startup]
	// service.name: hello via http
}
