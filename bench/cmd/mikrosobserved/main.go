// Command mikrosobserved serves the same greeting as bench/cmd/baregrpc
// and bench/cmd/barehttp, run by Mikros with the features that observe
// calls: core with the grpc and http kinds, and the logger, tracing and
// metrics features. Tracing hands its spans to an exporter that drops
// them in the process (bench/observed), so that bench/load.sh measures
// what observing costs the server without a collector's cost.
//
//	MIKROS_CONFIG=service.toml MIKROS_ADMIN_PORT=9090 mikrosobserved
//
// It reads its definition as every Mikros service does (MIKROS_CONFIG, or
// ./service.toml), which says which features run; bench/load.sh writes
// one with types = ["grpc", "http"] and tracing (every trace recorded) and
// metrics enabled.
package main

import (
	"github.com/mikros-go/mikros/bench"
	"github.com/mikros-go/mikros/bench/observed"
	"github.com/mikros-go/mikros/core"
	"github.com/mikros-go/mikros/features/logger"
	mgrpc "github.com/mikros-go/mikros/kinds/grpc"
	mhttp "github.com/mikros-go/mikros/kinds/http"
)

func main() {
	tracing, _ := observed.Tracing()
	core.Main(&bench.Greeter{},
		core.WithKinds(mgrpc.New(), mhttp.New()),
		core.WithFeatures(logger.New(), tracing, observed.Metrics()))
}
