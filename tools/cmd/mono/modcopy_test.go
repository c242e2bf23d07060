package main

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestSiblingReplacements(t *testing.T) {
	root := copyFixture(t, "good")
	// bench requires only kinds/script, which brings in features/logger
	// and core.
	writeFile(t, root, "bench/go.mod", "module github.com/mikros-go/mikros/bench\n\ngo 1.26.0\n\n"+
		"require github.com/mikros-go/mikros/kinds/script v1.0.0-rc.1\n")
	r, err := loadRepo(root)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		dir  string
		want []string
	}{
		{"core", nil},
		{"tools", nil},
		{"features/logger", []string{"core"}},
		{"kinds/script", []string{"core", "features/logger"}},
		{"examples/script", []string{"core", "features/logger", "kinds/script"}},
		{"bench", []string{"core", "features/logger", "kinds/script"}},
	}
	for _, tt := range tests {
		var got []string
		for _, rep := range siblingReplacements(r, r.Module(tt.dir)) {
			if rep.Path != expectedPath(rep.Dir) {
				t.Errorf("%s: replacement %s => %s names the wrong directory", tt.dir, rep.Path, rep.Dir)
			}
			got = append(got, rep.Dir)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("siblingReplacements(%s) = %q, want %q", tt.dir, got, tt.want)
		}
	}
}

func TestSiblingReplacementsCycle(t *testing.T) {
	a := &Module{Dir: "a", InTree: true, File: parseMod(t,
		"module github.com/mikros-go/mikros/a\nrequire github.com/mikros-go/mikros/b v0.1.0\n")}
	b := &Module{Dir: "b", InTree: true, File: parseMod(t,
		"module github.com/mikros-go/mikros/b\nrequire (\n\tgithub.com/mikros-go/mikros/a v0.1.0\n\texample.com/x v1.0.0\n)\n")}
	r := &Repo{Modules: []*Module{a, b}}
	got := siblingReplacements(r, a)
	want := []replacement{{Path: "github.com/mikros-go/mikros/b", Dir: "b"}}
	if !slices.Equal(got, want) {
		t.Errorf("siblingReplacements(a) = %v, want %v", got, want)
	}
}

func TestWithReplacements(t *testing.T) {
	const src = "module github.com/mikros-go/mikros/kinds/script\n\ngo 1.26.0\n\n" +
		"require github.com/mikros-go/mikros/core v0.1.0\n"
	f := parseMod(t, src)
	root := t.TempDir()
	data, err := withReplacements(f, root, []replacement{{Path: "github.com/mikros-go/mikros/core", Dir: "core"}})
	if err != nil {
		t.Fatal(err)
	}
	got := parseMod(t, string(data))
	if len(got.Replace) != 1 {
		t.Fatalf("withReplacements() has %d replace directives, want 1:\n%s", len(got.Replace), data)
	}
	rep := got.Replace[0]
	if rep.Old.Path != "github.com/mikros-go/mikros/core" || rep.Old.Version != "" ||
		rep.New.Path != filepath.Join(root, "core") || rep.New.Version != "" {
		t.Errorf("withReplacements() replace = %v => %v", rep.Old, rep.New)
	}
	if len(f.Replace) != 0 {
		t.Errorf("withReplacements() modified its input")
	}
	if len(got.Require) != 1 || got.Go == nil || got.Go.Version != "1.26.0" {
		t.Errorf("withReplacements() lost directives:\n%s", data)
	}
}

func TestCopyTree(t *testing.T) {
	src := t.TempDir()
	writeFile(t, src, "go.mod", "module m\n")
	writeFile(t, src, "sub/testdata/x.txt", "x")
	writeFile(t, src, ".git/HEAD", "ref")
	if err := os.Chmod(filepath.Join(src, "sub/testdata/x.txt"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("sub", filepath.Join(src, "link")); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), "copy")
	if err := copyTree(src, dst); err != nil {
		t.Fatal(err)
	}
	if data, err := os.ReadFile(filepath.Join(dst, "go.mod")); err != nil || string(data) != "module m\n" {
		t.Errorf("go.mod copy = %q, %v", data, err)
	}
	if fi, err := os.Stat(filepath.Join(dst, "sub/testdata/x.txt")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("x.txt copy: %v, %v; want mode 0600", fi, err)
	}
	if link, err := os.Readlink(filepath.Join(dst, "link")); err != nil || link != "sub" {
		t.Errorf("link copy = %q, %v; want a link to sub", link, err)
	}
	if _, err := os.Stat(filepath.Join(dst, ".git")); !os.IsNotExist(err) {
		t.Errorf(".git was copied (%v)", err)
	}
}
