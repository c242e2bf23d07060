package bench

import (
	"fmt"
	"io"
	"net"
	"testing"

	"github.com/mikros-go/mikros/core"
	"github.com/mikros-go/mikros/core/servicetest"
	"github.com/mikros-go/mikros/features/logger"
)

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

// startMikros runs svc through core with kind and the logger feature, its
// log lines thrown away, until it is ready. It is stopped when the
// benchmark ends.
func startMikros(b testing.TB, svc any, types string, kind core.Kind) {
	b.Helper()
	s := servicetest.Start(b, svc, fmt.Sprintf(definition, types),
		core.WithKinds(kind),
		core.WithFeatures(logger.New()),
		core.WithLogOutput(io.Discard))
	if err := s.Err(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		if err := s.Stop(); err != nil {
			b.Error(err)
		}
	})
}
