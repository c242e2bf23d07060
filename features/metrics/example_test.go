package metrics_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mikros-go/mikros/core"
	"github.com/mikros-go/mikros/features/metrics"
)

// once stands in for a kind such as kinds/script: it runs its function
// once and returns, which stops the service.
type once struct {
	run func(ctx context.Context) error
}

func (once) Name() string                    { return "once" }
func (k once) Run(ctx context.Context) error { return k.run(ctx) }

// exampleTOML turns the feature on. The metrics are served on the admin
// listener, so the definition must have one.
const exampleTOML = `
name    = "orders"
types   = ["once"]
version = "v1.4.2"
product = "shop"

[admin]
port = 9090

[features.metrics]
enabled = true
`

// printMetrics scrapes url and prints the lines of the metrics named.
func printMetrics(ctx context.Context, url string, names ...string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	lines := bufio.NewScanner(resp.Body)
	for lines.Scan() {
		for _, name := range names {
			if strings.HasPrefix(lines.Text(), name+" ") || strings.HasPrefix(lines.Text(), name+"{") {
				fmt.Println(lines.Text())
			}
		}
	}
	return lines.Err()
}

// runExample runs svc with the metrics feature until k returns. The admin
// listener is given on a loopback port, where the example scrapes it;
// a deployed service listens on [admin] port.
func runExample(svc any, k func(ctx context.Context, metricsURL string) error) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	url := "http://" + ln.Addr().String() + metrics.Path
	return core.Run(context.Background(), svc,
		core.WithDefinition("service.toml", []byte(exampleTOML)),
		core.WithKinds(once{func(ctx context.Context) error { return k(ctx, url) }}),
		core.WithFeatures(metrics.New()),
		core.WithAdminListener(ln),
		// Keep the example's output and this machine's MIKROS_* variables
		// out of it.
		core.WithLogOutput(io.Discard),
		core.WithLookupEnv(func(string) (string, bool) { return "", false }),
	)
}

// The feature serves the service's metrics at /metrics on the admin
// listener: here, what it says of the service itself.
func Example() {
	err := runExample(nil, func(ctx context.Context, url string) error {
		return printMetrics(ctx, url, "mikros_build_info", "mikros_ready")
	})
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// mikros_build_info{name="orders",product="shop",version="v1.4.2"} 1
	// mikros_ready 1
}

// orders is a service with a metric of its own. The feature fills its
// Metrics field with the registry it serves.
type orders struct {
	Metrics prometheus.Registerer `mikros:"feature"`
	placed  *prometheus.CounterVec
}

// OnStart registers the service's metrics, before the service is ready.
func (o *orders) OnStart(context.Context) error {
	o.placed = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "orders_placed_total",
		Help: "Orders placed, by payment method.",
	}, []string{"payment"})
	return o.Metrics.Register(o.placed)
}

// A service registers its own metrics in the registry the feature
// provides; they are served with the others.
func ExampleFeature_Provide() {
	svc := &orders{}
	err := runExample(svc, func(ctx context.Context, url string) error {
		svc.placed.WithLabelValues("card").Add(3)
		svc.placed.WithLabelValues("invoice").Inc()
		return printMetrics(ctx, url, "orders_placed_total")
	})
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// orders_placed_total{payment="card"} 3
	// orders_placed_total{payment="invoice"} 1
}
