package tracing_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/goleak"

	"github.com/mikros-go/mikros/core"
	"github.com/mikros-go/mikros/core/servicetest"
	"github.com/mikros-go/mikros/features/tracing"
	"github.com/mikros-go/mikros/features/tracing/tracingtest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// caller is a kind that runs once, as a script does, and describes calls
// to the observers core hands it, as the grpc and http kinds do: a gRPC
// call it sends, the same call served with the metadata the first one
// wrote, and an HTTP request it serves.
type caller struct {
	calls core.CallObserver
	log   *slog.Logger
}

func (*caller) Name() string { return "caller" }

func (k *caller) Configure(s *core.Setup) error {
	k.calls, k.log = s.Calls, s.Logger
	return nil
}

func (k *caller) Run(ctx context.Context) error {
	if k.calls == nil {
		return errors.New("no call observer: the tracing feature is not enabled")
	}
	header := newCarrier()
	client := &core.Call{Protocol: "grpc", Client: true, Method: "/orders.v1.Orders/Get", Target: "orders.internal:7070", Header: header, Start: time.Now()}
	cctx := k.calls.StartCall(ctx, client)
	k.calls.EndCall(cctx, client)

	server := &core.Call{Protocol: "grpc", Method: "/orders.v1.Orders/Get", Local: localAddr, Header: header, Start: time.Now()}
	sctx := k.calls.StartCall(ctx, server)
	k.log.InfoContext(sctx, "serving an order")
	server.Code, server.Message = 5, "no order 42"
	k.calls.EndCall(sctx, server)

	req := httptest.NewRequest("GET", "http://orders.example:8080/orders/42", nil)
	req.Header.Set("Traceparent", traceparent)
	web := &core.Call{Protocol: "http", Method: "GET", Request: req, Header: propagation.HeaderCarrier(req.Header), Start: time.Now()}
	wctx := k.calls.StartCall(ctx, web)
	req.Pattern = "GET /orders/{id}"
	web.Code, web.ResponseBytes = 200, 8
	k.calls.EndCall(wctx, web)
	return nil
}

// tracedService takes the tracer provider the feature provides.
type tracedService struct {
	Tracing trace.TracerProvider `mikros:"feature"`
}

// localAddr is the local address of the connection the served call came on.
var localAddr = &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 7070}

