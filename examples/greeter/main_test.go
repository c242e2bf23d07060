package main

import (
	"context"
	"encoding/json"
	"fmt"
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
	mgrpc "github.com/mikros-go/mikros/kinds/grpc"
	mhttp "github.com/mikros-go/mikros/kinds/http"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// running is the greeter started from its own service.toml, both kinds on
// loopback ports.
type running struct {
	svc      *servicetest.Service
	grpc     *mgrpc.Kind // the service's gRPC kind, for its clients
	conn     *grpc.ClientConn
	grpcAddr string
	httpURL  string
}

// setup says how a test runs the greeter: what it changes in service.toml
// and which features it puts in place of the greeter's.
type setup struct {
	edits    []edit         // applied to service.toml in order
	features []core.Feature // replace those of features() with the same name
	env      map[string]string
	grpc     []mgrpc.Option // given to the gRPC kind after its listener
}

// edit sets key, in table, to value (TOML, as written in the file). The
// key must be in the table already: a test never adds settings the file
// does not show.
type edit struct{ table, key, value string }

// enable returns the edit that turns a feature on.
func enable(feature string) edit { return edit{"features." + feature, "enabled", "true"} }

// start runs the greeter with the features main links, from its
// service.toml changed as su says, plus a [clients.greeter] table pointing
// at its own gRPC listener. Both kinds listen on loopback ports, and so
// does the admin listener.
func start(t *testing.T, su setup) *running {
	t.Helper()
	def := definition(t, su.edits...)
	grpcLn, httpLn := listen(t), listen(t)
	def += fmt.Sprintf("\n[clients.greeter]\nhost = \"127.0.0.1\"\nport = %d\n", grpcLn.Addr().(*net.TCPAddr).Port)
	k := mgrpc.New(append([]mgrpc.Option{mgrpc.WithListener(grpcLn)}, su.grpc...)...)
	svc := servicetest.Start(t, &greeter{}, def,
		servicetest.Env(su.env),
		core.WithKinds(k, mhttp.New(mhttp.WithListener(httpLn))),
		core.WithFeatures(features()...),
		core.WithFeatures(su.features...))
	if err := svc.Err(); err != nil {
		t.Fatalf("the greeter did not start: %v\n%s", err, svc.Logs())
	}
	conn, err := grpc.NewClient(grpcLn.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return &running{svc: svc, grpc: k, conn: conn, grpcAddr: grpcLn.Addr().String(), httpURL: "http://" + httpLn.Addr().String()}
}

// definition returns the greeter's service.toml with a short drain delay,
// which keeps the tests quick, and the edits made.
func definition(t *testing.T, edits ...edit) string {
	t.Helper()
	text, err := os.ReadFile("service.toml")
	if err != nil {
		t.Fatal(err)
	}
	def := setKey(t, string(text), edit{"lifecycle", "drain_delay", `"300ms"`})
	for _, e := range edits {
		def = setKey(t, def, e)
	}
	return def
}

// setKey replaces the value of e.key in the table [e.table] of the TOML
// text (the value and its comment, to the end of the line). It fails the
// test when the table or the key is not there.
func setKey(t *testing.T, text string, e edit) string {
	t.Helper()
	lines := strings.Split(text, "\n")
	in := false
	for i, line := range lines {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "[") {
			in = trimmed == "["+e.table+"]"
			continue
		}
		name, _, ok := strings.Cut(trimmed, "=")
		if in && ok && strings.TrimSpace(name) == e.key {
			lines[i] = e.key + " = " + e.value
			return strings.Join(lines, "\n")
		}
	}
	t.Fatalf("service.toml has no key %s in [%s]", e.key, e.table)
	return ""
}

func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

// httpClient returns a client whose connections are closed when the test
// ends.
func httpClient(t *testing.T) *nethttp.Client {
	t.Helper()
	tr := &nethttp.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return &nethttp.Client{Transport: tr, Timeout: 5 * time.Second}
}

func TestGRPC(t *testing.T) {
	r := start(t, setup{})
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
	r := start(t, setup{})
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
	r := start(t, setup{})
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
