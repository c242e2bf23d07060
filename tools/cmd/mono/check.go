package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"go/format"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
)

// Problem is a rule violation found by check.
type Problem struct {
	// Path is the file or module directory the problem is about, relative
	// to the repository root.
	Path string

	// Msg describes the problem on a single line.
	Msg string
}

// String formats p as "path: problem".
func (p Problem) String() string {
	return p.Path + ": " + p.Msg
}

// runCheck applies every rule to the repository and returns the problems
// found, ordered by path. Problems about the same path keep the order in
// which the rules found them. list runs "go list" for the dependency
// guards, and tidy runs "go mod tidy" for the tidiness rule.
func runCheck(ctx context.Context, r *Repo, list lister, tidy tidier) []Problem {
	var ps []Problem
	ps = append(ps, checkModFiles(r)...)
	ps = append(ps, checkWork(r)...)
	ps = append(ps, checkManifest(r)...)
	ps = append(ps, checkRequires(r)...)
	ps = append(ps, checkChangelogs(r)...)
	ps = append(ps, checkFormat(r.Root)...)
	ps = append(ps, checkGuards(ctx, r, list)...)
	ps = append(ps, checkTidy(ctx, r, tidy)...)
	slices.SortStableFunc(ps, func(a, b Problem) int { return cmp.Compare(a.Path, b.Path) })
	return ps
}

// checkModFiles checks the module path, go line, toolchain line and replace
// directives of every go.mod in the tree.
func checkModFiles(r *Repo) []Problem {
	var ps []Problem
	for _, m := range r.Modules {
		if !m.InTree {
			continue // go.work uses a directory without go.mod; checkWork reports it.
		}
		name := path.Join(m.Dir, "go.mod")
		add := func(format string, args ...any) {
			ps = append(ps, Problem{name, fmt.Sprintf(format, args...)})
		}
		if m.File == nil {
			ps = append(ps, fileProblems(name, m.Err)...)
			continue
		}
		f := m.File
		switch want := expectedPath(m.Dir); {
		case f.Module == nil:
			add("no module directive, want %q", "module "+want)
		case f.Module.Mod.Path != want:
			add("module path is %s, want %s", f.Module.Mod.Path, want)
		}
		checkGoLine(f.Go, f.Toolchain, add)
		for _, rep := range f.Replace {
			add("has a replace directive (%s => %s); committed go.mod files must not replace modules",
				rep.Old, rep.New)
		}
	}
	return ps
}

// checkGoLine reports through add a go line other than goVersion and any
// toolchain line.
func checkGoLine(goLine *modfile.Go, toolchain *modfile.Toolchain, add func(string, ...any)) {
	want := "go " + goVersion
	if goLine == nil {
		add("has no go line, want %q", want)
	} else if goLine.Version != goVersion {
		add("go line is %q, want %q", "go "+goLine.Version, want)
	}
	if toolchain != nil {
		add("has a toolchain line (%q); remove it", "toolchain "+toolchain.Name)
	}
}

// checkWork checks that go.work has the right go line, no toolchain line
// and no replace directives, and that it uses exactly the modules of the
// tree.
func checkWork(r *Repo) []Problem {
	var ps []Problem
	add := func(format string, args ...any) {
		ps = append(ps, Problem{workFile, fmt.Sprintf(format, args...)})
	}
	if r.Work == nil {
		return fileProblems(workFile, r.WorkErr)
	}
	w := r.Work
	checkGoLine(goDirective(w.Go), toolchainDirective(w.Toolchain), add)
	ps = append(ps, checkWorkReplaces(r)...)
	for _, p := range w.Problems {
		add("%s", p)
	}
	for _, m := range r.Modules {
		switch {
		case m.InTree && !m.InWork:
			add("does not use module %s (%s)", m.Dir, path.Join(m.Dir, "go.mod"))
		case m.InWork && !m.InTree:
			add("uses %s, which is not a module of the tree (%s)", useSpelling(m.Dir), whyNotModule(m.Dir))
		}
	}
	return ps
}

