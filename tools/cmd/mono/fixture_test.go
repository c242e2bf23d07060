package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// copyFixture copies the fixture tree testdata/name to a new temporary
// directory and returns the copy's root. A ".go.txt" suffix is shortened to
// ".go" on the way, giving back the malformed Go files that the fixtures
// keep under another name, and "go.mod.txt" becomes "go.mod": kept as
// go.mod, the fixture trees would look like modules of this repository to
// the tools that walk it.
func copyFixture(t *testing.T, name string) string {
	t.Helper()
	src := filepath.Join("testdata", name)
	dst := filepath.Join(t.TempDir(), name)
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		if strings.HasSuffix(rel, ".go.txt") || filepath.Base(rel) == "go.mod.txt" {
			rel = strings.TrimSuffix(rel, ".txt")
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// loadFixture copies the fixture tree testdata/name and loads it.
func loadFixture(t *testing.T, name string) *Repo {
	t.Helper()
	r, err := loadRepo(copyFixture(t, name))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// writeFile writes data to the file rel under root, creating directories.
func writeFile(t *testing.T, root, rel, data string) {
	t.Helper()
	p := filepath.Join(root, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}
