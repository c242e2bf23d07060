package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// usage is printed to stdout for -h, --help and help, and to stderr for
// unknown commands and malformed arguments.
const usage = `usage: go run ./tools/cmd/mono <command> [arguments]

Commands:
  list                          list the workspace modules and their versions
  each [DIR...] -- CMD [ARG...] run CMD in every module directory
  test [DIR...] [-- FLAG...]    go vet and go test -race every module;
                                FLAGs are passed to go test
  check                         check the repository layout and that every
                                module is tidy; print every problem
  standalone [DIR...]           build, vet and test every module on its own,
                                with the workspace off
  tidy [-check] [DIR...]        run go mod tidy on every module on its own and
                                write back go.mod and go.sum; with -check,
                                change nothing and fail if any is not tidy

DIR limits a command to the named module directories, such as core or
features/logger. Run "go doc ./tools/cmd/mono" for the rules check enforces.
`

// Exit statuses.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// main runs mono with the command line and stops the command it runs on
// an interrupt.
func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// invocation is a parsed command line.
type invocation struct {
	command string
	dirs    []string // module directories before "--"
	rest    []string // arguments after "--"
	dashes  bool     // whether "--" was given
	check   bool     // tidy: -check was given
}

// parseArgs splits a command line and checks it against the arguments that
// its command accepts.
func parseArgs(args []string) (invocation, error) {
	if len(args) == 0 {
		return invocation{}, fmt.Errorf("no command given")
	}
	inv := invocation{command: args[0]}
	before := args[1:]
	if i := slices.Index(before, "--"); i >= 0 {
		inv.rest, inv.dashes = before[i+1:], true
		before = before[:i]
	}
	for _, a := range before {
		if inv.command == "tidy" && (a == "-check" || a == "--check") {
			inv.check = true
			continue
		}
		if strings.HasPrefix(a, "-") {
			return inv, fmt.Errorf("%s: unknown flag %s", inv.command, a)
		}
		inv.dirs = append(inv.dirs, path.Clean(filepath.ToSlash(a)))
	}
	switch inv.command {
	case "list", "check":
		if len(inv.dirs) > 0 || inv.dashes {
			return inv, fmt.Errorf("%s takes no arguments", inv.command)
		}
	case "standalone", "tidy":
		if inv.dashes {
			return inv, fmt.Errorf("%s takes no arguments after --", inv.command)
		}
	case "each":
		if len(inv.rest) == 0 {
			return inv, fmt.Errorf("each needs a command after --")
		}
	case "test":
	default:
		return inv, fmt.Errorf("unknown command %q", inv.command)
	}
	return inv, nil
}

// run executes the command line args and returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && slices.Contains([]string{"-h", "-help", "--help", "help"}, args[0]) {
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	inv, err := parseArgs(args)
	if err != nil {
		fmt.Fprintf(stderr, "mono: %v\n\n%s", err, usage)
		return exitUsage
	}

	wd, err := os.Getwd()
	if err != nil {
		fmt.Fprintf(stderr, "mono: %v\n", err)
		return exitFailure
	}
	root, err := findRoot(wd)
	if err != nil {
		fmt.Fprintf(stderr, "mono: %v\n", err)
		return exitFailure
	}
	repo, err := loadRepo(root)
	if err != nil {
		fmt.Fprintf(stderr, "mono: %v\n", err)
		return exitFailure
	}

	if inv.command == "check" {
		return cmdCheck(ctx, repo, stdout, stderr)
	}

	for _, w := range repo.Warnings() {
		fmt.Fprintf(stderr, "mono: warning: %s (see mono check)\n", w)
	}
	if repo.Work == nil {
		return exitFailure
	}
	mods, err := selectModules(repo, inv.dirs)
	if err != nil {
		fmt.Fprintf(stderr, "mono: %v\n", err)
		return exitUsage
	}
	switch inv.command {
	case "list":
		return cmdList(repo, mods, stdout)
	case "each":
		return cmdEach(ctx, root, mods, inv.rest, stdout, stderr, runCommand)
	case "test":
		return cmdTest(ctx, root, mods, inv.rest, stdout, stderr, runCommand)
	case "tidy":
		return cmdTidy(ctx, repo, mods, inv.check, stdout, stderr)
	default: // standalone
		return cmdStandalone(ctx, repo, mods, stdout, stderr)
	}
}

// selectModules returns the workspace modules in directories dirs, or all of
// them if dirs is empty.
func selectModules(r *Repo, dirs []string) ([]*Module, error) {
	all := r.WorkModules()
	if len(dirs) == 0 {
		return all, nil
	}
	var mods []*Module
	for _, dir := range dirs {
		i := slices.IndexFunc(all, func(m *Module) bool { return m.Dir == dir })
		if i < 0 {
			return nil, fmt.Errorf("%s is not a module of the workspace", dir)
		}
		if !slices.Contains(mods, all[i]) {
			mods = append(mods, all[i])
		}
	}
	return mods, nil
}

// cmdList implements "mono list".
func cmdList(r *Repo, mods []*Module, stdout io.Writer) int {
	rows := make([][3]string, 0, len(mods))
	widths := [2]int{}
	for _, m := range mods {
		p := m.Path()
		if p == "" {
			p = "(no valid go.mod)"
		}
		v, ok := r.Manifest[m.Dir]
		if !ok {
			v = "(unreleased)"
		}
		rows = append(rows, [3]string{m.Dir, p, v})
		widths[0] = max(widths[0], len(m.Dir))
		widths[1] = max(widths[1], len(p))
	}
	for _, row := range rows {
		fmt.Fprintf(stdout, "%-*s  %-*s  %s\n", widths[0], row[0], widths[1], row[1], row[2])
	}
	return exitOK
}

// cmdCheck implements "mono check".
func cmdCheck(ctx context.Context, r *Repo, stdout, stderr io.Writer) int {
	problems := runCheck(ctx, r, goList, tidyModule)
	for _, p := range problems {
		fmt.Fprintln(stdout, p)
	}
	if len(problems) > 0 {
		noun := "problems"
		if len(problems) == 1 {
			noun = "problem"
		}
		fmt.Fprintf(stderr, "mono check: %d %s\n", len(problems), noun)
		return exitFailure
	}
	return exitOK
}