// checkWorkReplaces checks go.work's replace directives. Siblings require
// one another at their versions in versions.yaml, which are not published
// until they are tagged, so go.work must serve each released module's
// version from the module's directory:
//
//	replace github.com/mikros-go/mikros/core v0.1.0 => ./core
//
// It may serve an unreleased sibling the same way, at any version, and must
// replace nothing else.
func checkWorkReplaces(r *Repo) []Problem {
	var ps []Problem
	add := func(format string, args ...any) {
		ps = append(ps, Problem{workFile, fmt.Sprintf(format, args...)})
	}
	siblings := r.byPath()
	served := make(map[*Module]bool) // siblings with a replace directive
	for _, rep := range r.Work.Replaces {
		sib := siblings[rep.Old.Path]
		if sib == nil || rep.Old.Path != expectedPath(sib.Dir) {
			add("replaces %s, which is not a module of this repository; only siblings may be replaced", rep.Old.Path)
			continue
		}
		// A directive that gets the target or the version wrong is reported
		// once, here, rather than again as a missing directive below.
		served[sib] = true
		if dir, ok := useDir(rep.New.Path, r.Root); rep.New.Version != "" || !ok || dir != sib.Dir {
			add("replaces %s with %s, want %s", spellVersion(rep.Old), spellVersion(rep.New), useSpelling(sib.Dir))
		}
		want, listed := r.Manifest[sib.Dir]
		if !sib.Released() || !listed || !validVersion(want) || rep.Old.Version == want {
			continue
		}
		if rep.Old.Version == "" {
			add("replaces every version of %s; replace only %s", rep.Old.Path,
				spellVersion(module.Version{Path: rep.Old.Path, Version: want}))
		} else {
			add("replaces %s, but %s has %s: %s", spellVersion(rep.Old), manifestFile, sib.Dir, want)
		}
	}
	for _, m := range r.Modules {
		v, ok := r.Manifest[m.Dir]
		if ok && validVersion(v) && m.InTree && m.Released() && !served[m] {
			add("does not serve %s from the tree; add: replace %s => %s",
				m.Dir, spellVersion(module.Version{Path: expectedPath(m.Dir), Version: v}), useSpelling(m.Dir))
		}
	}
	return ps
}

// goDirective wraps the go version that Workspace records, so that go.work
// and go.mod share checkGoLine.
func goDirective(v string) *modfile.Go {
	if v == "" {
		return nil
	}
	return &modfile.Go{Version: v}
}

// toolchainDirective wraps the toolchain name that Workspace records, so
// that go.work and go.mod share checkGoLine.
func toolchainDirective(name string) *modfile.Toolchain {
	if name == "" {
		return nil
	}
	return &modfile.Toolchain{Name: name}
}

// useSpelling returns the conventional spelling of dir in a use directive.
func useSpelling(dir string) string {
	if dir == "." {
		return "."
	}
	return "./" + dir
}

// whyNotModule explains why directory dir, which go.work uses, is not a
// module of the tree.
func whyNotModule(dir string) string {
	for elem := range strings.SplitSeq(dir, "/") {
		if ignoredDir(elem) {
			return "the go command ignores " + elem + " directories"
		}
	}
	return "it has no go.mod"
}

