package bench

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// TestGreeter checks that the benchmarks compare like with like: the bare
// servers and Mikros, observed or not, answer the same greeting, and
// refuse an empty name.
func TestGreeter(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conns := grpcServers(t)
	urls := httpServers(t)
	c := httpClient(t)
	for _, s := range []struct {
		name string
		grpc *grpc.ClientConn
		url  string
	}{
		{"bare", conns.bare, urls.bare},
		{"mikros", conns.mikros, urls.mikros},
		{"mikros-observed", conns.observed, urls.observed},
	} {
		name := s.name
		if err := sayHello(ctx, s.grpc); err != nil {
			t.Errorf("%s: SayHello: %v", name, err)
		}
		err := s.grpc.Invoke(ctx, SayHelloMethod, wrapperspb.String(" "), new(wrapperspb.StringValue))
		if status.Code(err) != codes.InvalidArgument {
			t.Errorf("%s: SayHello(\" \") = %v, want InvalidArgument", name, err)
		}
		var buf [64]byte
		if err := get(c, s.url, buf[:]); err != nil {
			t.Errorf("%s: GET: %v", name, err)
		}
		resp, err := c.Get(strings.TrimSuffix(s.url, "Ada"))
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: GET without a name = %d, want 400", name, resp.StatusCode)
		}
	}

	// The observed services observe: a span for each call, and metrics.
	for _, tc := range []struct {
		name    string
		svc     mikros
		call    func() error
		metric  string   // the name of the counter of calls
		labels  []string // labels of the series of the successful calls
		answers int      // successful calls so far, the one below included
	}{
		{
			name: "grpc", svc: conns.observedService,
			call:   func() error { return sayHello(ctx, conns.observed) },
			metric: "grpc_server_handled_total",
			labels: []string{`grpc_code="OK"`, `grpc_method="SayHello"`, `grpc_service="greeter.v1.GreeterService"`, `grpc_type="unary"`},
			// grpcClient's warm-up call, the call above, this one
			answers: 3,
		},
		{
			name: "http", svc: urls.observedService,
			call: func() error {
				var buf [64]byte
				return get(c, urls.observed, buf[:])
			},
			metric:  "http_server_requests_total",
			labels:  []string{`code="200"`, `method="GET"`, `route="/hello"`},
			answers: 2,
		},
	} {
		before := tc.svc.exported(t)
		if err := tc.call(); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if n := tc.svc.exported(t) - before; n != 1 {
			t.Errorf("%s: one call made %d spans, want 1", tc.name, n)
		}
		if got, want := counter(t, tc.svc.AdminURL()+"/metrics", tc.metric, tc.labels), float64(tc.answers); got != want {
			t.Errorf("%s: %s%v = %g, want %g", tc.name, tc.metric, tc.labels, got, want)
		}
	}
}

// counter returns the value of the series of metric that has every label
// of labels (written name="value"), in the Prometheus text served at url;
// it fails the test when there is none.
func counter(t *testing.T, url, metric string, labels []string) float64 {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
lines:
	for _, line := range strings.Split(string(body), "\n") {
		series, value, ok := strings.Cut(line, " ")
		if !ok || !strings.HasPrefix(series, metric+"{") {
			continue
		}
		for _, l := range labels {
			if !strings.Contains(series, l) {
				continue lines
			}
		}
		v, err := strconv.ParseFloat(value, 64)
		if err != nil {
			t.Fatalf("%s: %q: %v", url, line, err)
		}
		return v
	}
	t.Fatalf("%s: no series %s with %v in:\n%s", url, metric, labels, body)
	return 0
}
