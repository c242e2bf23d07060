package main

import (
	"bytes"
	"context"
	"io"
	"maps"
	"math"
	nethttp "net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/mikros-go/mikros/core"
	greeterv1 "github.com/mikros-go/mikros/examples/greeter/proto/greeter/v1"
	"github.com/mikros-go/mikros/features/metrics"
)

// scrape gets /metrics from the admin listener as Prometheus would, and
// parses it with Prometheus's own text parser. It also returns the text.
func scrape(t *testing.T, client *nethttp.Client, r *running) (map[string]*dto.MetricFamily, []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := nethttp.NewRequestWithContext(ctx, nethttp.MethodGet, r.svc.AdminURL()+metrics.Path, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	text, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("GET /metrics: %d %s\n%s", resp.StatusCode, resp.Header.Get("Content-Type"), text)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(bytes.NewReader(text))
	if err != nil {
		t.Fatalf("the text format does not parse: %v\n%s", err, text)
	}
	return families, text
}

// series is one series of a family: its labels, and its value (a
// histogram's: its count of observations).
type series struct {
	labels map[string]string
	value  float64
}

// seriesOf returns the series of a family of type typ, failing the test
// when the family is missing or of another type.
func seriesOf(t *testing.T, families map[string]*dto.MetricFamily, name string, typ dto.MetricType) []series {
	t.Helper()
	mf := families[name]
	if mf == nil {
		t.Fatalf("no metric %s among %v", name, slices.Sorted(maps.Keys(families)))
	}
	if mf.GetType() != typ {
		t.Fatalf("%s is a %s, want a %s", name, mf.GetType(), typ)
	}
	var out []series
	for _, m := range mf.GetMetric() {
		s := series{labels: map[string]string{}}
		for _, l := range m.GetLabel() {
			s.labels[l.GetName()] = l.GetValue()
		}
		switch typ {
		case dto.MetricType_COUNTER:
			s.value = m.GetCounter().GetValue()
		case dto.MetricType_GAUGE:
			s.value = m.GetGauge().GetValue()
		case dto.MetricType_HISTOGRAM:
			h := m.GetHistogram()
			s.value = float64(h.GetSampleCount())
			checkBuckets(t, name, s.labels, h)
		}
		out = append(out, s)
	}
	return out
}

// checkBuckets checks a histogram's buckets: the default bounds, then
// +Inf (which the text format writes), cumulative counts, the last one
// the count of observations.
func checkBuckets(t *testing.T, name string, labels map[string]string, h *dto.Histogram) {
	t.Helper()
	var bounds []float64
	var last uint64
	for _, b := range h.GetBucket() {
		bounds = append(bounds, b.GetUpperBound())
		if b.GetCumulativeCount() < last {
			t.Errorf("%s%v: bucket le=%v counts %d, fewer than the one before it", name, labels, b.GetUpperBound(), b.GetCumulativeCount())
		}
		last = b.GetCumulativeCount()
	}
	if want := append(slices.Clone(metrics.DefaultBuckets), math.Inf(1)); !slices.Equal(bounds, want) {
		t.Errorf("%s%v: bucket bounds %v, want %v", name, labels, bounds, want)
	}
	if last != h.GetSampleCount() {
		t.Errorf("%s%v: the last bucket counts %d, the histogram %d", name, labels, last, h.GetSampleCount())
	}
	if h.GetSampleSum() <= 0 {
		t.Errorf("%s%v: sum %v, want the time the calls took", name, labels, h.GetSampleSum())
	}
}

// TestMetricsAtAdmin runs the greeter with [features.metrics] enabled as
// its service.toml writes it, makes known traffic through both protocols
// (the gRPC calls through the kind's client "greeter", which calls the
// greeter itself), scrapes /metrics from the admin listener and checks,
// with Prometheus's text parser, every series of the call metrics and the
// service's own, and that promlint finds nothing to say.
func TestMetricsAtAdmin(t *testing.T) {
	r := start(t, setup{edits: []edit{enable("metrics")}})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	self, err := r.grpc.Client("greeter")
	if err != nil {
		t.Fatal(err)
	}
	greeterClient := greeterv1.NewGreeterServiceClient(self)
	for _, name := range []string{"Ada", "Grace", "Edsger", ""} {
		_, err := greeterClient.SayHello(ctx, &greeterv1.SayHelloRequest{Name: name})
		want := codes.OK
		if name == "" {
			want = codes.InvalidArgument
		}
		if status.Code(err) != want {
			t.Fatalf("SayHello(%q) = %v, want %s", name, err, want)
		}
	}
	client := httpClient(t)
	for _, req := range []struct {
		target string
		status int
	}{
		{"/hello?name=Ada", 200},
		{"/hello?name=Grace", 200},
		{"/hello", 400},
		{"/nope", 404},
	} {
		resp, err := client.Get(r.httpURL + req.target)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != req.status {
			t.Fatalf("GET %s: %d, want %d", req.target, resp.StatusCode, req.status)
		}
	}

	families, text := scrape(t, client, r)

	rpc := func(code string) map[string]string {
		m := map[string]string{"grpc_type": "unary", "grpc_service": "greeter.v1.GreeterService", "grpc_method": "SayHello"}
		if code != "" {
			m["grpc_code"] = code
		}
		return m
	}
	for _, tc := range []struct {
		name string
		typ  dto.MetricType
		want []series
	}{
		{"grpc_server_handled_total", dto.MetricType_COUNTER, []series{{rpc("OK"), 3}, {rpc("InvalidArgument"), 1}}},
		{"grpc_client_handled_total", dto.MetricType_COUNTER, []series{{rpc("OK"), 3}, {rpc("InvalidArgument"), 1}}},
		{"grpc_server_handling_seconds", dto.MetricType_HISTOGRAM, []series{{rpc(""), 4}}},
		{"grpc_client_handling_seconds", dto.MetricType_HISTOGRAM, []series{{rpc(""), 4}}},
		{"http_server_requests_total", dto.MetricType_COUNTER, []series{
			{map[string]string{"method": "GET", "route": "/hello", "code": "200"}, 2},
			{map[string]string{"method": "GET", "route": "/hello", "code": "400"}, 1},
			{map[string]string{"method": "GET", "route": "unmatched", "code": "404"}, 1},
		}},
		{"http_server_request_duration_seconds", dto.MetricType_HISTOGRAM, []series{
			{map[string]string{"method": "GET", "route": "/hello"}, 3},
			{map[string]string{"method": "GET", "route": "unmatched"}, 1},
		}},
		{"mikros_build_info", dto.MetricType_GAUGE, []series{
			{map[string]string{"name": "greeter", "version": "v0.1.0", "product": "examples"}, 1},
		}},
		{"mikros_ready", dto.MetricType_GAUGE, []series{{map[string]string{}, 1}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := seriesOf(t, families, tc.name, tc.typ)
			if len(got) != len(tc.want) {
				t.Errorf("%d series, want %d: %v", len(got), len(tc.want), got)
			}
			for _, w := range tc.want {
				i := slices.IndexFunc(got, func(g series) bool { return maps.Equal(g.labels, w.labels) })
				switch {
				case i < 0:
					t.Errorf("no series %v among %v", w.labels, got)
				case got[i].value != w.value:
					t.Errorf("%v = %v, want %v", w.labels, got[i].value, w.value)
				}
			}
		})
	}
	if s := seriesOf(t, families, "mikros_startup_duration_seconds", dto.MetricType_GAUGE); len(s) != 1 || s[0].value <= 0 || s[0].value > 15 {
		t.Errorf("mikros_startup_duration_seconds = %v, want one value within the start budget", s)
	}
	for _, prefix := range []string{"go_", "process_"} {
		if !slices.ContainsFunc(slices.Collect(maps.Keys(families)), func(name string) bool { return strings.HasPrefix(name, prefix) }) {
			t.Errorf("no %s* metric: the collectors are on by default", prefix)
		}
	}

	problems, err := promlint.New(bytes.NewReader(text)).Lint()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("promlint: %s: %s", p.Metric, p.Text)
	}

	// Once the service begins to stop, it is no longer ready, and says so
	// while the admin listener still answers.
	stopped := make(chan error, 1)
	go func() { stopped <- r.svc.Stop() }()
	if !r.svc.WaitState(core.Draining, 2*time.Second) {
		t.Fatal("never began draining")
	}
	families, _ = scrape(t, client, r)
	if s := seriesOf(t, families, "mikros_ready", dto.MetricType_GAUGE); len(s) != 1 || s[0].value != 0 {
		t.Errorf("mikros_ready while draining = %v, want 0", s)
	}
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
}
