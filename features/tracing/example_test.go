package tracing_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/mikros-go/mikros/core"
	"github.com/mikros-go/mikros/core/definition"
	"github.com/mikros-go/mikros/features/tracing"
)

// once is a kind that runs its function once, as a script does.
type once struct{ run func(context.Context) error }

func (once) Name() string                    { return "once" }
func (k once) Run(ctx context.Context) error { return k.run(ctx) }

// keep is an in-memory exporter that keeps its spans when it is shut down
// (an InMemoryExporter forgets them then, and Stop shuts the exporter
// down).
type keep struct{ *tracetest.InMemoryExporter }

func (keep) Shutdown(context.Context) error { return nil }

// A service turns tracing on in its definition and links the feature. Here
// the spans go to an in-memory exporter, to be printed once the service
// stopped; a service leaves WithExporter out and sets exporter and
// endpoint in [features.tracing].
func ExampleNew() {
	exp := keep{tracetest.NewInMemoryExporter()}
	err := core.Run(context.Background(), nil,
		core.WithDefinition("service.toml", []byte(`
name    = "hello"
types   = ["once"]
version = "v1.0.0"
product = "demo"

[features.tracing]
enabled = true
`)),
		core.WithKinds(once{run: func(context.Context) error { return nil }}),
		core.WithFeatures(tracing.New(tracing.WithExporter(exp))),
		core.WithLogOutput(io.Discard),
		core.WithLookupEnv(func(string) (string, bool) { return "", false }),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range exp.GetSpans() {
		parent := "none"
		if s.Parent.IsValid() {
			parent = "startup"
		}
		fmt.Printf("%s (parent: %s)\n", s.Name, parent)
	}
	// Output:
	// configure (parent: startup)
	// build (parent: startup)
	// start (parent: startup)
	// startup (parent: none)
}

// A kind describes each call as a core.Call and hands it to the observers
// core gave it in Setup.Calls; the tracing feature makes the spans. Here a
// client call writes its trace context into the metadata it sends, and the
// server call that receives that metadata continues the trace.
func ExampleFeature_StartCall() {
	exp := tracetest.NewInMemoryExporter()
	f := tracing.New(tracing.WithExporter(exp))
	def, err := definition.Parse("service.toml", []byte(`
name    = "orders"
types   = ["grpc"]
version = "v1.0.0"
product = "shop"

[features.tracing]
enabled = true
`), definition.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := f.Configure(&core.Setup{Definition: def, Settings: def.Features["tracing"].Settings, Logger: slog.New(slog.DiscardHandler)}); err != nil {
		fmt.Println(err)
		return
	}
	if err := f.Start(context.Background()); err != nil {
		fmt.Println(err)
		return
	}
	defer f.Stop(context.Background())

	// The client side: the carrier is the call's outgoing metadata.
	metadata := propagation.MapCarrier{}
	client := &core.Call{Protocol: "grpc", Client: true, Method: "/orders.v1.Orders/Get", Target: "orders:7070", Header: metadata}
	ctx := f.StartCall(context.Background(), client)
	f.EndCall(ctx, client)
	fmt.Println("metadata sent:", metadata.Keys())

	// The server side, on another service: an HTTP request this time.
	req := httptest.NewRequest("GET", "http://orders:8080/orders/42", nil)
	server := &core.Call{Protocol: "http", Method: "GET", Request: req, Header: metadata}
	ctx = f.StartCall(context.Background(), server)
	req.Pattern = "GET /orders/{id}" // as the ServeMux sets it
	server.Code = 200
	f.EndCall(ctx, server)

	_ = f.Flush(context.Background())
	spans := exp.GetSpans()
	for _, s := range spans {
		fmt.Println(s.SpanKind, s.Name)
	}
	fmt.Println("same trace:", spans[1].SpanContext.TraceID() == spans[0].SpanContext.TraceID())
	fmt.Println("server's parent is the client:", spans[1].Parent.SpanID() == spans[0].SpanContext.SpanID())
	// Output:
	// metadata sent: [traceparent]
	// client orders.v1.Orders/Get
	// server GET /orders/{id}
	// same trace: true
	// server's parent is the client: true
}

// AppendLogAttrs is what core calls to add the trace_id and span_id of a
// call to the lines logged with its context.
func ExampleFeature_AppendLogAttrs() {
	exp := tracetest.NewInMemoryExporter()
	f := tracing.New(tracing.WithExporter(exp))
	fmt.Println(len(f.AppendLogAttrs(context.Background(), nil)), "fields without a span")

	def, _ := definition.Parse("service.toml", []byte("name = \"a\"\ntypes = [\"grpc\"]\nversion = \"1.0.0\"\nproduct = \"p\"\n"), definition.Options{})
	_ = f.Configure(&core.Setup{Definition: def})
	_ = f.Start(context.Background())
	defer f.Stop(context.Background())
	ctx := f.StartCall(context.Background(), &core.Call{Protocol: "grpc", Method: "/a.B/C"})
	for _, a := range f.AppendLogAttrs(ctx, nil) {
		fmt.Println(a.Key, len(a.Value.String()), "hex digits")
	}
	// Output:
	// 0 fields without a span
	// trace_id 32 hex digits
	// span_id 16 hex digits
}
