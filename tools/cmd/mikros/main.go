// Command mikros is the Mikros command-line tool.
//
//	mikros check [FILE]
//
// check validates a service definition offline, against every kind and
// feature built into Mikros, exactly as a service does at boot: the same
// messages, one problem per line, and the same exit status (0 valid, 2
// invalid). FILE defaults to $MIKROS_CONFIG, then ./service.toml. The
// environment is the real one: variables the definition requires must be
// set, as they must be for the service.
//
// Install it with:
//
//	go install github.com/mikros-go/mikros/tools/cmd/mikros@latest
package main

import (
	"fmt"
	"io"
	"os"

	"github.com/mikros-go/mikros/core"
	"github.com/mikros-go/mikros/features/env"
	"github.com/mikros-go/mikros/features/logger"
	"github.com/mikros-go/mikros/features/metrics"
	"github.com/mikros-go/mikros/features/tracing"
	mgrpc "github.com/mikros-go/mikros/kinds/grpc"
	"github.com/mikros-go/mikros/kinds/grpc/grpctls"
	mhttp "github.com/mikros-go/mikros/kinds/http"
	"github.com/mikros-go/mikros/kinds/native"
	"github.com/mikros-go/mikros/kinds/script"
)

const usage = `usage: mikros check [FILE]

check validates a service.toml as a service would at boot, against every
built-in kind and feature, without starting anything. FILE defaults to
$MIKROS_CONFIG, then ./service.toml. Exit status: 0 valid, 2 invalid.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// builtins are the modules compiled into the tool: every kind and feature
// of this repository.
func builtins() []core.Option {
	return []core.Option{
		core.WithKinds(mgrpc.New(mgrpc.WithTLS(grpctls.New())), mhttp.New(), native.New(), script.New()),
		core.WithFeatures(env.New(), logger.New(), metrics.New(), tracing.New()),
	}
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stderr, usage)
		return core.ExitInvalid
	}
	if args[0] != "check" || len(args) > 2 {
		fmt.Fprintf(stderr, "mikros: unknown command %q\n\n%s", args[0], usage)
		return core.ExitInvalid
	}
	opts := builtins()
	if len(args) == 2 {
		text, err := os.ReadFile(args[1])
		if err != nil {
			fmt.Fprintf(stderr, "%s: cannot read: %v\n", args[1], err)
			return core.ExitInvalid
		}
		opts = append(opts, core.WithDefinition(args[1], text))
	}
	return core.RunCheck(nil, stdout, stderr, opts...)
}
