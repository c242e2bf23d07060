package main

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestReleasedAndExpectedPath(t *testing.T) {
	tests := []struct {
		dir      string
		released bool
		path     string
	}{
		{"core", true, "github.com/mikros-go/mikros/core"},
		{"features/logger", true, "github.com/mikros-go/mikros/features/logger"},
		{"kinds/grpc", true, "github.com/mikros-go/mikros/kinds/grpc"},
		{"tools", false, "github.com/mikros-go/mikros/tools"},
		{"examples/script", false, "github.com/mikros-go/mikros/examples/script"},
		{"bench", false, "github.com/mikros-go/mikros/bench"},
		{"benchmarks", true, "github.com/mikros-go/mikros/benchmarks"},
		{".", false, "github.com/mikros-go/mikros"},
	}
	for _, tt := range tests {
		if got := released(tt.dir); got != tt.released {
			t.Errorf("released(%q) = %v, want %v", tt.dir, got, tt.released)
		}
		if got := expectedPath(tt.dir); got != tt.path {
			t.Errorf("expectedPath(%q) = %q, want %q", tt.dir, got, tt.path)
		}
	}
}

func TestFindRoot(t *testing.T) {
	root := copyFixture(t, "good")
	for _, dir := range []string{".", "core", "core/config", "features/logger"} {
		got, err := findRoot(filepath.Join(root, filepath.FromSlash(dir)))
		if err != nil {
			t.Fatalf("findRoot(%s): %v", dir, err)
		}
		if got != root {
			t.Errorf("findRoot(%s) = %s, want %s", dir, got, root)
		}
	}
	if got, err := findRoot(t.TempDir()); err == nil {
		t.Errorf("findRoot outside a repository = %s, want an error", got)
	}
}

func TestFindModuleDirs(t *testing.T) {
	root := copyFixture(t, "good")
	got, err := findModuleDirs(root)
	if err != nil {
		t.Fatal(err)
	}
	// core/testdata, .hidden and _scratch are skipped.
	want := []string{"bench", "core", "examples/script", "features/logger", "kinds/script", "tools"}
	if !slices.Equal(got, want) {
		t.Errorf("findModuleDirs() = %q, want %q", got, want)
	}
}

func TestLoadRepo(t *testing.T) {
	r := loadFixture(t, "bad")
	type mod struct {
		dir            string
		inWork, inTree bool
		path           string
		parseErr       bool
	}
	want := []mod{
		{"bench", false, true, "", false},
		{"core", true, true, "github.com/mikros-go/mikros/kore", false},
		{"examples/script", true, true, "github.com/mikros-go/mikros/examples/script", false},
		{"features/extra", false, true, "github.com/mikros-go/mikros/features/extra", false},
		{"features/logger", true, true, "github.com/mikros-go/mikros/features/logger", false},
		{"features/nomod", true, false, "", true},
		{"kinds/script", true, true, "", true},
		{"testdata/fixture", true, false, "github.com/mikros-go/mikros/testdata/fixture", false},
		{"tools", true, true, "github.com/mikros-go/mikros/tools", false},
	}
	var got []mod
	for _, m := range r.Modules {
		got = append(got, mod{m.Dir, m.InWork, m.InTree, m.Path(), m.Err != nil})
	}
	if !slices.Equal(got, want) {
		t.Errorf("loadRepo() modules =\n%+v\nwant\n%+v", got, want)
	}
	if r.Work == nil || r.Manifest == nil {
		t.Fatalf("loadRepo() did not parse go.work (%v) or versions.yaml (%v)", r.WorkErr, r.ManifestErr)
	}
	var work []string
	for _, m := range r.WorkModules() {
		work = append(work, m.Dir)
	}
	wantWork := []string{"core", "examples/script", "features/logger", "features/nomod", "kinds/script", "testdata/fixture", "tools"}
	if !slices.Equal(work, wantWork) {
		t.Errorf("WorkModules() = %q, want %q", work, wantWork)
	}
	wantWarnings := []string{
		"bench/go.mod is not used by go.work",
		"features/extra/go.mod is not used by go.work",
		"go.work uses features/nomod, which is not a module in the tree",
		"kinds/script/go.mod:5: unknown directive: requires",
		"go.work uses testdata/fixture, which is not a module in the tree",
	}
	if got := r.Warnings(); !slices.Equal(got, wantWarnings) {
		t.Errorf("Warnings() =\n%q\nwant\n%q", got, wantWarnings)
	}
}

func TestLoadRepoWithoutFiles(t *testing.T) {
	root := t.TempDir()
	r, err := loadRepo(root)
	if err != nil {
		t.Fatal(err)
	}
	if !os.IsNotExist(r.WorkErr) || !os.IsNotExist(r.ManifestErr) {
		t.Errorf("loadRepo() errors = %v, %v; want both files missing", r.WorkErr, r.ManifestErr)
	}
	if len(r.Modules) != 0 {
		t.Errorf("loadRepo() found modules %v in an empty tree", r.Modules)
	}
}
