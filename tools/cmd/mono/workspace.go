package main

import (
	"fmt"
	"path"
	"path/filepath"
	"strings"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
)

// Workspace is the part of go.work that mono relies on.
type Workspace struct {
	// Go is the version on the go line, or "" if there is none.
	Go string

	// Toolchain is the version on the toolchain line, or "" if there is
	// none.
	Toolchain string

	// Uses lists the used module directories in file order, relative to
	// the repository root, slash-separated and cleaned ("./core" becomes
	// "core", "./" becomes "."). Each directory appears once.
	Uses []string

	// Replaces lists the replace directives in file order.
	Replaces []Replace

	// Problems describes use directives that Uses leaves out: duplicates
	// and directories outside the repository.
	Problems []string
}

// parseWork parses the contents of the go.work file of the repository rooted
// at root. root is needed only to interpret absolute use paths.
func parseWork(data []byte, root string) (*Workspace, error) {
	f, err := modfile.ParseWork(workFile, data, nil)
	if err != nil {
		return nil, err
	}
	w := &Workspace{}
	if f.Go != nil {
		w.Go = f.Go.Version
	}
	if f.Toolchain != nil {
		w.Toolchain = f.Toolchain.Name
	}
	seen := make(map[string]bool)
	for _, u := range f.Use {
		dir, ok := useDir(u.Path, root)
		switch {
		case !ok:
			w.Problems = append(w.Problems, fmt.Sprintf("uses %s, which is outside the repository", u.Path))
		case seen[dir]:
			w.Problems = append(w.Problems, fmt.Sprintf("uses %s more than once", u.Path))
		default:
			seen[dir] = true
			w.Uses = append(w.Uses, dir)
		}
	}
	for _, r := range f.Replace {
		w.Replaces = append(w.Replaces, Replace{Old: r.Old, New: r.New})
	}
	return w, nil
}

// Replace is a replace directive: Old => New. A version is empty when the
// directive leaves it out.
type Replace struct {
	Old, New module.Version
}

// String formats r as it is written in go.work.
func (r Replace) String() string {
	return spellVersion(r.Old) + " => " + spellVersion(r.New)
}

// spellVersion formats v as a replace directive spells it: the path,
// followed by the version if there is one.
func spellVersion(v module.Version) string {
	if v.Version == "" {
		return v.Path
	}
	return v.Path + " " + v.Version
}

// useDir converts the path of a use directive to a directory relative to
// root. It reports false if the path leads outside root.
func useDir(p, root string) (string, bool) {
	if filepath.IsAbs(p) {
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return "", false
		}
		p = rel
	}
	dir := path.Clean(filepath.ToSlash(p))
	if dir == ".." || strings.HasPrefix(dir, "../") || path.IsAbs(dir) {
		return "", false
	}
	return dir, true
}