// checkManifest checks that versions.yaml lists exactly the released
// modules, each at a valid version.
func checkManifest(r *Repo) []Problem {
	if r.Manifest == nil {
		return fileProblems(manifestFile, r.ManifestErr)
	}
	var ps []Problem
	add := func(format string, args ...any) {
		ps = append(ps, Problem{manifestFile, fmt.Sprintf(format, args...)})
	}
	for _, m := range r.Modules {
		if _, listed := r.Manifest[m.Dir]; m.InTree && m.Released() && !listed {
			add("does not list released module %s", m.Dir)
		}
	}
	dirs := make([]string, 0, len(r.Manifest))
	for dir := range r.Manifest {
		dirs = append(dirs, dir)
	}
	slices.Sort(dirs)
	for _, dir := range dirs {
		m := r.Module(dir)
		switch {
		case m == nil || !m.InTree:
			add("lists %s, which is not a module of the tree", dir)
		case !m.Released():
			add("lists %s, which is never released", dir)
		}
		if v := r.Manifest[dir]; !validVersion(v) {
			add("%s: version %q is not a semantic version of the form vMAJOR.MINOR.PATCH", dir, v)
		}
	}
	return ps
}

// checkRequires checks every requirement on a sibling module: it must name
// the version that versions.yaml gives the sibling, a released module must
// not require an unreleased one, and a path under the repository's module
// path must name a module of the tree.
func checkRequires(r *Repo) []Problem {
	var ps []Problem
	siblings := r.byPath()
	for _, m := range r.Modules {
		if m.File == nil || !m.InTree {
			continue
		}
		name := path.Join(m.Dir, "go.mod")
		add := func(format string, args ...any) {
			ps = append(ps, Problem{name, fmt.Sprintf(format, args...)})
		}
		for _, req := range m.File.Require {
			p, v := req.Mod.Path, req.Mod.Version
			sib := siblings[p]
			switch {
			case sib == nil:
				if p == repoPath || strings.HasPrefix(p, repoPath+"/") {
					add("requires %s, which is not a module of this repository", p)
				}
			case !sib.Released():
				if m.Released() {
					add("requires %s, which is never released", p)
				}
			case r.Manifest != nil:
				if want, ok := r.Manifest[sib.Dir]; ok && validVersion(want) && v != want {
					add("requires %s %s, but %s has %s: %s", p, v, manifestFile, sib.Dir, want)
				}
			}
		}
	}
	return ps
}

// checkChangelogs checks that every released module has a CHANGELOG.md.
func checkChangelogs(r *Repo) []Problem {
	var ps []Problem
	for _, m := range r.Modules {
		if !m.InTree || !m.Released() {
			continue
		}
		name := path.Join(m.Dir, "CHANGELOG.md")
		if fi, err := os.Stat(filepath.Join(r.Root, filepath.FromSlash(name))); err != nil || !fi.Mode().IsRegular() {
			ps = append(ps, Problem{name, "missing; every released module keeps a changelog"})
		}
	}
	return ps
}

// checkFormat checks that every .go file in the tree, outside the
// directories the go command ignores, is formatted as gofmt formats it.
func checkFormat(root string) []Problem {
	var ps []Problem
	err := walkTree(root, func(rel string, d fs.DirEntry) {
		if !strings.HasSuffix(rel, ".go") {
			return
		}
		src, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(rel)))
		if err != nil {
			ps = append(ps, Problem{rel, err.Error()})
			return
		}
		formatted, err := format.Source(src)
		switch {
		case err != nil:
			ps = append(ps, Problem{rel, "cannot be formatted: " + oneLine(err.Error())})
		case string(formatted) != string(src):
			ps = append(ps, Problem{rel, "not gofmt-formatted; run gofmt -w " + rel})
		}
	})
	if err != nil {
		ps = append(ps, Problem{".", "walking the tree: " + err.Error()})
	}
	return ps
}

// fileProblems turns the error from reading or parsing the file name into
// problems, one per parse error.
func fileProblems(name string, err error) []Problem {
	if errors.Is(err, fs.ErrNotExist) {
		return []Problem{{name, "missing"}}
	}
	var list modfile.ErrorList
	if errors.As(err, &list) {
		ps := make([]Problem, 0, len(list))
		for _, e := range list {
			ps = append(ps, Problem{name, fmt.Sprintf("line %d: %v", e.Pos.Line, e.Err)})
		}
		return ps
	}
	return []Problem{{name, oneLine(err.Error())}}
}
