package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
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

// replacement points a sibling module path at the sibling's directory.
type replacement struct {
	Path string // module path
	Dir  string // directory relative to the repository root, slash-separated
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
	if m.File == nil {
		return m.Err
	}
	tmp, err := os.MkdirTemp("", "mono-standalone-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	src := filepath.Join(r.Root, filepath.FromSlash(m.Dir))
	dst := filepath.Join(tmp, filepath.FromSlash(m.Dir))
	if err := copyTree(src, dst); err != nil {
		return fmt.Errorf("copying the module: %w", err)
	}
	reps := siblingReplacements(r, m)
	for _, rep := range reps {
		fmt.Fprintf(stdout, "replace %s => %s\n", rep.Path, rep.Dir)
	}
	gomod, err := withReplacements(m.File, r.Root, reps)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dst, "go.mod"), gomod, 0o644); err != nil {
		return err
	}

	env := goEnv("GOWORK=off")
	if out, err := goCommand(ctx, dst, env, "list", "./..."); err == nil && len(bytes.TrimSpace(out)) == 0 {
		fmt.Fprintln(stdout, "no Go packages; nothing to do")
		return nil
	}
	var log bytes.Buffer // the steps' output, to tell what a failure is about
	for _, step := range standaloneSteps {
		fmt.Fprintf(stdout, "$ %s\n", commandLine(step))
		cmd := newCommand(ctx, dst, env, step)
		cmd.Stdout, cmd.Stderr = io.MultiWriter(stdout, &log), io.MultiWriter(stderr, &log)
		if err := cmd.Run(); err != nil {
			if ctx.Err() == nil {
				explainMissing(ctx, r, m, dst, env, moduleFileError(log.String()), stdout)
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

// siblingReplacements returns a replacement for every sibling module that m
// requires, directly or through other siblings, sorted by module path.
// Replace directives apply only in the main module, so m needs one for every
// sibling anywhere in its module graph.
func siblingReplacements(r *Repo, m *Module) []replacement {
	siblings := r.byPath()
	seen := map[*Module]bool{m: true}
	var reps []replacement
	queue := []*Module{m}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		if cur.File == nil {
			continue
		}
		for _, req := range cur.File.Require {
			sib := siblings[req.Mod.Path]
			if sib == nil || seen[sib] {
				continue
			}
			seen[sib] = true
			reps = append(reps, replacement{Path: req.Mod.Path, Dir: sib.Dir})
			queue = append(queue, sib)
		}
	}
	slices.SortFunc(reps, func(a, b replacement) int { return strings.Compare(a.Path, b.Path) })
	return reps
}

// allSiblings returns a replacement for every module of the tree other
// than m, sorted by module path.
func allSiblings(r *Repo, m *Module) []replacement {
	var reps []replacement
	for _, sib := range r.Modules {
		if sib != m && sib.InTree {
			reps = append(reps, replacement{Path: expectedPath(sib.Dir), Dir: sib.Dir})
		}
	}
	slices.SortFunc(reps, func(a, b replacement) int { return strings.Compare(a.Path, b.Path) })
	return reps
}

// withReplacements returns the contents of go.mod f with a replace directive
// for each of reps, pointing at the sibling's directory under root.
func withReplacements(f *modfile.File, root string, reps []replacement) ([]byte, error) {
	data, err := f.Format()
	if err != nil {
		return nil, err
	}
	c, err := modfile.Parse("go.mod", data, nil) // a copy: f stays untouched
	if err != nil {
		return nil, err
	}
	for _, rep := range reps {
		dir := filepath.Join(root, filepath.FromSlash(rep.Dir))
		if err := c.AddReplace(rep.Path, "", dir, ""); err != nil {
			return nil, err
		}
	}
	c.Cleanup()
	return c.Format()
}

// explainMissing runs "go mod tidy" in the standalone copy dst of m and
// prints the requirements and checksums it adds: what m's own go.mod and
// go.sum lack to build without the workspace. blamed tells whether the go
// command blamed the failure on go.mod or go.sum.
func explainMissing(ctx context.Context, r *Repo, m *Module, dst string, env []string, blamed bool, w io.Writer) {
	before, err := os.ReadFile(filepath.Join(dst, "go.sum"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return
	}
	// A sibling that m imports without requiring it is not among the
	// replacements made for the build; replace every sibling, so that
	// go mod tidy can name the missing requirement instead of failing to
	// download an unpublished version.
	gomod, err := withReplacements(m.File, r.Root, allSiblings(r, m))
	if err != nil {
		return
	}
	if err := os.WriteFile(filepath.Join(dst, "go.mod"), gomod, 0o644); err != nil {
		return
	}
	if _, err := goCommand(ctx, dst, env, "mod", "tidy"); err != nil {
		fmt.Fprintf(w, "%s: go mod tidy fails as well, so what go.mod and go.sum lack is unknown: %s\n",
			m.Dir, oneLine(err.Error()))
		return
	}
	after, err := os.ReadFile(filepath.Join(dst, "go.sum"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return
	}
	data, err := os.ReadFile(filepath.Join(dst, "go.mod"))
	if err != nil {
		return
	}
	tidied, err := modfile.Parse("go.mod", data, nil)
	if err != nil {
		return
	}
	siblings := r.byPath()
	siblingVersion := func(p string) (string, bool) {
		sib := siblings[p]
		if sib == nil {
			return "", false
		}
		if v, ok := r.Manifest[sib.Dir]; ok {
			return v, true
		}
		return "v0.0.0", true
	}
	reqs := missingRequirements(m.File, tidied, siblingVersion)
	sums := missingSumLines(before, after)
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

// copyTree copies the directory tree at src to dst, which must not exist,
// leaving out version-control directories. Symbolic links are recreated as
// they are.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			if d.Name() == ".git" {
				return filepath.SkipDir
			}
			return os.MkdirAll(target, 0o755)
		case d.Type()&fs.ModeSymlink != 0:
			link, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(link, target)
		case d.Type().IsRegular():
			return copyFile(p, target)
		}
		return nil
	})
}

// copyFile copies the regular file src to dst, keeping its permissions.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	fi, err := in.Stat()
	if err != nil {
		return err
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, fi.Mode().Perm())
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
