package main

import (
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

// standalone and tidy both work on a copy of a module outside the
// workspace, whose go.mod points the siblings the module needs at their
// directories in the tree with replace directives. The code they share is
// here.

// replacement points a sibling module path at the sibling's directory.
type replacement struct {
	Path string // module path
	Dir  string // directory relative to the repository root, slash-separated
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
	defer func() { _ = in.Close() }()
	fi, err := in.Stat()
	if err != nil {
		return err
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, fi.Mode().Perm())
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		_ = out.Close()
		return err
	}
	return out.Close()
}

// moduleCopy is a copy of a module in a temporary directory.
type moduleCopy struct {
	// Dir is the directory of the copy. Its path ends in the module's
	// directory in the tree, so that messages naming files of the copy
	// still tell which module they belong to.
	Dir string

	tmp string // the temporary directory holding the copy
}

// copyModule copies module m to a new temporary directory and gives the
// copy's go.mod a replace directive for each of reps. purpose names the
// command making the copy, for the name of the temporary directory. The
// caller must call Remove when done with the copy.
func copyModule(r *Repo, m *Module, purpose string, reps []replacement) (*moduleCopy, error) {
	if m.File == nil {
		return nil, m.Err
	}
	// A replace directive pointing at a relative directory would point
	// somewhere else from the copy. check rejects every replace directive
	// in a go.mod anyway; refuse rather than build against the wrong code.
	for _, rep := range m.File.Replace {
		if modfile.IsDirectoryPath(rep.New.Path) && !filepath.IsAbs(rep.New.Path) {
			return nil, fmt.Errorf("%s replaces %s with directory %s, which cannot be reached from a copy of the module; remove the replace directive",
				path.Join(m.Dir, "go.mod"), spellVersion(rep.Old), rep.New.Path)
		}
	}
	tmp, err := os.MkdirTemp("", "mono-"+purpose+"-")
	if err != nil {
		return nil, err
	}
	c := &moduleCopy{Dir: filepath.Join(tmp, filepath.FromSlash(m.Dir)), tmp: tmp}
	if err := copyTree(filepath.Join(r.Root, filepath.FromSlash(m.Dir)), c.Dir); err != nil {
		c.Remove()
		return nil, fmt.Errorf("copying the module: %w", err)
	}
	if err := c.setReplacements(r, m, reps); err != nil {
		c.Remove()
		return nil, err
	}
	return c, nil
}

// setReplacements rewrites the go.mod of c, a copy of module m, as m's
// go.mod with a replace directive for each of reps.
func (c *moduleCopy) setReplacements(r *Repo, m *Module, reps []replacement) error {
	gomod, err := withReplacements(m.File, r.Root, reps)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(c.Dir, "go.mod"), gomod, 0o644)
}

// Remove deletes the copy.
func (c *moduleCopy) Remove() {
	_ = os.RemoveAll(c.tmp)
}

// modFiles holds the contents of a module's go.mod and go.sum.
type modFiles struct {
	Mod    []byte
	Sum    []byte // nil if there is no go.sum
	HasSum bool   // whether there is a go.sum, possibly empty
}

// readModFiles reads go.mod and go.sum in directory dir. A missing go.sum
// is not an error.
func readModFiles(dir string) (modFiles, error) {
	var f modFiles
	var err error
	if f.Mod, err = os.ReadFile(filepath.Join(dir, "go.mod")); err != nil {
		return f, err
	}
	f.Sum, err = os.ReadFile(filepath.Join(dir, "go.sum"))
	switch {
	case err == nil:
		f.HasSum = true
	case !errors.Is(err, fs.ErrNotExist):
		return f, err
	}
	return f, nil
}

// tidyCopy points every sibling of module m at its directory in the tree
// in the go.mod of c, a copy of m, and runs "go mod tidy" in c with the
// workspace off. Replacing every sibling, not only those that m requires,
// lets go mod tidy add a requirement on a sibling that m imports without
// requiring it, instead of failing to download an unpublished version.
//
// tidyCopy returns the go.mod and go.sum that go mod tidy leaves, with the
// go.mod made fit for the tree again by restoreModFile.
func tidyCopy(ctx context.Context, r *Repo, m *Module, c *moduleCopy) (modFiles, error) {
	reps := allSiblings(r, m)
	if err := c.setReplacements(r, m, reps); err != nil {
		return modFiles{}, err
	}
	if _, err := goCommand(ctx, c.Dir, goEnv("GOWORK=off"), "mod", "tidy"); err != nil {
		return modFiles{}, err
	}
	files, err := readModFiles(c.Dir)
	if err != nil {
		return modFiles{}, err
	}
	files.Mod, err = restoreModFile(files.Mod, path.Join(m.Dir, "go.mod"), r.Root, reps, siblingVersions(r, m))
	return files, err
}

// restoreModFile undoes in go.mod contents data what a copy needed: it
// drops the replace directives that withReplacements added for reps under
// root, leaving any other, and has every requirement on a sibling name the
// version that siblingVersion gives, instead of the placeholder version that
// go mod tidy invents for a sibling it adds. It returns the formatted
// result. name names the file in errors.
func restoreModFile(data []byte, name, root string, reps []replacement, siblingVersion func(string) (string, bool)) ([]byte, error) {
	f, err := modfile.Parse(name, data, nil)
	if err != nil {
		return nil, err
	}
	for _, rep := range reps {
		dir := filepath.Join(root, filepath.FromSlash(rep.Dir))
		// withReplacements left exactly one directive for rep.Path, and
		// go mod tidy does not add any.
		if slices.ContainsFunc(f.Replace, func(x *modfile.Replace) bool {
			return x.Old.Path == rep.Path && x.Old.Version == "" && x.New.Path == dir && x.New.Version == ""
		}) {
			if err := f.DropReplace(rep.Path, ""); err != nil {
				return nil, err
			}
		}
	}
	type change struct{ path, version string }
	var changes []change
	for _, req := range f.Require {
		if v, ok := siblingVersion(req.Mod.Path); ok && v != req.Mod.Version {
			changes = append(changes, change{req.Mod.Path, v})
		}
	}
	for _, c := range changes {
		if err := f.AddRequire(c.path, c.version); err != nil {
			return nil, err
		}
	}
	f.Cleanup()
	return f.Format()
}

// siblingVersions returns a function that reports whether a module path is
// that of a sibling of module m and, if so, the version at which m must
// require it: the sibling's version in versions.yaml or, for a sibling that
// has none, the version m's go.mod requires it at, or else v0.0.0.
func siblingVersions(r *Repo, m *Module) func(string) (string, bool) {
	siblings := r.byPath()
	required := make(map[string]string)
	if m.File != nil {
		for _, req := range m.File.Require {
			required[req.Mod.Path] = req.Mod.Version
		}
	}
	return func(p string) (string, bool) {
		sib := siblings[p]
		if sib == nil || sib == m {
			return "", false
		}
		if v, ok := r.Manifest[sib.Dir]; ok && validVersion(v) {
			return v, true
		}
		if v, ok := required[p]; ok {
			return v, true
		}
		return "v0.0.0", true
	}
}
