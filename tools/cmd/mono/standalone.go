package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/semver"
)

// standaloneSteps are the commands that must succeed in a module built on
// its own.
var standaloneSteps = [][]string{
	{"go", "build", "./..."},
	{"go", "vet", "./..."},
	{"go", "test", "-count=1", "./..."},
}

// cmdStandalone implements "mono standalone" for the modules in mods.
func cmdStandalone(ctx context.Context, r *Repo, mods []*Module, stdout, stderr io.Writer) int {
	var failed []string
	for _, m := range mods {
		if ctx.Err() != nil {
			fmt.Fprintln(stderr, "mono standalone: interrupted")
			return exitFailure
		}
		fmt.Fprintf(stdout, "==> %s\n", m.Dir)
		if err := standaloneModule(ctx, r, m, stdout, stderr); err != nil {
			fmt.Fprintf(stdout, "FAIL  %s: %v\n", m.Dir, err)
			failed = append(failed, m.Dir)
		} else {
			fmt.Fprintf(stdout, "ok    %s\n", m.Dir)
		}
	}
	if len(failed) > 0 {
		fmt.Fprintf(stderr, "mono standalone: %d of %d modules failed: %s\n",
			len(failed), len(mods), strings.Join(failed, ", "))
		return exitFailure
	}
	return exitOK
}

// standaloneModule copies module m to a temporary directory, points its
// sibling requirements at their directories in the tree and runs
// standaloneSteps there with the workspace off. It stops at the first
// failing step, then explains what m's go.mod and go.sum lack, if anything.
func standaloneModule(ctx context.Context, r *Repo, m *Module, stdout, stderr io.Writer) error {
	reps := siblingReplacements(r, m)
	c, err := copyModule(r, m, "standalone", reps)
	if err != nil {
		return err
	}
	defer c.Remove()
	for _, rep := range reps {
		fmt.Fprintf(stdout, "replace %s => %s\n", rep.Path, rep.Dir)
	}

	env := goEnv("GOWORK=off")
	if out, err := goCommand(ctx, c.Dir, env, "list", "./..."); err == nil && len(bytes.TrimSpace(out)) == 0 {
		fmt.Fprintln(stdout, "no Go packages; nothing to do")
		return nil
	}
	var log bytes.Buffer // the steps' output, to tell what a failure is about
	for _, step := range standaloneSteps {
		fmt.Fprintf(stdout, "$ %s\n", commandLine(step))
		cmd := newCommand(ctx, c.Dir, env, step)
		cmd.Stdout, cmd.Stderr = io.MultiWriter(stdout, &log), io.MultiWriter(stderr, &log)
		if err := cmd.Run(); err != nil {
			if ctx.Err() == nil {
				explainMissing(ctx, r, m, c, moduleFileError(log.String()), stdout)
			}
			return fmt.Errorf("%s: %v", commandLine(step), err)
		}
	}
	return nil
}

// moduleFileErrors are the messages by which the go command blames a
// failure on go.mod or go.sum.
var moduleFileErrors = []string{
	"missing go.sum entry",
	"no required module provides package",
	"cannot find module providing package",
	"updates to go.mod needed",
	"updates to go.sum needed",
}

// moduleFileError reports whether the go command's output blames a failure
// on go.mod or go.sum.
func moduleFileError(output string) bool {
	return slices.ContainsFunc(moduleFileErrors, func(msg string) bool {
		return strings.Contains(output, msg)
	})
}

// explainMissing runs "go mod tidy" in c, the standalone copy of m, and
// prints the requirements and checksums it adds: what m's own go.mod and
// go.sum lack to build without the workspace. blamed tells whether the go
// command blamed the failure on go.mod or go.sum.
func explainMissing(ctx context.Context, r *Repo, m *Module, c *moduleCopy, blamed bool, w io.Writer) {
	before, err := readModFiles(c.Dir)
	if err != nil {
		return
	}
	after, err := tidyCopy(ctx, r, m, c)
	if err != nil {
		fmt.Fprintf(w, "%s: go mod tidy fails as well, so what go.mod and go.sum lack is unknown: %s\n",
			m.Dir, oneLine(err.Error()))
		return
	}
	tidied, err := modfile.Parse("go.mod", after.Mod, nil)
	if err != nil {
		return
	}
	reqs := missingRequirements(m.File, tidied, siblingVersions(r, m))
	sums := missingSumLines(before.Sum, after.Sum)
	switch {
	case len(reqs) == 0 && len(sums) == 0:
		if blamed {
			fmt.Fprintf(w, "%s: go mod tidy adds nothing to go.mod or go.sum; see the errors above\n", m.Dir)
		}
		return
	case blamed:
		fmt.Fprintf(w, "%s: go.mod and go.sum are incomplete; with siblings replaced by their directories, go mod tidy adds:\n", m.Dir)
	default:
		fmt.Fprintf(w, "%s: the failure is not about go.mod or go.sum, but with siblings replaced by their directories, go mod tidy would add:\n", m.Dir)
	}
	for _, l := range reqs {
		fmt.Fprintf(w, "    %s: %s\n", path.Join(m.Dir, "go.mod"), l)
	}
	for _, l := range sums {
		fmt.Fprintf(w, "    %s: %s\n", path.Join(m.Dir, "go.sum"), l)
	}
	fmt.Fprintf(w, "%s: run \"go run ./tools/cmd/mono tidy %s\" to add them\n", m.Dir, m.Dir)
}

// missingRequirements compares go.mod before with its tidied version after
// and describes each requirement that after adds or raises. For a sibling,
// go mod tidy can only invent a placeholder version; siblingVersion reports
// whether a module path is a sibling's and, if so, the version to require it
// at instead.
func missingRequirements(before, after *modfile.File, siblingVersion func(string) (string, bool)) []string {
	had := make(map[string]string)
	for _, req := range before.Require {
		had[req.Mod.Path] = req.Mod.Version
	}
	var lines []string
	for _, req := range after.Require {
		p, v := req.Mod.Path, req.Mod.Version
		old, ok := had[p]
		if ok && semver.Compare(v, old) <= 0 {
			continue
		}
		if sv, isSibling := siblingVersion(p); isSibling {
			if ok {
				continue // a sibling's version is checked against versions.yaml by check
			}
			v = sv
		}
		line := "require " + p + " " + v
		if req.Indirect {
			line += " // indirect"
		}
		if ok {
			line += " (requires " + old + ")"
		}
		lines = append(lines, line)
	}
	return lines
}

// missingSumLines returns the lines of go.sum contents after that are not in
// before, in order.
func missingSumLines(before, after []byte) []string {
	had := make(map[string]bool)
	for l := range strings.Lines(string(before)) {
		had[strings.TrimSpace(l)] = true
	}
	var lines []string
	for l := range strings.Lines(string(after)) {
		if l = strings.TrimSpace(l); l != "" && !had[l] {
			lines = append(lines, l)
		}
	}
	return lines
}
