package metrics_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"go.uber.org/goleak"

	"github.com/mikros-go/mikros/core"
	"github.com/mikros-go/mikros/core/servicetest"
	"github.com/mikros-go/mikros/features/metrics"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// feeder is a kind that serves nothing: the test hands its calls to the
// features that observe them, through Setup.Calls, as the grpc and http
// kinds do. Its Stop waits for hold, when set, so that the test sees the
// service draining.
type feeder struct {
	calls    core.CallObserver
	stopping chan struct{} // closed when Stop begins
	hold     chan struct{} // Stop returns once it is closed
}

func newFeeder() *feeder { return &feeder{stopping: make(chan struct{})} }

func (*feeder) Name() string { return "feeder" }

func (k *feeder) Configure(s *core.Setup) error {
	k.calls = s.Calls
	return s.Settings.Decode(&struct{}{})
}

func (*feeder) Run(ctx context.Context) error {
	<-ctx.Done()
	return nil
}

func (k *feeder) Stop(ctx context.Context) error {
	close(k.stopping)
	if k.hold == nil {
		return nil
	}
	select {
	case <-k.hold:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// call runs c through the observer as a kind would: StartCall, then
// EndCall with the outcome, as if the call had taken took.
func (k *feeder) call(c core.Call, code int, took time.Duration) {
	c.Start = time.Now()
	ctx := k.calls.StartCall(context.Background(), &c)
	c.Code, c.End = code, c.Start.Add(took)
	k.calls.EndCall(ctx, &c)
}

// serve routes an HTTP request through mux, as the http kind does, and
// reports it with the status the handler wrote.
func (k *feeder) serve(mux *http.ServeMux, method, target string, took time.Duration) {
	r := httptest.NewRequestWithContext(context.Background(), method, target, nil)
	c := core.Call{Protocol: "http", Method: r.Method, Start: time.Now()}
	ctx := k.calls.StartCall(r.Context(), &c)
	r = r.WithContext(ctx)
	c.Request = r // the request the handler gets, whose Pattern the ServeMux sets
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, r)
	c.Code, c.End = w.Code, c.Start.Add(took)
	k.calls.EndCall(ctx, &c)
}

const serviceTOML = `
	name    = "greeter"
	types   = ["feeder"]
	version = "v1.2.3"
	product = "demo"

	[admin]
	port = 9090 # the test serves the admin endpoints on a loopback port instead

	[features.metrics]
	enabled = true
	%s
`

// start runs a service with the metrics feature and the feeder kind.
func start(t *testing.T, svc any, k *feeder, settings string, opts ...core.Option) *servicetest.Service {
	t.Helper()
	opts = append([]core.Option{core.WithKinds(k), core.WithFeatures(metrics.New())}, opts...)
	s := servicetest.Start(t, svc, fmt.Sprintf(serviceTOML, settings), opts...)
	if s.Health().State() != core.Ready {
		t.Fatalf("service not ready: %v\n%s", s.Err(), s.Logs())
	}
	return s
}

// scrape reads /metrics over HTTP and returns its text.
func scrape(t *testing.T, s *servicetest.Service) []byte {
	t.Helper()
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, s.AdminURL()+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("scrape: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("scrape: %v", err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("scrape: %s\n%s", resp.Status, body)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("scrape: Content-Type %q, want the text format", ct)
	}
	return body
}

// parse reads the text format.
func parse(t *testing.T, text []byte) map[string]*dto.MetricFamily {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(bytes.NewReader(text))
	if err != nil {
		t.Fatalf("parse: %v\n%s", err, text)
	}
	return mfs
}

// sample finds the series of name whose labels are exactly labels (written
// "k=v,k=v") and returns its value: a counter's or gauge's value, a
// histogram's count. found is false when there is no such series.
func sample(mfs map[string]*dto.MetricFamily, name, labels string) (value float64, found bool) {
	mf, ok := mfs[name]
	if !ok {
		return 0, false
	}
	for _, m := range mf.GetMetric() {
		var got []string
		for _, l := range m.GetLabel() {
			got = append(got, l.GetName()+"="+l.GetValue())
		}
		slices.Sort(got)
		want := strings.Split(labels, ",")
		if labels == "" {
			want = nil
		}
		slices.Sort(want)
		if !slices.Equal(got, want) {
			continue
		}
		switch {
		case m.GetCounter() != nil:
			return m.GetCounter().GetValue(), true
		case m.GetGauge() != nil:
			return m.GetGauge().GetValue(), true
		case m.GetHistogram() != nil:
			return float64(m.GetHistogram().GetSampleCount()), true
		case m.GetUntyped() != nil:
			return m.GetUntyped().GetValue(), true
		}
	}
	return 0, false
}

// bucket returns the cumulative count of the bucket of the histogram
// series that has upper bound le.
func bucket(mfs map[string]*dto.MetricFamily, name, labels string, le float64) uint64 {
	mf := mfs[name]
	for _, m := range mf.GetMetric() {
		var got []string
		for _, l := range m.GetLabel() {
			got = append(got, l.GetName()+"="+l.GetValue())
		}
		slices.Sort(got)
		want := strings.Split(labels, ",")
		slices.Sort(want)
		if !slices.Equal(got, want) {
			continue
		}
		for _, b := range m.GetHistogram().GetBucket() {
			if b.GetUpperBound() == le {
				return b.GetCumulativeCount()
			}
		}
	}
	return math.MaxUint64
}

const (
	sayHello = "/greeter.v1.GreeterService/SayHello"
	watch    = "/greeter.v1.GreeterService/Watch"
	upload   = "/greeter.v1.GreeterService/Upload"
	chat     = "/greeter.v1.GreeterService/Chat"
	charge   = "/billing.v1.BillingService/Charge"
)

// TestCalls feeds known calls to the feature, as the kinds would, scrapes
// /metrics and checks every series they make.
func TestCalls(t *testing.T) {
	k := newFeeder()
	s := start(t, nil, k, "")

	ms := time.Millisecond
	grpc := func(method string, client, clientStreams, serverStreams bool) core.Call {
		return core.Call{Protocol: "grpc", Method: method, Client: client, ClientStreams: clientStreams, ServerStreams: serverStreams}
	}
	for range 3 {
		k.call(grpc(sayHello, false, false, false), 0, 2*ms)
	}
	k.call(grpc(sayHello, false, false, false), 3, 20*ms)
	k.call(grpc(watch, false, false, true), 1, 300*ms)
	k.call(grpc(upload, false, true, false), 0, ms/2)
	k.call(grpc(chat, false, true, true), 16, ms/2)
	k.call(grpc(charge, true, false, false), 14, 3*time.Second)
	k.call(grpc(charge, true, false, false), 14, 3*time.Second)
	k.call(grpc("/not-a-full-method", false, false, false), 99, ms)

	mux := http.NewServeMux()
	mux.HandleFunc("GET /items/{id}", func(http.ResponseWriter, *http.Request) {})
	mux.HandleFunc("POST example.com/items/", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusCreated) })
	mux.HandleFunc("/fail", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusInternalServerError) })
	k.serve(mux, http.MethodGet, "/items/1", 2*ms)
	k.serve(mux, http.MethodGet, "/items/2", 2*ms)
	k.serve(mux, http.MethodHead, "/items/3", 2*ms)
	k.serve(mux, http.MethodPost, "http://example.com/items/4", 40*ms)
	k.serve(mux, http.MethodGet, "/nowhere", ms)
	k.serve(mux, http.MethodDelete, "/items/5", ms)
	k.serve(mux, "BREW", "/fail", ms)
	k.serve(mux, http.MethodGet, "/fail", ms)
	// An HTTP call the service sends is not recorded.
	k.call(core.Call{Protocol: "http", Client: true, Method: http.MethodGet, Target: "127.0.0.1:1"}, 200, ms)

	mfs := parse(t, scrape(t, s))
	tests := []struct {
		name, labels string
		want         float64
	}{
		{"grpc_server_handled_total", "grpc_type=unary,grpc_service=greeter.v1.GreeterService,grpc_method=SayHello,grpc_code=OK", 3},
		{"grpc_server_handled_total", "grpc_type=unary,grpc_service=greeter.v1.GreeterService,grpc_method=SayHello,grpc_code=InvalidArgument", 1},
		{"grpc_server_handled_total", "grpc_type=server_stream,grpc_service=greeter.v1.GreeterService,grpc_method=Watch,grpc_code=Canceled", 1},
		{"grpc_server_handled_total", "grpc_type=client_stream,grpc_service=greeter.v1.GreeterService,grpc_method=Upload,grpc_code=OK", 1},
		{"grpc_server_handled_total", "grpc_type=bidi_stream,grpc_service=greeter.v1.GreeterService,grpc_method=Chat,grpc_code=Unauthenticated", 1},
		{"grpc_server_handled_total", "grpc_type=unary,grpc_service=unknown,grpc_method=/not-a-full-method,grpc_code=Code(99)", 1},
		{"grpc_server_handling_seconds", "grpc_type=unary,grpc_service=greeter.v1.GreeterService,grpc_method=SayHello", 4},
		{"grpc_server_handling_seconds", "grpc_type=server_stream,grpc_service=greeter.v1.GreeterService,grpc_method=Watch", 1},
		{"grpc_client_handled_total", "grpc_type=unary,grpc_service=billing.v1.BillingService,grpc_method=Charge,grpc_code=Unavailable", 2},
		{"grpc_client_handling_seconds", "grpc_type=unary,grpc_service=billing.v1.BillingService,grpc_method=Charge", 2},
		{"http_server_requests_total", "method=GET,route=/items/{id},code=200", 2},
		{"http_server_requests_total", "method=HEAD,route=/items/{id},code=200", 1},
		{"http_server_requests_total", "method=POST,route=/items/,code=201", 1},
		{"http_server_requests_total", "method=GET,route=unmatched,code=404", 1},
		{"http_server_requests_total", "method=DELETE,route=unmatched,code=405", 1},
		{"http_server_requests_total", "method=_OTHER,route=/fail,code=500", 1},
		{"http_server_requests_total", "method=GET,route=/fail,code=500", 1},
		{"http_server_request_duration_seconds", "method=GET,route=/items/{id}", 2},
		{"http_server_request_duration_seconds", "method=POST,route=/items/", 1},
		{"http_server_request_duration_seconds", "method=GET,route=unmatched", 1},
		{"mikros_build_info", "name=greeter,version=v1.2.3,product=demo", 1},
		{"mikros_ready", "", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name+"{"+tt.labels+"}", func(t *testing.T) {
			got, ok := sample(mfs, tt.name, tt.labels)
			if !ok {
				t.Fatalf("no series %s{%s}", tt.name, tt.labels)
			}
			if got != tt.want {
				t.Errorf("%s{%s} = %v, want %v", tt.name, tt.labels, got, tt.want)
			}
		})
	}

	// Each family has exactly the series the calls make: no raw path, no
	// made-up method, no HTTP call the service sent.
	series := map[string]int{
		"grpc_server_handled_total":            6,
		"grpc_server_handling_seconds":         5, // SayHello, Watch, Upload, Chat, /not-a-full-method
		"grpc_client_handled_total":            1,
		"grpc_client_handling_seconds":         1,
		"http_server_requests_total":           7,
		"http_server_request_duration_seconds": 7, // as many: one status per route and method
	}
	for name, want := range series {
		if got := len(mfs[name].GetMetric()); got != want {
			t.Errorf("%s has %d series, want %d:\n%v", name, got, want, mfs[name].GetMetric())
		}
	}

	// Durations land in their buckets (default buckets).
	hello := "grpc_type=unary,grpc_service=greeter.v1.GreeterService,grpc_method=SayHello"
	buckets := []struct {
		le   float64
		want uint64
	}{{0.001, 0}, {0.0025, 3}, {0.01, 3}, {0.025, 4}, {math.Inf(1), 4}}
	for _, b := range buckets {
		if got := bucket(mfs, "grpc_server_handling_seconds", hello, b.le); got != b.want {
			t.Errorf("SayHello bucket le=%v: %d, want %d", b.le, got, b.want)
		}
	}
	if got := bucket(mfs, "grpc_client_handling_seconds", "grpc_type=unary,grpc_service=billing.v1.BillingService,grpc_method=Charge", 2.5); got != 0 {
		t.Errorf("Charge bucket le=2.5: %d, want 0", got)
	}

	// The startup took some time, and less than this test so far.
	startup, ok := sample(mfs, "mikros_startup_duration_seconds", "")
	if !ok || startup <= 0 || startup > 60 {
		t.Errorf("mikros_startup_duration_seconds = %v (found %v), want > 0", startup, ok)
	}
	for _, prefix := range []string{"go_", "process_"} {
		if !hasPrefix(mfs, prefix) {
			t.Errorf("no %s* metrics; the collectors are on by default", prefix)
		}
	}

	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
}

