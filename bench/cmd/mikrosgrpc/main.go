// Command mikrosgrpc serves the same greeting as bench/cmd/baregrpc, run by
// Mikros: core with the grpc kind and the logger feature, and nothing else.
// It is examples/greeter without the HTTP kind and without what the
// example's service.toml adds (reflection, the admin listener), so that
// bench/load.sh can tell what the framework costs apart from what the
// example does.
//
//	MIKROS_CONFIG=service.toml mikrosgrpc
//
// It reads its definition as every Mikros service does (MIKROS_CONFIG, or
// ./service.toml), with types = ["grpc"]; bench/load.sh writes one.
package main

import (
	"github.com/mikros-go/mikros/bench"
	"github.com/mikros-go/mikros/core"
	"github.com/mikros-go/mikros/features/logger"
	mgrpc "github.com/mikros-go/mikros/kinds/grpc"
)

func main() {
	core.Main(&bench.Greeter{}, core.WithKinds(mgrpc.New()), core.WithFeatures(logger.New()))
}
