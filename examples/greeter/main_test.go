package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	nethttp "net/http"
	"os"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"github.com/mikros-go/mikros/core"
	"github.com/mikros-go/mikros/core/servicetest"
	greeterv1 "github.com/mikros-go/mikros/examples/greeter/proto/greeter/v1"
	merrors "github.com/mikros-go/mikros/features/errors"
	"github.com/mikros-go/mikros/features/logger"
	mgrpc "github.com/mikros-go/mikros/kinds/grpc"
	mhttp "github.com/mikros-go/mikros/kinds/http"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// running is the greeter started from its own service.toml, both kinds on
// loopback ports.
type running struct {
	svc     *servicetest.Service
	conn    *grpc.ClientConn
	httpURL string
}

func start(t *testing.T) *running {
	t.Helper()
	text, err := os.ReadFile("service.toml")
	if err != nil {
		t.Fatal(err)
	}
	// A short drain keeps the test quick; everything else is the file's.
	def := strings.Replace(string(text), `drain_delay  = "2s"`, `drain_delay  = "300ms"`, 1)
	grpcLn, httpLn := listen(t), listen(t)
	svc := servicetest.Start(t, &greeter{}, def,
		core.WithKinds(mgrpc.New(mgrpc.WithListener(grpcLn)), mhttp.New(mhttp.WithListener(httpLn))),
		core.WithFeatures(logger.New()))
	if err := svc.Err(); err != nil {
		t.Fatal(err)
	}
	conn, err := grpc.NewClient(grpcLn.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return &running{svc: svc, conn: conn, httpURL: "http://" + httpLn.Addr().String()}
}

func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

func TestGRPC(t *testing.T) {
	r := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	client := greeterv1.NewGreeterServiceClient(r.conn)
	resp, err := client.SayHello(ctx, &greeterv1.SayHelloRequest{Name: "Ada"})
	if err != nil || resp.GetMessage() != "Hello, Ada" {
		t.Fatalf("SayHello(Ada) = %q, %v", resp.GetMessage(), err)
	}
	_, err = client.SayHello(ctx, &greeterv1.SayHelloRequest{})
	if st := status.Convert(err); st.Code() != codes.InvalidArgument || st.Message() != "name must not be empty" {
		t.Fatalf("SayHello(\"\") = %v, want InvalidArgument", err)
	}
}

func TestHTTP(t *testing.T) {
	r := start(t)
	tests := []struct {
		query, contentType string
		status             int
		body               string
	}{
		{"?name=Ada", "application/json", 200, `{"message":"Hello, Ada"}`},
		{"", merrors.ProblemContentType, 400, `"kind":"invalid_argument","code":"NAME_EMPTY"`},
	}
	for _, tt := range tests {
		resp, err := nethttp.Get(r.httpURL + "/hello" + tt.query)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != tt.status || resp.Header.Get("Content-Type") != tt.contentType || !strings.Contains(string(body), tt.body) {
			t.Errorf("GET /hello%s = %d %s %s", tt.query, resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
		if tt.status == 200 {
			var g greeting
			if err := json.Unmarshal(body, &g); err != nil || g.Message != "Hello, Ada" {
				t.Errorf("body %s: %v", body, err)
			}
		}
	}
}

// TestHealthFlipsOnStop watches both health views — the admin /readyz and
// the gRPC health service — turn off when the service is told to stop,
// while the drain delay keeps it serving.
func TestHealthFlipsOnStop(t *testing.T) {
	r := start(t)
	health := healthpb.NewHealthClient(r.conn)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	check := func() healthpb.HealthCheckResponse_ServingStatus {
		resp, err := health.Check(ctx, &healthpb.HealthCheckRequest{})
		if err != nil {
			t.Fatalf("health check: %v", err)
		}
		return resp.GetStatus()
	}
	readyz := func() int {
		resp, err := nethttp.Get(r.svc.AdminURL() + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		return resp.StatusCode
	}
	if got := check(); got != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("gRPC health %s before stop", got)
	}
	if got := readyz(); got != 200 {
		t.Fatalf("/readyz %d before stop", got)
	}
	done := make(chan error, 1)
	go func() { done <- r.svc.Stop() }()
	if !r.svc.WaitState(core.Draining, 2*time.Second) {
		t.Fatal("never began draining")
	}
	if got := check(); got != healthpb.HealthCheckResponse_NOT_SERVING {
		t.Errorf("gRPC health %s while draining", got)
	}
	if got := readyz(); got != 503 {
		t.Errorf("/readyz %d while draining", got)
	}
	// Still answering while draining.
	if resp, err := greeterv1.NewGreeterServiceClient(r.conn).SayHello(ctx, &greeterv1.SayHelloRequest{Name: "Ada"}); err != nil || resp.GetMessage() != "Hello, Ada" {
		t.Errorf("SayHello while draining: %v", err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
