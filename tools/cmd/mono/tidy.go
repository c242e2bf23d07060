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
)

// tidyResult is the outcome of tidying one module: its go.mod and go.sum
// as they are and as go mod tidy would have them.
type tidyResult struct {
	Dir           string // the module's directory, relative to the root
	Before, After modFiles
}

// cmdTidy implements "mono tidy" and, with check set, "mono tidy -check".
// It tidies the modules of mods, siblings before the modules that require
// them, and writes back the files that change unless check is set.
func cmdTidy(ctx context.Context, r *Repo, mods []*Module, check bool, stdout, stderr io.Writer) int {
	var failed, untidy []string
	for _, m := range tidyOrder(r, mods) {
		if ctx.Err() != nil {
			fmt.Fprintln(stderr, "mono tidy: interrupted")
			return exitFailure
		}
		fmt.Fprintf(stdout, "==> %s\n", m.Dir)
		res, err := tidyModule(ctx, r, m)
		if err != nil {
			fmt.Fprintf(stdout, "FAIL  %s: %s\n", m.Dir, oneLine(err.Error()))
			failed = append(failed, m.Dir)
			continue
		}
		files := res.changedFiles()
		if len(files) == 0 {
			fmt.Fprintln(stdout, "unchanged")
			continue
		}
		for _, l := range res.describe() {
			fmt.Fprintln(stdout, l)
		}
		if check {
			fmt.Fprintf(stdout, "not tidy: %s\n", strings.Join(files, ", "))
			untidy = append(untidy, m.Dir)
			continue
		}
		if err := res.write(r.Root); err != nil {
			fmt.Fprintf(stdout, "FAIL  %s: %v\n", m.Dir, err)
			failed = append(failed, m.Dir)
			continue
		}
		fmt.Fprintf(stdout, "updated %s\n", strings.Join(files, ", "))
	}
	if len(untidy) > 0 {
		fmt.Fprintf(stderr, "mono tidy: %d of %d modules are not tidy: %s; run \"go run ./tools/cmd/mono tidy\"\n",
			len(untidy), len(mods), strings.Join(untidy, ", "))
	}
	if len(failed) > 0 {
		fmt.Fprintf(stderr, "mono tidy: %d of %d modules failed: %s\n",
			len(failed), len(mods), strings.Join(failed, ", "))
	}
	if len(untidy) > 0 || len(failed) > 0 {
		return exitFailure
	}
	return exitOK
}

// tidyOrder returns mods ordered so that every module comes after the
// siblings among mods that it requires, directly or through other
// siblings, and otherwise in the order given. Tidying a module reads its
// siblings' go.mod files, so a sibling must be tidied first for a single
// run to leave every module tidy.
func tidyOrder(r *Repo, mods []*Module) []*Module {
	siblings := r.byPath()
	selected := make(map[*Module]bool)
	for _, m := range mods {
		selected[m] = true
	}
	visited := make(map[*Module]bool)
	order := make([]*Module, 0, len(mods))
	var visit func(*Module)
	visit = func(m *Module) {
		if visited[m] {
			return
		}
		visited[m] = true
		if m.File != nil {
			for _, req := range m.File.Require {
				if sib := siblings[req.Mod.Path]; sib != nil {
					visit(sib)
				}
			}
		}
		if selected[m] {
			order = append(order, m)
		}
	}
	for _, m := range mods {
		visit(m)
	}
	return order
}

// tidyModule runs "go mod tidy" in a copy of module m made by copyModule
// and tidyCopy, and returns m's go.mod and go.sum before and after. It
// changes nothing in the tree.
func tidyModule(ctx context.Context, r *Repo, m *Module) (*tidyResult, error) {
	c, err := copyModule(r, m, "tidy", nil)
	if err != nil {
		return nil, err
	}
	defer c.Remove()
	before, err := readModFiles(filepath.Join(r.Root, filepath.FromSlash(m.Dir)))
	if err != nil {
		return nil, err
	}
	after, err := tidyCopy(ctx, r, m, c)
	if err != nil {
		return nil, err
	}
	return &tidyResult{Dir: m.Dir, Before: before, After: after}, nil
}

// modChanged reports whether go.mod changes.
func (t *tidyResult) modChanged() bool {
	return !bytes.Equal(t.Before.Mod, t.After.Mod)
}

// sumChanged reports whether go.sum changes, is created or is removed.
func (t *tidyResult) sumChanged() bool {
	return t.Before.HasSum != t.After.HasSum || !bytes.Equal(t.Before.Sum, t.After.Sum)
}

// changedFiles returns the paths, relative to the root, of the files that
// tidying changes.
func (t *tidyResult) changedFiles() []string {
	var files []string
	if t.modChanged() {
		files = append(files, path.Join(t.Dir, "go.mod"))
	}
	if t.sumChanged() {
		files = append(files, path.Join(t.Dir, "go.sum"))
	}
	return files
}