// TestRunExportsToACollector runs a service through core's lifecycle with
// the feature exporting to a tracingtest.Receiver, over gRPC and over
// HTTP, and checks what the receiver decoded: the service's resource, the
// startup trace, and the spans of the calls with their attributes and
// parents. The service's log line written during the served call carries
// its trace id. One case sets OpenTelemetry's environment variables, which
// must change nothing: the table alone configures the feature.
func TestRunExportsToACollector(t *testing.T) {
	for _, tc := range []struct {
		name     string
		exporter string
		env      map[string]string
	}{
		{name: "otlp-grpc", exporter: "otlp-grpc"},
		{name: "otlp-http", exporter: "otlp-http"},
		{name: "otlp-grpc, OTEL variables set", exporter: "otlp-grpc", env: map[string]string{
			"OTEL_EXPORTER_OTLP_ENDPOINT":        "http://127.0.0.1:1",
			"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://127.0.0.1:1",
			"OTEL_EXPORTER_OTLP_INSECURE":        "false",
			"OTEL_EXPORTER_OTLP_CERTIFICATE":     "", // a CA of its own: TLS
			"OTEL_EXPORTER_OTLP_HEADERS":         "authorization=wrong",
			"OTEL_EXPORTER_OTLP_TIMEOUT":         "1",
			"OTEL_TRACES_SAMPLER":                "always_off",
			"OTEL_SERVICE_NAME":                  "wrong",
			"OTEL_RESOURCE_ATTRIBUTES":           "service.namespace=wrong",
			"OTEL_BSP_MAX_EXPORT_BATCH_SIZE":     "1",
			"OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT":    "1",
		}},
		{name: "otlp-http, OTEL variables set", exporter: "otlp-http", env: map[string]string{
			"OTEL_EXPORTER_OTLP_ENDPOINT":    "http://127.0.0.1:1",
			"OTEL_EXPORTER_OTLP_PROTOCOL":    "http/json",
			"OTEL_EXPORTER_OTLP_INSECURE":    "false",
			"OTEL_EXPORTER_OTLP_TIMEOUT":     "1",
			"OTEL_TRACES_SAMPLER":            "always_off",
			"OTEL_BSP_SCHEDULE_DELAY":        "1",
			"OTEL_EXPORTER_OTLP_COMPRESSION": "gzip",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				if k == "OTEL_EXPORTER_OTLP_CERTIFICATE" {
					v, _ = servicetest.SelfSignedFiles(t, t.TempDir())
				}
				t.Setenv(k, v)
			}
			rcv := tracingtest.NewReceiver(t)
			endpoint, via := rcv.Endpoint(), tracingtest.ViaGRPC
			if tc.exporter == "otlp-http" {
				endpoint, via = rcv.URL(), tracingtest.ViaHTTP
			}
			def := fmt.Sprintf(`
				name    = "orders"
				types   = ["caller"]
				version = "v1.4.2"
				product = "shop"

				[features.tracing]
				enabled  = true
				exporter = %q
				endpoint = %q
				insecure = true
			`, tc.exporter, endpoint)
			service := &tracedService{}
			svc, err := servicetest.Run(t, service, def,
				servicetest.Env(map[string]string{"MIKROS_ENV": "staging"}),
				core.WithKinds(&caller{}), core.WithFeatures(tracing.New()))
			if err != nil {
				t.Fatalf("run: %v\n%s", err, svc.Logs())
			}
			if service.Tracing == nil {
				t.Error("the service's trace.TracerProvider field was not set")
			}
			spans, err := rcv.WaitSpans(7, 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			if len(spans) != 7 {
				t.Fatalf("%d spans, want 7: %v", len(spans), spans)
			}
			named := map[string][]tracingtest.Span{}
			for _, s := range spans {
				if s.Via != via {
					t.Errorf("%s arrived over %s, want %s", s.Name, s.Via, via)
				}
				for k, want := range map[string]any{
					"service.name":                "orders",
					"service.version":             "v1.4.2",
					"service.namespace":           "shop",
					"deployment.environment.name": "staging",
					"telemetry.sdk.language":      "go",
				} {
					if got := s.Resource[k]; got != want {
						t.Errorf("%s: resource %s = %v, want %v", s.Name, k, got, want)
					}
				}
				if s.Scope != tracing.ScopeName {
					t.Errorf("%s: scope %q", s.Name, s.Scope)
				}
				named[s.Name] = append(named[s.Name], s)
			}

			root := one(t, named, "startup")
			if !root.IsRoot() || root.Status != codes.Unset {
				t.Errorf("startup: %v, status %v: want a root, unset", root, root.Status)
			}
			for _, phase := range []string{"configure", "build", "start"} {
				p := one(t, named, phase)
				if !p.ChildOf(root) || p.Start.Before(root.Start) || p.End.After(root.End) {
					t.Errorf("%s: %v from %v to %v; want a child of %v within %v to %v", phase, p, p.Start, p.End, root, root.Start, root.End)
				}
			}

			calls := named["orders.v1.Orders/Get"]
			if len(calls) != 2 {
				t.Fatalf("%d spans of orders.v1.Orders/Get, want 2", len(calls))
			}
			client, server := calls[0], calls[1]
			if client.Kind != trace.SpanKindClient || server.Kind != trace.SpanKindServer {
				client, server = server, client
			}
			if !server.ChildOf(client) {
				t.Errorf("server span %v is not the child of the client span %v", server, client)
			}
			wantAttrs(t, client, map[string]any{
				"rpc.method": "orders.v1.Orders/Get", "rpc.system.name": "grpc",
				"server.address": "orders.internal", "server.port": int64(7070), "rpc.response.status_code": "OK",
			})
			wantAttrs(t, server, map[string]any{
				"rpc.method": "orders.v1.Orders/Get", "rpc.system.name": "grpc",
				"server.address": "127.0.0.1", "server.port": int64(7070), "rpc.response.status_code": "NOT_FOUND",
			})
			if server.Status != codes.Unset || client.Status != codes.Unset {
				t.Errorf("statuses %v and %v, want unset (NOT_FOUND is the caller's doing)", client.Status, server.Status)
			}

			web := one(t, named, "GET /orders/{id}")
			if web.Kind != trace.SpanKindServer || web.TraceID.String() != parentTrace || web.ParentSpanID.String() != parentSpanID {
				t.Errorf("%v: want a server span, child of the request's trace context", web)
			}
			wantAttrs(t, web, map[string]any{
				"http.request.method": "GET", "server.address": "orders.example", "server.port": int64(8080),
				"url.scheme": "http", "url.path": "/orders/42", "client.address": "192.0.2.1",
				"network.peer.address": "192.0.2.1", "network.peer.port": int64(1234), "network.protocol.version": "1.1",
				"http.route": "/orders/{id}", "http.response.body.size": int64(8), "http.response.status_code": int64(200),
			})

			line := fmt.Sprintf(`"trace_id":"%s","span_id":"%s"`, server.TraceID, server.SpanID)
			if !strings.Contains(svc.Logs(), line) {
				t.Errorf("no log line with %s:\n%s", line, svc.Logs())
			}
		})
	}
}

// one returns the one span named name.
func one(t *testing.T, named map[string][]tracingtest.Span, name string) tracingtest.Span {
	t.Helper()
	if len(named[name]) != 1 {
		t.Fatalf("%d spans named %q, want 1", len(named[name]), name)
	}
	return named[name][0]
}

// wantAttrs checks a received span's attributes.
func wantAttrs(t *testing.T, s tracingtest.Span, want map[string]any) {
	t.Helper()
	for k, w := range want {
		if g := s.Attributes[k]; g != w {
			t.Errorf("%s: %s = %#v, want %#v", s.Name, k, g, w)
		}
	}
	for k, g := range s.Attributes {
		if _, ok := want[k]; !ok {
			t.Errorf("%s: %s = %#v, not expected", s.Name, k, g)
		}
	}
}
