package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/mod/modfile"
)

// Repository-wide policy. Nothing here names individual modules: modules are
// discovered from go.work and the go.mod files in the tree.
const (
	// repoPath is the module path of the repository root; the module in
	// directory d has the path repoPath + "/" + d.
	repoPath = "github.com/mikros-go/mikros"

	// goVersion is the version every go.mod and go.work declares.
	goVersion = "1.26.0"

	// workFile is the workspace file at the repository root.
	workFile = "go.work"

	// manifestFile holds the versions of the released modules.
	manifestFile = "versions.yaml"
)

// unreleasedDirs are the top-level directories whose modules are never
// published and so never appear in versions.yaml.
var unreleasedDirs = []string{"bench", "examples", "tools"}

// Module is one module of the repository.
type Module struct {
	// Dir is the module's directory relative to the repository root,
	// slash-separated, for example "features/logger".
	Dir string

	// InWork reports whether go.work uses the directory.
	InWork bool

	// InTree reports whether the directory holds a go.mod file outside
	// the directories the go command ignores.
	InTree bool

	// File is the parsed go.mod, or nil if it could not be read or parsed.
	File *modfile.File

	// Err explains why File is nil.
	Err error
}

// Released reports whether the module is published, and so listed in
// versions.yaml.
func (m *Module) Released() bool {
	return released(m.Dir)
}

// Path returns the module path declared in go.mod, or "" if go.mod could
// not be read.
func (m *Module) Path() string {
	if m.File == nil || m.File.Module == nil {
		return ""
	}
	return m.File.Module.Mod.Path
}

// released reports whether the module in directory dir is published.
func released(dir string) bool {
	top, _, _ := strings.Cut(dir, "/")
	return dir != "." && !slices.Contains(unreleasedDirs, top)
}

// expectedPath returns the module path that the module in directory dir
// must declare.
func expectedPath(dir string) string {
	if dir == "." {
		return repoPath
	}
	return repoPath + "/" + dir
}

// Repo is a loaded view of the repository.
type Repo struct {
	// Root is the absolute path of the directory holding go.work.
	Root string

	// Work is the parsed go.work, or nil if it could not be read.
	Work *Workspace

	// WorkErr explains why Work is nil.
	WorkErr error

	// Modules holds every module used by go.work or found in the tree,
	// sorted by directory.
	Modules []*Module

	// Manifest maps released module directories to their versions. It is
	// nil if versions.yaml could not be read.
	Manifest map[string]string

	// ManifestErr explains why Manifest is nil.
	ManifestErr error
}

// findRoot returns the nearest directory at or above dir that holds go.work.
func findRoot(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for d := dir; ; {
		if _, err := os.Stat(filepath.Join(d, workFile)); err == nil {
			return d, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", fmt.Errorf("no %s found in %s or any parent directory", workFile, dir)
		}
		d = parent
	}
}

// loadRepo reads go.work, versions.yaml and every go.mod of the repository
// rooted at root. Problems with individual files are recorded in the result
// rather than returned, so that check can report them all; only a failure
// to walk the tree is an error.
func loadRepo(root string) (*Repo, error) {
	r := &Repo{Root: root}

	treeDirs, err := findModuleDirs(root)
	if err != nil {
		return nil, err
	}
	byDir := make(map[string]*Module)
	module := func(dir string) *Module {
		if m, ok := byDir[dir]; ok {
			return m
		}
		m := &Module{Dir: dir}
		byDir[dir] = m
		return m
	}
	for _, dir := range treeDirs {
		module(dir).InTree = true
	}

	if data, err := os.ReadFile(filepath.Join(root, workFile)); err != nil {
		r.WorkErr = err
	} else if r.Work, err = parseWork(data, root); err != nil {
		r.WorkErr = err
	} else {
		for _, dir := range r.Work.Uses {
			module(dir).InWork = true
		}
	}

	if data, err := os.ReadFile(filepath.Join(root, manifestFile)); err != nil {
		r.ManifestErr = err
	} else {
		r.Manifest, r.ManifestErr = parseManifest(data)
	}

	for _, m := range byDir {
		m.File, m.Err = readModFile(root, m.Dir)
		r.Modules = append(r.Modules, m)
	}
	slices.SortFunc(r.Modules, func(a, b *Module) int { return strings.Compare(a.Dir, b.Dir) })
	return r, nil
}

// WorkModules returns the modules that go.work uses, sorted by directory.
func (r *Repo) WorkModules() []*Module {
	var mods []*Module
	for _, m := range r.Modules {
		if m.InWork {
			mods = append(mods, m)
		}
	}
	return mods
}

// Module returns the module in directory dir, or nil.
func (r *Repo) Module(dir string) *Module {
	for _, m := range r.Modules {
		if m.Dir == dir {
			return m
		}
	}
	return nil
}

// Warnings describes the inconsistencies between go.work, the tree and the
// module files that make the repository's module list unreliable. Commands
// other than check print them before doing their work.
func (r *Repo) Warnings() []string {
	var w []string
	if r.WorkErr != nil {
		w = append(w, fmt.Sprintf("%s: %v", workFile, r.WorkErr))
	}
	for _, m := range r.Modules {
		switch {
		case !m.InWork:
			w = append(w, fmt.Sprintf("%s/go.mod is not used by %s", m.Dir, workFile))
		case !m.InTree:
			w = append(w, fmt.Sprintf("%s uses %s, which is not a module in the tree", workFile, m.Dir))
		case m.Err != nil:
			w = append(w, m.Err.Error())
		}
	}
	return w
}

// findModuleDirs walks the tree under root and returns the directories that
// hold a go.mod file, relative to root and slash-separated. Like the go
// command, it skips directories named testdata and directories whose names
// start with "." or "_".
func findModuleDirs(root string) ([]string, error) {
	var dirs []string
	err := walkTree(root, func(rel string, d fs.DirEntry) {
		if d.Name() == "go.mod" {
			dirs = append(dirs, path.Dir(rel))
		}
	})
	return dirs, err
}

// walkTree calls fn for every regular file under root, with its path
// relative to root and slash-separated, skipping the directories the go
// command ignores.
func walkTree(root string, fn func(rel string, d fs.DirEntry)) error {
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != root && ignoredDir(d.Name()) {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		fn(filepath.ToSlash(rel), d)
		return nil
	})
}

// ignoredDir reports whether the go command ignores directories named name.
func ignoredDir(name string) bool {
	return name == "testdata" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")
}

// readModFile reads and parses the go.mod file of the module in directory
// dir of the repository rooted at root. Errors name the file relative to
// root.
func readModFile(root, dir string) (*modfile.File, error) {
	name := path.Join(dir, "go.mod")
	data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(name)))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s does not exist", name)
	}
	if err != nil {
		return nil, err
	}
	return modfile.Parse(name, data, nil)
}

// byPath indexes the modules that have a go.mod in the tree by module path.
// A module is indexed under the path its directory calls for and, if
// different, the path its go.mod declares, so that a requirement on either
// spelling is recognised as a requirement on a sibling.
func (r *Repo) byPath() map[string]*Module {
	idx := make(map[string]*Module)
	for _, m := range r.Modules {
		if !m.InTree {
			continue
		}
		if p := m.Path(); p != "" {
			idx[p] = m
		}
		idx[expectedPath(m.Dir)] = m
	}
	return idx
}