func hasPrefix(mfs map[string]*dto.MetricFamily, prefix string) bool {
	for name := range mfs {
		if strings.HasPrefix(name, prefix) {
			return true
		}
	}
	return false
}

// TestSettings runs the service with settings and checks what they change
// in the scrape.
func TestSettings(t *testing.T) {
	tests := []struct {
		name     string
		settings string
		go_      bool
		process  bool
		bounds   []float64
	}{
		{"defaults", "", true, true, metrics.DefaultBuckets},
		{"no runtime", "go_collector = false\nprocess_collector = false", false, false, metrics.DefaultBuckets},
		{"go only", "process_collector = false", true, false, metrics.DefaultBuckets},
		{"buckets", "buckets = [0.05, 1, 30]", true, true, []float64{0.05, 1, 30}},
		{"integer buckets", "buckets = [1, 2, 5]", true, true, []float64{1, 2, 5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := newFeeder()
			s := start(t, nil, k, tt.settings)
			k.call(core.Call{Protocol: "grpc", Method: sayHello}, 0, time.Millisecond)
			mfs := parse(t, scrape(t, s))
			if got := hasPrefix(mfs, "go_"); got != tt.go_ {
				t.Errorf("go_* metrics: %v, want %v", got, tt.go_)
			}
			if got := hasPrefix(mfs, "process_"); got != tt.process {
				t.Errorf("process_* metrics: %v, want %v", got, tt.process)
			}
			var bounds []float64
			for _, b := range mfs["grpc_server_handling_seconds"].GetMetric()[0].GetHistogram().GetBucket() {
				bounds = append(bounds, b.GetUpperBound())
			}
			if want := append(slices.Clone(tt.bounds), math.Inf(1)); !slices.Equal(bounds, want) {
				t.Errorf("buckets %v, want %v", bounds, want)
			}
			if err := s.Stop(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestLint checks every metric the feature serves against promtool's
// linter.
func TestLint(t *testing.T) {
	k := newFeeder()
	s := start(t, nil, k, "")
	k.call(core.Call{Protocol: "grpc", Method: sayHello}, 0, time.Millisecond)
	k.call(core.Call{Protocol: "grpc", Method: charge, Client: true}, 0, time.Millisecond)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /items/{id}", func(http.ResponseWriter, *http.Request) {})
	k.serve(mux, http.MethodGet, "/items/1", time.Millisecond)
	text := scrape(t, s)
	problems, err := promlint.New(bytes.NewReader(text)).Lint()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("promlint: %s: %s", p.Metric, p.Text)
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
}

// reporter is a service with metrics of its own, in the registry the
// feature provides.
type reporter struct {
	Metrics  prometheus.Registerer `mikros:"feature"`
	Gatherer prometheus.Gatherer   `mikros:"feature"`
	greeted  prometheus.Counter
}

func (r *reporter) OnStart(context.Context) error {
	r.greeted = prometheus.NewCounter(prometheus.CounterOpts{Name: "greeter_greetings_total", Help: "Greetings sent."})
	return r.Metrics.Register(r.greeted)
}

// TestReady follows mikros_ready through the lifecycle: 1 while running,
// 0 while draining (scraped while the kind stops) and once stopped (read
// from the registry the service was given). The service's own counter is
// served with the feature's metrics.
func TestReady(t *testing.T) {
	svc := &reporter{}
	k := newFeeder()
	k.hold = make(chan struct{})
	s := start(t, svc, k, "")
	svc.greeted.Add(7)

	mfs := parse(t, scrape(t, s))
	if v, _ := sample(mfs, "mikros_ready", ""); v != 1 {
		t.Errorf("mikros_ready = %v while running, want 1", v)
	}
	if v, _ := sample(mfs, "greeter_greetings_total", ""); v != 7 {
		t.Errorf("greeter_greetings_total = %v, want 7 (the service's own counter)", v)
	}

	stopped := make(chan error, 1)
	go func() { stopped <- s.Stop() }()
	select {
	case <-k.stopping:
	case <-time.After(10 * time.Second):
		close(k.hold)
		t.Fatal("the kind was not stopped")
	}
	if st := s.Health().State(); st != core.Draining {
		t.Errorf("state %s while the kind stops, want draining", st)
	}
	mfs = parse(t, scrape(t, s))
	if v, ok := sample(mfs, "mikros_ready", ""); !ok || v != 0 {
		t.Errorf("mikros_ready = %v (found %v) while draining, want 0", v, ok)
	}
	close(k.hold)
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}

	families, err := svc.Gatherer.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range families {
		if mf.GetName() == "mikros_ready" {
			if v := mf.GetMetric()[0].GetGauge().GetValue(); v != 0 {
				t.Errorf("mikros_ready = %v once stopped, want 0", v)
			}
			return
		}
	}
	t.Error("no mikros_ready in the registry the service was given")
}

// TestWithRegistry serves a registry of the caller's, which already holds
// runtime collectors.
func TestWithRegistry(t *testing.T) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(prometheus.NewGoCollector()) //nolint:staticcheck // the deprecated alias, as libraries still register it
	k := newFeeder()
	s := start(t, nil, k, "", core.WithFeatures(metrics.New(metrics.WithRegistry(reg))))
	k.call(core.Call{Protocol: "grpc", Method: sayHello}, 0, time.Millisecond)
	mfs := parse(t, scrape(t, s))
	if v, _ := sample(mfs, "grpc_server_handled_total", "grpc_type=unary,grpc_service=greeter.v1.GreeterService,grpc_method=SayHello,grpc_code=OK"); v != 1 {
		t.Errorf("grpc_server_handled_total = %v, want 1", v)
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(families, func(mf *dto.MetricFamily) bool { return mf.GetName() == "mikros_build_info" }) {
		t.Error("the feature's metrics are not in the registry given")
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}

	// The registry has served its run: a second one fails to start,
	// naming the metric.
	_, err = servicetest.Run(t, nil, fmt.Sprintf(serviceTOML, ""), core.WithKinds(newFeeder()), core.WithFeatures(metrics.New(metrics.WithRegistry(reg))))
	if err == nil || !strings.Contains(err.Error(), "feature metrics start: registering grpc_server_handled_total") {
		t.Errorf("second run on one registry: %v, want a start error naming the metric", err)
	}
}

// TestCheck checks [features.metrics] as a boot would, without starting
// anything: every problem at its key.
func TestCheck(t *testing.T) {
	const head = "name = \"greeter\"\ntypes = [\"feeder\"]\nversion = \"v1.0.0\"\nproduct = \"demo\"\n"
	const admin = "[admin]\nport = 9090\n"
	tests := []struct {
		name string
		text string
		env  map[string]string
		want []string
	}{
		{"valid", admin + "[features.metrics]\nenabled = true\nbuckets = [0.1, 1]\ngo_collector = false\n", nil, nil},
		{"disabled needs no admin", "[features.metrics]\nenabled = false\n", nil, nil},
		{"admin from the environment", "[features.metrics]\nenabled = true\n", map[string]string{"MIKROS_ADMIN_PORT": "9090"}, nil},
		{"no admin", "[features.metrics]\nenabled = true\n", nil, []string{
			"service.toml:5:11: features.metrics: metrics are served at /metrics on the admin listener, and the definition has none: add [admin] with a port (such as port = 9090), or set MIKROS_ADMIN_PORT",
		}},
		{"bad buckets", admin + "[features.metrics]\nenabled = true\nbuckets = [0.5, 0.1, -1, nan, inf]\n", nil, []string{
			"service.toml:9:1: features.metrics.buckets.1: bound 2 (0.1) is not greater than the one before it (0.5); bounds must be strictly increasing",
			"service.toml:9:1: features.metrics.buckets.2: bound 3 is -1; bounds are positive numbers of seconds",
			"service.toml:9:1: features.metrics.buckets.3: bound 4 is NaN; bounds are finite numbers of seconds (the +Inf bucket is always there)",
			"service.toml:9:1: features.metrics.buckets.4: bound 5 is +Inf; bounds are finite numbers of seconds (the +Inf bucket is always there)",
		}},
		{"no buckets", admin + "[features.metrics]\nenabled = true\nbuckets = []\n", nil, []string{
			"service.toml:9:1: features.metrics.buckets: needs at least one bucket bound (seconds, such as [0.01, 0.1, 1])",
		}},
		{"too many buckets", admin + "[features.metrics]\nenabled = true\nbuckets = [" + manyBuckets(65) + "]\n", nil, []string{
			"service.toml:9:1: features.metrics.buckets: has 65 bounds; at most 64 are allowed, as each is a series of every latency histogram",
		}},
		{"wrong types, all at once, no admin", "[features.metrics]\nenabled = true\nbuckets = \"fast\"\ngo_collector = \"yes\"\nprocess_collectr = false\n", nil, []string{
			"service.toml:5:11: features.metrics: metrics are served at /metrics on the admin listener, and the definition has none: add [admin] with a port (such as port = 9090), or set MIKROS_ADMIN_PORT",
			"service.toml:7:1: features.metrics.buckets: must be",
			"service.toml:8:1: features.metrics.go_collector: must be",
			"service.toml:9:1: features.metrics: unknown key \"process_collectr\"",
		}},
		{"a bucket of the wrong type, and one out of order", admin + "[features.metrics]\nenabled = true\nbuckets = [0.5, \"1s\", 0.1]\n", nil, []string{
			"service.toml:9:1: features.metrics.buckets.1: must be a number, not a string (\"1s\")",
			"service.toml:9:1: features.metrics.buckets.2: bound 3 (0.1) is not greater than the one before it (0.5); bounds must be strictly increasing",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := core.Check(nil,
				core.WithDefinition("service.toml", []byte(head+tt.text)),
				core.WithKinds(newFeeder()),
				core.WithFeatures(metrics.New()),
				servicetest.Env(tt.env),
			)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Check: %v", err)
				}
				return
			}
			if core.ExitCode(err) != core.ExitInvalid {
				t.Fatalf("Check: %v, want problems", err)
			}
			lines := strings.Split(err.Error(), "\n")
			if len(lines) != len(tt.want) {
				t.Fatalf("%d problems, want %d:\n%s", len(lines), len(tt.want), err)
			}
			for i, w := range tt.want {
				if !strings.HasPrefix(lines[i], w) {
					t.Errorf("problem %d:\n got %s\nwant %s…", i+1, lines[i], w)
				}
			}
		})
	}
}

func manyBuckets(n int) string {
	bs := make([]string, n)
	for i := range bs {
		bs[i] = fmt.Sprint(i + 1)
	}
	return strings.Join(bs, ", ")
}