// describe returns one line per change that tidying makes, each starting
// with the file it is in.
func (t *tidyResult) describe() []string {
	var lines []string
	if t.modChanged() {
		name := path.Join(t.Dir, "go.mod")
		before, errBefore := modfile.ParseLax(name, t.Before.Mod, nil)
		after, errAfter := modfile.ParseLax(name, t.After.Mod, nil)
		var changes []string
		if errBefore == nil && errAfter == nil {
			changes = modChanges(before, after)
		}
		if len(changes) == 0 {
			// Only the layout changes, such as how requirements are
			// grouped; show the lines that differ.
			changes = lineChanges(string(t.Before.Mod), string(t.After.Mod))
		}
		if len(changes) == 0 {
			changes = []string{"blank lines change"}
		}
		for _, c := range changes {
			lines = append(lines, name+": "+c)
		}
	}
	if t.sumChanged() {
		name := path.Join(t.Dir, "go.sum")
		var changes []string
		switch {
		case !t.After.HasSum:
			changes = []string{"removed"}
		case !t.Before.HasSum && len(t.After.Sum) == 0:
			changes = []string{"created, empty"}
		default:
			for _, l := range missingSumLines(t.After.Sum, t.Before.Sum) {
				changes = append(changes, "- "+l)
			}
			for _, l := range missingSumLines(t.Before.Sum, t.After.Sum) {
				changes = append(changes, "+ "+l)
			}
			if len(changes) == 0 {
				changes = []string{"reordered"}
			}
		}
		for _, c := range changes {
			lines = append(lines, name+": "+c)
		}
	}
	return lines
}

// modChanges describes the differences between two versions of a go.mod
// that go mod tidy can make: to the go and toolchain lines and to the
// requirements. Each change is a line of the form "- DIRECTIVE" or
// "+ DIRECTIVE"; a changed directive shows as both. Requirements are in
// order of module path.
func modChanges(before, after *modfile.File) []string {
	var lines []string
	diff := func(old, new []string) {
		for _, l := range old {
			if !slices.Contains(new, l) {
				lines = append(lines, "- "+l)
			}
		}
		for _, l := range new {
			if !slices.Contains(old, l) {
				lines = append(lines, "+ "+l)
			}
		}
	}
	diff(goLines(before), goLines(after))
	oldReqs, newReqs := requireLines(before), requireLines(after)
	var paths []string
	for p := range oldReqs {
		paths = append(paths, p)
	}
	for p := range newReqs {
		if _, ok := oldReqs[p]; !ok {
			paths = append(paths, p)
		}
	}
	slices.Sort(paths)
	for _, p := range paths {
		diff(oldReqs[p], newReqs[p])
	}
	return lines
}

// lineChanges returns a line diff of a and b: the lines of a that a
// longest common subsequence of lines leaves out, as "- LINE", and those of
// b, as "+ LINE", in order. Blank lines are left out of the result.
func lineChanges(a, b string) []string {
	x, y := strings.Split(a, "\n"), strings.Split(b, "\n")
	// lcs[i][j] is the length of a longest common subsequence of x[i:]
	// and y[j:].
	lcs := make([][]int, len(x)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(y)+1)
	}
	for i := len(x) - 1; i >= 0; i-- {
		for j := len(y) - 1; j >= 0; j-- {
			if x[i] == y[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var lines []string
	add := func(sign, l string) {
		if strings.TrimSpace(l) != "" {
			lines = append(lines, sign+" "+l)
		}
	}
	i, j := 0, 0
	for i < len(x) || j < len(y) {
		switch {
		case i < len(x) && j < len(y) && x[i] == y[j]:
			i++
			j++
		case j == len(y) || i < len(x) && lcs[i+1][j] >= lcs[i][j+1]:
			add("-", x[i])
			i++
		default:
			add("+", y[j])
			j++
		}
	}
	return lines
}

// goLines returns the go and toolchain lines of f.
func goLines(f *modfile.File) []string {
	var lines []string
	if f.Go != nil {
		lines = append(lines, "go "+f.Go.Version)
	}
	if f.Toolchain != nil {
		lines = append(lines, "toolchain "+f.Toolchain.Name)
	}
	return lines
}

// requireLines returns the requirements of f as require directives,
// indexed by module path.
func requireLines(f *modfile.File) map[string][]string {
	lines := make(map[string][]string)
	for _, req := range f.Require {
		l := "require " + req.Mod.Path + " " + req.Mod.Version
		if req.Indirect {
			l += " // indirect"
		}
		lines[req.Mod.Path] = append(lines[req.Mod.Path], l)
	}
	return lines
}

// write writes the tidied go.mod and go.sum to the module's directory under
// root, leaving a file that does not change alone.
func (t *tidyResult) write(root string) error {
	dir := filepath.Join(root, filepath.FromSlash(t.Dir))
	if t.modChanged() {
		if err := os.WriteFile(filepath.Join(dir, "go.mod"), t.After.Mod, 0o644); err != nil {
			return err
		}
	}
	if !t.sumChanged() {
		return nil
	}
	sum := filepath.Join(dir, "go.sum")
	if !t.After.HasSum {
		if err := os.Remove(sum); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return nil
	}
	return os.WriteFile(sum, t.After.Sum, 0o644)
}

// tidier tidies module m of r without changing the tree, as tidyModule
// does. It exists so that tests of check can do without the go command.
type tidier func(ctx context.Context, r *Repo, m *Module) (*tidyResult, error)

// checkTidy reports every go.mod and go.sum in the tree that go mod tidy,
// run by tidy as "mono tidy" runs it, would change. A go.mod that cannot be
// read or that has replace directives is left to checkModFiles.
func checkTidy(ctx context.Context, r *Repo, tidy tidier) []Problem {
	var ps []Problem
	for _, m := range r.Modules {
		if !m.InTree || m.File == nil || len(m.File.Replace) > 0 {
			continue
		}
		res, err := tidy(ctx, r, m)
		if err != nil {
			ps = append(ps, Problem{m.Dir, "cannot tidy: " + oneLine(err.Error())})
			continue
		}
		for _, name := range res.changedFiles() {
			ps = append(ps, Problem{name, fmt.Sprintf(
				"not tidy; run \"go run ./tools/cmd/mono tidy %s\" (with -check, it shows the changes)", m.Dir)})
		}
	}
	return ps
}
