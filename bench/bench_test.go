package bench

import (
	"context"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/mikros-go/mikros/bench/observed"
	"github.com/mikros-go/mikros/core"
	"github.com/mikros-go/mikros/core/servicetest"
	"github.com/mikros-go/mikros/features/logger"
	"github.com/mikros-go/mikros/features/tracing"
)

// TestMain checks that the servers, services and clients the tests start
// are all gone when they end.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// definition is the service.toml of the services the benchmarks run: the
// logger feature on, writing errors only, so that a successful call logs
// nothing, as in production at that level. %s is the types.
const definition = `
name     = "greeter"
types    = [%s]
version  = "v0.1.0"
product  = "bench"
language = "go"

[log]
level = "error"

[features.logger]
enabled = true
`

// parallelism is the number of goroutines per GOMAXPROCS that the
// parallel variants run: enough calls in flight to keep the server busy.
const parallelism = 8

// listen returns a listener on a free loopback port.
func listen(b testing.TB) net.Listener {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	return ln
}

// observers says which of the features that observe calls (package
// observed) a service runs besides the logger.
type observers struct {
	tracing, metrics bool
}

var (
	// unobserved: the logger feature alone.
	unobserved = observers{}
	// allObservers: tracing and metrics, as a service observed in
	// production runs them.
	allObservers = observers{tracing: true, metrics: true}
)

// mikros is a service a benchmark runs.
type mikros struct {
	*servicetest.Service
	// tracing, when the service traces its calls, is the feature, and
	// spans the exporter its spans go to.
	tracing *tracing.Feature
	spans   *observed.Discard
}

// exported returns how many spans the service's tracing exported so far,
// after exporting those that ended.
func (m mikros) exported(tb testing.TB) int64 {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := m.tracing.Flush(ctx); err != nil {
		tb.Fatal(err)
	}
	return m.spans.Spans()
}

// startMikros runs svc through core with kind, the logger feature (its
// lines thrown away) and the observers obs asks for (metrics on the
// loopback admin listener servicetest gives the service), until it is
// ready. It is stopped when the benchmark ends.
func startMikros(b testing.TB, svc any, types string, kind core.Kind, obs observers) mikros {
	b.Helper()
	def := fmt.Sprintf(definition, types)
	features := []core.Feature{logger.New()}
	var m mikros
	if obs.tracing {
		m.tracing, m.spans = observed.Tracing()
		def += observed.TracingTable
		features = append(features, m.tracing)
	}
	if obs.metrics {
		def += observed.MetricsTable
		features = append(features, observed.Metrics())
	}
	m.Service = servicetest.Start(b, svc, def,
		core.WithKinds(kind),
		core.WithFeatures(features...),
		core.WithLogOutput(io.Discard))
	if err := m.Err(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		if err := m.Stop(); err != nil {
			b.Error(err)
		}
	})
	return m
}
