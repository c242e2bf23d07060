package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
)

// moduleResult records the steps that failed in one module.
type moduleResult struct {
	dir    string
	failed []string
}

// stepOptions adjust how runSteps runs.
type stepOptions struct {
	// echo prints each command before it runs.
	echo bool

	// skipEmpty skips modules without Go packages, which go vet and go
	// test reject.
	skipEmpty bool
}

// runSteps runs every command of steps in every module of mods, in order,
// streaming the output to stdout and stderr under a header line per module.
// A failing step does not stop the others. runSteps returns one result per
// module.
func runSteps(ctx context.Context, root string, mods []*Module, steps [][]string, opts stepOptions,
	stdout, stderr io.Writer, run runFunc) []moduleResult {
	results := make([]moduleResult, 0, len(mods))
	for _, m := range mods {
		fmt.Fprintf(stdout, "==> %s\n", m.Dir)
		res := moduleResult{dir: m.Dir}
		dir := filepath.Join(root, filepath.FromSlash(m.Dir))
		if opts.skipEmpty && !hasPackages(ctx, dir, run) {
			fmt.Fprintln(stdout, "no Go packages; nothing to do")
			results = append(results, res)
			continue
		}
		for _, step := range steps {
			if ctx.Err() != nil {
				res.failed = append(res.failed, "interrupted")
				break
			}
			if opts.echo {
				fmt.Fprintf(stdout, "$ %s\n", commandLine(step))
			}
			if err := run(ctx, dir, stdout, stderr, step); err != nil {
				fmt.Fprintf(stderr, "mono: %s: %s: %v\n", m.Dir, commandLine(step), err)
				res.failed = append(res.failed, strings.Join(step[:min(2, len(step))], " "))
			}
		}
		results = append(results, res)
	}
	return results
}

// hasPackages reports whether "go list ./..." in dir lists any package. It
// reports true if go list fails, so that the failure shows in the steps
// that follow.
func hasPackages(ctx context.Context, dir string, run runFunc) bool {
	var out bytes.Buffer
	if err := run(ctx, dir, &out, io.Discard, []string{"go", "list", "./..."}); err != nil {
		return true
	}
	return strings.TrimSpace(out.String()) != ""
}

// failedDirs returns the directories of the modules in results that had a
// failing step.
func failedDirs(results []moduleResult) []string {
	var dirs []string
	for _, r := range results {
		if len(r.failed) > 0 {
			dirs = append(dirs, r.dir)
		}
	}
	return dirs
}

// cmdEach implements "mono each": it runs args in every module of mods.
func cmdEach(ctx context.Context, root string, mods []*Module, args []string,
	stdout, stderr io.Writer, run runFunc) int {
	results := runSteps(ctx, root, mods, [][]string{args}, stepOptions{}, stdout, stderr, run)
	if failed := failedDirs(results); len(failed) > 0 {
		fmt.Fprintf(stderr, "mono each: %s failed in %d of %d modules: %s\n",
			commandLine(args), len(failed), len(mods), strings.Join(failed, ", "))
		return exitFailure
	}
	return exitOK
}

// testSteps returns the commands that "mono test" runs in each module, with
// extra appended to the go test command line.
func testSteps(extra []string) [][]string {
	test := append([]string{"go", "test", "-race", "-count=1", "./..."}, extra...)
	return [][]string{{"go", "vet", "./..."}, test}
}

// cmdTest implements "mono test": it vets and tests every module of mods and
// prints a summary.
func cmdTest(ctx context.Context, root string, mods []*Module, extra []string,
	stdout, stderr io.Writer, run runFunc) int {
	results := runSteps(ctx, root, mods, testSteps(extra), stepOptions{echo: true, skipEmpty: true}, stdout, stderr, run)
	fmt.Fprintln(stdout, "==> summary")
	for _, r := range results {
		if len(r.failed) == 0 {
			fmt.Fprintf(stdout, "ok    %s\n", r.dir)
		} else {
			fmt.Fprintf(stdout, "FAIL  %s (%s)\n", r.dir, strings.Join(r.failed, ", "))
		}
	}
	if failed := failedDirs(results); len(failed) > 0 {
		fmt.Fprintf(stderr, "mono test: %d of %d modules failed: %s\n",
			len(failed), len(mods), strings.Join(failed, ", "))
		return exitFailure
	}
	return exitOK
}
