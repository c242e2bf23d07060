package main

import (
	"context"
	"io"
	"net"
	nethttp "net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	greeterv1 "github.com/mikros-go/mikros/examples/greeter/proto/greeter/v1"
	"github.com/mikros-go/mikros/features/tracing"
	"github.com/mikros-go/mikros/features/tracing/tracingtest"
)

// sayHello is the span name of the greeter's gRPC method.
const sayHello = "greeter.v1.GreeterService/SayHello"

// TestTracesReachACollector runs the greeter with [features.tracing]
// enabled as its service.toml writes it, but pointed at an OTLP receiver on
// loopback, over each OTLP protocol. The greeter calls itself through the
// gRPC kind's client "greeter" and is asked GET /hello; once it stopped
// (which exports what is left), the receiver holds, decoded from the OTLP
// protobuf it was sent:
//
//   - the client span of SayHello, a root, and the server span of the same
//     call, its child in the same trace, each with the attributes the
//     tracing feature documents;
//   - the server span of GET /hello, named after its route;
//   - the startup trace: "startup" and its phases;
//
// all with the service's identity as their resource.
func TestTracesReachACollector(t *testing.T) {
	for _, tc := range []struct {
		exporter string
		endpoint func(*tracingtest.Receiver) string
		via      string
	}{
		{tracing.ExporterOTLPGRPC, (*tracingtest.Receiver).Endpoint, tracingtest.ViaGRPC},
		{tracing.ExporterOTLPHTTP, (*tracingtest.Receiver).URL, tracingtest.ViaHTTP},
	} {
		t.Run(tc.exporter, func(t *testing.T) {
			rcv := tracingtest.NewReceiver(t)
			r := start(t, setup{
				edits: []edit{
					enable("tracing"),
					{"features.tracing", "exporter", strconv.Quote(tc.exporter)},
					{"features.tracing", "endpoint", strconv.Quote(tc.endpoint(rcv))},
				},
				env: map[string]string{"MIKROS_ENV": "ci"},
			})
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()

			self, err := r.grpc.Client("greeter")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := greeterv1.NewGreeterServiceClient(self).SayHello(ctx, &greeterv1.SayHelloRequest{Name: "Ada"}); err != nil {
				t.Fatalf("SayHello through the client greeter: %v", err)
			}
			req, err := nethttp.NewRequestWithContext(ctx, nethttp.MethodGet, r.httpURL+"/hello?name=Ada", nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("User-Agent", "greeter-test/1")
			resp, err := httpClient(t).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Fatalf("GET /hello: %d %s", resp.StatusCode, body)
			}

			if err := r.svc.Stop(); err != nil {
				t.Fatal(err)
			}
			spans, err := rcv.WaitSpans(7, 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			if len(spans) != 7 {
				t.Errorf("%d spans, want 7: %v", len(spans), spans)
			}

			for _, s := range spans {
				if s.Via != tc.via {
					t.Errorf("span %s came over %s, want %s", s.Name, s.Via, tc.via)
				}
				if s.Scope != tracing.ScopeName {
					t.Errorf("span %s: scope %q, want %q", s.Name, s.Scope, tracing.ScopeName)
				}
				for k, want := range map[string]any{
					"service.name":                "greeter",
					"service.version":             "v0.1.0",
					"service.namespace":           "examples",
					"deployment.environment.name": "ci",
					"telemetry.sdk.language":      "go",
				} {
					if got := s.Resource[k]; got != want {
						t.Errorf("span %s: resource %s = %v, want %v", s.Name, k, got, want)
					}
				}
			}

			grpcPort := int64(r.grpcPort())
			rpc := func(code string) map[string]any {
				return map[string]any{
					"rpc.system.name":          "grpc",
					"rpc.method":               sayHello,
					"server.address":           "127.0.0.1",
					"server.port":              grpcPort,
					"rpc.response.status_code": code,
				}
			}
			client := only(t, spans, sayHello, trace.SpanKindClient)
			server := only(t, spans, sayHello, trace.SpanKindServer)
			checkReceived(t, client, codes.Unset, rpc("OK"))
			checkReceived(t, server, codes.Unset, rpc("OK"))
			if !client.IsRoot() {
				t.Errorf("client span %s has a parent; the call was made outside any span", client)
			}
			if !server.ChildOf(client) {
				t.Errorf("server span %s is not the child of client span %s", server, client)
			}

			get := only(t, spans, "GET /hello", trace.SpanKindServer)
			peerPort, _ := get.Attributes["network.peer.port"].(int64)
			if peerPort <= 0 {
				t.Errorf("network.peer.port = %v, want the client's port", get.Attributes["network.peer.port"])
			}
			delete(get.Attributes, "network.peer.port")
			checkReceived(t, get, codes.Unset, map[string]any{
				"http.request.method":       "GET",
				"http.route":                "/hello",
				"http.response.status_code": int64(200),
				"http.response.body.size":   int64(len(body)),
				"url.scheme":                "http",
				"url.path":                  "/hello",
				"server.address":            "127.0.0.1",
				"server.port":               int64(r.httpPort()),
				"client.address":            "127.0.0.1",
				"network.peer.address":      "127.0.0.1",
				"network.protocol.version":  "1.1",
				"user_agent.original":       "greeter-test/1",
			})
			if !get.IsRoot() {
				t.Errorf("span %s has a parent; the request carried no trace context", get)
			}

			startup := only(t, spans, tracing.StartupSpanName, trace.SpanKindInternal)
			if !startup.IsRoot() {
				t.Errorf("startup span %s has a parent", startup)
			}
			for _, phase := range []string{"configure", "build", "start"} {
				p := only(t, spans, phase, trace.SpanKindInternal)
				if !p.ChildOf(startup) {
					t.Errorf("phase span %s is not a child of %s", p, startup)
				}
				if p.Start.Before(startup.Start) || p.End.After(startup.End) {
					t.Errorf("phase %s (%s to %s) is outside startup (%s to %s)", phase, p.Start, p.End, startup.Start, startup.End)
				}
			}
		})
	}
}

// grpcPort and httpPort are the ports the kinds listen on.
func (r *running) grpcPort() int { return port(r.grpcAddr) }
func (r *running) httpPort() int { return port(strings.TrimPrefix(r.httpURL, "http://")) }

// port returns the port of a loopback "127.0.0.1:port" address; 0 when
// it has none.
func port(hostport string) int {
	_, p, _ := net.SplitHostPort(hostport)
	n, _ := strconv.Atoi(p)
	return n
}

// only returns the one span named name of kind kind, failing the test when
// there is not exactly one.
func only(t *testing.T, spans []tracingtest.Span, name string, kind trace.SpanKind) tracingtest.Span {
	t.Helper()
	var found []tracingtest.Span
	for _, s := range spans {
		if s.Name == name && s.Kind == kind {
			found = append(found, s)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d spans %q of kind %s, want 1, among %v", len(found), name, kind, spans)
	}
	return found[0]
}

// checkReceived compares a received span's status and attributes with
// those wanted, all of them.
func checkReceived(t *testing.T, s tracingtest.Span, status codes.Code, want map[string]any) {
	t.Helper()
	if s.Status != status {
		t.Errorf("span %s: status %v %q, want %v", s, s.Status, s.StatusMessage, status)
	}
	for k, w := range want {
		if g, ok := s.Attributes[k]; !ok || g != w {
			t.Errorf("span %s: %s = %#v, want %#v", s.Name, k, g, w)
		}
	}
	for k, g := range s.Attributes {
		if _, ok := want[k]; !ok {
			t.Errorf("span %s: %s = %#v, which is not expected", s.Name, k, g)
		}
	}
}
