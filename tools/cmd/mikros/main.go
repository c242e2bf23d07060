// Command mikros is the Mikros command-line tool.
//
//	mikros check [FILE]
//	mikros help [COMMAND]
//
// check validates a service definition offline, against every kind and
// feature built into Mikros, exactly as a service does at boot: the same
// messages, one problem per line, and the same exit status (0 valid, 2
// invalid). FILE defaults to $MIKROS_CONFIG, then ./service.toml. The
// environment is the real one: variables the definition requires must be
// set, as they must be for the service.
//
// help, -h and --help print the usage, and help check (or check -h) the
// usage of check, to stdout with exit status 0. A command line that is not
// understood prints the usage to stderr and exits 2.
//
// Install it with:
//
//	go install github.com/mikros-go/mikros/tools/cmd/mikros@latest
package main

import (
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/mikros-go/mikros/core"
	"github.com/mikros-go/mikros/core/definition"
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

// usage is printed by mikros help, and to stderr with a command line that
// is not understood.
const usage = `usage: mikros <command> [arguments]

Commands:
  check [FILE]     validate a service definition as a service does at boot,
                   without starting anything
  help [COMMAND]   print this help, or the help of COMMAND

Run "mikros help check" for more about check.
`

// checkUsage is printed by mikros help check and mikros check -h, and to
// stderr with arguments check does not take.
const checkUsage = `usage: mikros check [FILE]

check validates a service.toml as a service would at boot, against every
built-in kind and feature, without starting anything. FILE defaults to
$MIKROS_CONFIG, then ./service.toml. Exit status: 0 valid, 2 invalid.
`

// Exit statuses of mikros itself; check exits as a service's check mode does.
const (
	exitOK    = 0
	exitUsage = core.ExitInvalid // 2, as for an invalid definition
)

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

// isHelp reports whether arg asks for help.
func isHelp(arg string) bool {
	return arg == "-h" || arg == "-help" || arg == "--help"
}

// run executes the command line args and returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintf(stderr, "mikros: no command given\n\n%s", usage)
		return exitUsage
	}
	switch cmd := args[0]; {
	case cmd == "help" || isHelp(cmd):
		return help(args[1:], stdout, stderr)
	case cmd == "check":
		return check(args[1:], stdout, stderr)
	default:
		fmt.Fprintf(stderr, "mikros: unknown command %q\n\n%s", cmd, usage)
		return exitUsage
	}
}

// help prints the usage, or that of the command named in args, to stdout.
func help(args []string, stdout, stderr io.Writer) int {
	switch {
	case len(args) == 0:
		fmt.Fprint(stdout, usage)
	case len(args) == 1 && args[0] == "check":
		fmt.Fprint(stdout, checkUsage)
	case len(args) == 1 && args[0] == "help":
		fmt.Fprint(stdout, usage)
	case len(args) == 1:
		fmt.Fprintf(stderr, "mikros help: unknown command %q\n\n%s", args[0], usage)
		return exitUsage
	default:
		fmt.Fprintf(stderr, "mikros help: one command at most\n\n%s", usage)
		return exitUsage
	}
	return exitOK
}

// check runs mikros check with its arguments: at most one file.
func check(args []string, stdout, stderr io.Writer) int {
	if slices.ContainsFunc(args, isHelp) {
		fmt.Fprint(stdout, checkUsage)
		return exitOK
	}
	if len(args) > 1 {
		fmt.Fprintf(stderr, "mikros check: one FILE at most, not %d\n\n%s", len(args), checkUsage)
		return exitUsage
	}
	if len(args) == 1 && len(args[0]) > 1 && args[0][0] == '-' {
		fmt.Fprintf(stderr, "mikros check: unknown flag %s\n\n%s", args[0], checkUsage)
		return exitUsage
	}
	opts := builtins()
	if len(args) == 1 {
		text, err := readAtMost(args[0], definition.MaxSize+1) // a longer file is one problem: too large
		if err != nil {
			fmt.Fprintf(stderr, "%s: cannot read: %v\n", args[0], err)
			return core.ExitInvalid
		}
		opts = append(opts, core.WithDefinition(args[0], text))
	}
	return core.RunCheck(nil, stdout, stderr, opts...)
}

// readAtMost reads the file at path, but no more than n bytes of it, so
// that a huge or endless file (a device, a pipe) costs no more than the
// definition may hold.
func readAtMost(path string, n int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }() // read only: nothing is lost when closing fails
	return io.ReadAll(io.LimitReader(f, n))
}
