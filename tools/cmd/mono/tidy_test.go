package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// goodVersions is siblingVersions for the good fixture as seen from a
// module that requires no sibling.
func goodVersions(t *testing.T) func(string) (string, bool) {
	t.Helper()
	r := loadFixture(t, "good")
	return siblingVersions(r, &Module{Dir: "elsewhere"})
}

func TestRestoreModFile(t *testing.T) {
	const root = "/repo"
	reps := []replacement{
		{Path: "github.com/mikros-go/mikros/core", Dir: "core"},
		{Path: "github.com/mikros-go/mikros/tools", Dir: "tools"},
	}
	tests := []struct {
		name     string
		original string // m's go.mod, given to withReplacements
		tidied   string // appended to the copy's go.mod, as if go mod tidy had added it
		want     string
	}{
		{
			name:     "round trip",
			original: "module github.com/mikros-go/mikros/kinds/script\n\ngo 1.26.0\n\nrequire github.com/mikros-go/mikros/core v0.1.0\n",
			want:     "module github.com/mikros-go/mikros/kinds/script\n\ngo 1.26.0\n\nrequire github.com/mikros-go/mikros/core v0.1.0\n",
		},
		{
			name: "round trip with comments and blocks",
			original: "// The script kind.\nmodule github.com/mikros-go/mikros/kinds/script\n\ngo 1.26.0\n\n" +
				"require (\n\tgithub.com/mikros-go/mikros/core v0.1.0 // core\n\texample.com/a v1.0.0\n)\n\n" +
				"require example.com/b v1.1.0 // indirect\n",
			want: "// The script kind.\nmodule github.com/mikros-go/mikros/kinds/script\n\ngo 1.26.0\n\n" +
				"require (\n\tgithub.com/mikros-go/mikros/core v0.1.0 // core\n\texample.com/a v1.0.0\n)\n\n" +
				"require example.com/b v1.1.0 // indirect\n",
		},
		{
			name:     "other replace directives stay",
			original: "module m\n\ngo 1.26.0\n\nreplace example.com/a => /src/a\n",
			tidied:   "replace github.com/mikros-go/mikros/features/logger => /elsewhere/logger\n",
			want: "module m\n\ngo 1.26.0\n\nreplace example.com/a => /src/a\n\n" +
				"replace github.com/mikros-go/mikros/features/logger => /elsewhere/logger\n",
		},
		{
			name:     "added siblings get their manifest version",
			original: "module m\n\ngo 1.26.0\n",
			tidied: "require (\n\tgithub.com/mikros-go/mikros/features/logger v0.0.0-00010101000000-000000000000\n" +
				"\tgithub.com/mikros-go/mikros/core v0.0.0-00010101000000-000000000000 // indirect\n)\n",
			want: "module m\n\ngo 1.26.0\n\nrequire (\n\tgithub.com/mikros-go/mikros/features/logger v0.2.0\n" +
				"\tgithub.com/mikros-go/mikros/core v0.1.0 // indirect\n)\n",
		},
		{
			name:     "a sibling at the wrong version is set to the manifest's",
			original: "module m\n\ngo 1.26.0\n\nrequire github.com/mikros-go/mikros/core v0.0.9\n",
			want:     "module m\n\ngo 1.26.0\n\nrequire github.com/mikros-go/mikros/core v0.1.0\n",
		},
		{
			name:     "an unreleased sibling gets v0.0.0",
			original: "module m\n\ngo 1.26.0\n",
			tidied:   "require github.com/mikros-go/mikros/tools v0.0.0-00010101000000-000000000000\n",
			want:     "module m\n\ngo 1.26.0\n\nrequire github.com/mikros-go/mikros/tools v0.0.0\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			copied, err := withReplacements(parseMod(t, tt.original), root, reps)
			if err != nil {
				t.Fatal(err)
			}
			got, err := restoreModFile(append(copied, tt.tidied...), "go.mod", root, reps, goodVersions(t))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("restoreModFile() =\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestSiblingVersions(t *testing.T) {
	r := loadFixture(t, "good")
	// bench requires tools, which versions.yaml does not list.
	writeFile(t, r.Root, "bench/go.mod", "module github.com/mikros-go/mikros/bench\n\ngo 1.26.0\n\n"+
		"require github.com/mikros-go/mikros/tools v0.0.0-20260101000000-0123456789ab\n")
	r, err := loadRepo(r.Root)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		module, path string
		want         string
		ok           bool
	}{
		{"bench", "github.com/mikros-go/mikros/features/logger", "v0.2.0", true},
		{"bench", "github.com/mikros-go/mikros/tools", "v0.0.0-20260101000000-0123456789ab", true},
		{"core", "github.com/mikros-go/mikros/tools", "v0.0.0", true},
		{"core", "github.com/mikros-go/mikros/core", "", false}, // the module itself
		{"core", "github.com/mikros-go/mikros/features/gone", "", false},
		{"core", "github.com/BurntSushi/toml", "", false},
	}
	for _, tt := range tests {
		v, ok := siblingVersions(r, r.Module(tt.module))(tt.path)
		if v != tt.want || ok != tt.ok {
			t.Errorf("siblingVersions(%s)(%s) = %q, %v; want %q, %v", tt.module, tt.path, v, ok, tt.want, tt.ok)
		}
	}
}

func TestModChanges(t *testing.T) {
	tests := []struct {
		name          string
		before, after string
		want          []string
	}{
		{name: "same", before: "module m\ngo 1.26.0\nrequire example.com/a v1.0.0\n",
			after: "module m\n\ngo 1.26.0\n\nrequire (\n\texample.com/a v1.0.0\n)\n"},
		{
			name:   "added, removed, raised and made direct",
			before: "module m\nrequire (\n\texample.com/b v1.0.0\n\texample.com/c v1.0.0 // indirect\n\texample.com/d v1.0.0\n)\n",
			after:  "module m\nrequire (\n\texample.com/a v1.0.0 // indirect\n\texample.com/b v1.1.0\n\texample.com/c v1.0.0\n)\n",
			want: []string{
				"+ require example.com/a v1.0.0 // indirect",
				"- require example.com/b v1.0.0",
				"+ require example.com/b v1.1.0",
				"- require example.com/c v1.0.0 // indirect",
				"+ require example.com/c v1.0.0",
				"- require example.com/d v1.0.0",
			},
		},
		{
			name:   "go and toolchain lines",
			before: "module m\ngo 1.26.0\n",
			after:  "module m\ngo 1.27.0\ntoolchain go1.27.1\n",
			want:   []string{"- go 1.26.0", "+ go 1.27.0", "+ toolchain go1.27.1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := modChanges(parseMod(t, tt.before), parseMod(t, tt.after))
			if !slices.Equal(got, tt.want) {
				t.Errorf("modChanges() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestLineChanges(t *testing.T) {
	tests := []struct {
		a, b string
		want []string
	}{
		{a: "x\ny\n", b: "x\ny\n"},
		{a: "x\n\ny\n", b: "x\ny\n"}, // blank lines are not shown
		{a: "a\nb\nc\n", b: "a\nc\nd\n", want: []string{"- b", "+ d"}},
		{
			a:    "require (\n\tx v1\n\ty v1 // indirect\n)\n",
			b:    "require x v1\n\nrequire y v1 // indirect\n",
			want: []string{"- require (", "- \tx v1", "- \ty v1 // indirect", "- )", "+ require x v1", "+ require y v1 // indirect"},
		},
	}
	for _, tt := range tests {
		if got := lineChanges(tt.a, tt.b); !slices.Equal(got, tt.want) {
			t.Errorf("lineChanges(%q, %q) = %q, want %q", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestTidyResultDescribe(t *testing.T) {
	const mod = "module m\n\ngo 1.26.0\n"
	tests := []struct {
		name          string
		before, after modFiles
		want          []string
	}{
		{name: "unchanged", before: modFiles{Mod: []byte(mod)}, after: modFiles{Mod: []byte(mod)}},
		{
			name:   "blank lines",
			before: modFiles{Mod: []byte("module m\n\n\ngo 1.26.0\n")},
			after:  modFiles{Mod: []byte(mod)},
			want:   []string{"x/go.mod: blank lines change"},
		},
		{
			name:   "go.sum lines",
			before: modFiles{Mod: []byte(mod), Sum: []byte("a v1 h1:x\nb v1 h1:y\n"), HasSum: true},
			after:  modFiles{Mod: []byte(mod), Sum: []byte("a v1 h1:x\nc v1 h1:z\n"), HasSum: true},
			want:   []string{"x/go.sum: - b v1 h1:y", "x/go.sum: + c v1 h1:z"},
		},
		{
			name:   "go.sum created",
			before: modFiles{Mod: []byte(mod)},
			after:  modFiles{Mod: []byte(mod), Sum: []byte("a v1 h1:x\n"), HasSum: true},
			want:   []string{"x/go.sum: + a v1 h1:x"},
		},
		{
			name:   "empty go.sum created",
			before: modFiles{Mod: []byte(mod)},
			after:  modFiles{Mod: []byte(mod), Sum: []byte{}, HasSum: true},
			want:   []string{"x/go.sum: created, empty"},
		},
		{
			name:   "go.sum removed",
			before: modFiles{Mod: []byte(mod), Sum: []byte{}, HasSum: true},
			after:  modFiles{Mod: []byte(mod)},
			want:   []string{"x/go.sum: removed"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := &tidyResult{Dir: "x", Before: tt.before, After: tt.after}
			if got := res.describe(); !slices.Equal(got, tt.want) {
				t.Errorf("describe() = %q, want %q", got, tt.want)
			}
			if changed := len(res.changedFiles()) > 0; changed != (len(tt.want) > 0) {
				t.Errorf("changedFiles() = %q", res.changedFiles())
			}
		})
	}
}

func TestTidyOrder(t *testing.T) {
	r := loadFixture(t, "good")
	tests := []struct {
		dirs []string
		want []string
	}{
		{
			dirs: []string{"bench", "core", "examples/script", "features/logger", "kinds/script", "tools"},
			want: []string{"bench", "core", "features/logger", "kinds/script", "examples/script", "tools"},
		},
		// examples/script comes after core, which it requires through
		// kinds/script even though kinds/script is not being tidied.
		{dirs: []string{"examples/script", "tools", "core"}, want: []string{"core", "examples/script", "tools"}},
		{dirs: []string{"tools", "bench"}, want: []string{"tools", "bench"}},
	}
	for _, tt := range tests {
		var mods []*Module
		for _, d := range tt.dirs {
			mods = append(mods, r.Module(d))
		}
		var got []string
		for _, m := range tidyOrder(r, mods) {
			got = append(got, m.Dir)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("tidyOrder(%q) = %q, want %q", tt.dirs, got, tt.want)
		}
	}
}

// TestCmdTidy tidies modules of the good fixture that have been made untidy
// in various ways. The fixture has no third-party dependencies, so the go
// command works offline.
func TestCmdTidy(t *testing.T) {
	t.Setenv("GOPROXY", "off")
	t.Setenv("GOFLAGS", "-mod=mod") // must not let tidy change how go.mod is treated
	tests := []struct {
		name    string
		dir     string
		files   map[string]string // files to write into the fixture, relative to the module
		want    string            // go.mod after tidying
		changes []string          // lines that describe the changes
	}{
		{
			name: "tidy",
			dir:  "features/logger",
			want: "module github.com/mikros-go/mikros/features/logger\n\ngo 1.26.0\n\n" +
				"require github.com/mikros-go/mikros/core v0.1.0\n",
		},
		{
			name: "missing sibling requirement",
			dir:  "kinds/script",
			files: map[string]string{"go.mod": "module github.com/mikros-go/mikros/kinds/script\n\ngo 1.26.0\n\n" +
				"require github.com/mikros-go/mikros/core v0.1.0\n"},
			want: "module github.com/mikros-go/mikros/kinds/script\n\ngo 1.26.0\n\n" +
				"require github.com/mikros-go/mikros/features/logger v0.2.0\n\n" +
				"require github.com/mikros-go/mikros/core v0.1.0 // indirect\n",
			changes: []string{
				"kinds/script/go.mod: - require github.com/mikros-go/mikros/core v0.1.0",
				"kinds/script/go.mod: + require github.com/mikros-go/mikros/core v0.1.0 // indirect",
				"kinds/script/go.mod: + require github.com/mikros-go/mikros/features/logger v0.2.0",
			},
		},
		{
			name: "missing indirect requirements",
			dir:  "examples/script",
			files: map[string]string{"go.mod": "module github.com/mikros-go/mikros/examples/script\n\ngo 1.26.0\n\n" +
				"require github.com/mikros-go/mikros/kinds/script v1.0.0-rc.1\n"},
			want: "module github.com/mikros-go/mikros/examples/script\n\ngo 1.26.0\n\n" +
				"require github.com/mikros-go/mikros/kinds/script v1.0.0-rc.1\n\n" +
				"require (\n\tgithub.com/mikros-go/mikros/core v0.1.0 // indirect\n" +
				"\tgithub.com/mikros-go/mikros/features/logger v0.2.0 // indirect\n)\n",
			changes: []string{
				"examples/script/go.mod: + require github.com/mikros-go/mikros/core v0.1.0 // indirect",
				"examples/script/go.mod: + require github.com/mikros-go/mikros/features/logger v0.2.0 // indirect",
			},
		},
		{
			name: "unused requirement",
			dir:  "tools",
			files: map[string]string{"go.mod": "module github.com/mikros-go/mikros/tools\n\ngo 1.26.0\n\n" +
				"require github.com/mikros-go/mikros/core v0.1.0\n"},
			want:    "module github.com/mikros-go/mikros/tools\n\ngo 1.26.0\n",
			changes: []string{"tools/go.mod: - require github.com/mikros-go/mikros/core v0.1.0"},
		},
		{
			name: "unreleased sibling",
			dir:  "bench",
			files: map[string]string{
				"tools/tools.go": "// Package tools is a fixture package.\npackage tools\n",
				"bench/bench.go": "// Package bench is a fixture package.\npackage bench\n\nimport _ \"github.com/mikros-go/mikros/tools\"\n",
			},
			want: "module github.com/mikros-go/mikros/bench\n\ngo 1.26.0\n\n" +
				"require github.com/mikros-go/mikros/tools v0.0.0\n",
			changes: []string{"bench/go.mod: + require github.com/mikros-go/mikros/tools v0.0.0"},
		},
		{
			name:    "layout",
			dir:     "core",
			files:   map[string]string{"go.mod": "module github.com/mikros-go/mikros/core\n\n\ngo   1.26.0\n"},
			want:    "module github.com/mikros-go/mikros/core\n\ngo 1.26.0\n",
			changes: []string{"core/go.mod: - go   1.26.0", "core/go.mod: + go 1.26.0"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := copyFixture(t, "good")
			for name, data := range tt.files {
				if !strings.Contains(name, "/") || strings.HasPrefix(name, "go.") {
					name = tt.dir + "/" + name
				}
				writeFile(t, root, name, data)
			}
			r, err := loadRepo(root)
			if err != nil {
				t.Fatal(err)
			}
			gomod := filepath.Join(root, filepath.FromSlash(tt.dir), "go.mod")
			original, err := os.ReadFile(gomod)
			if err != nil {
				t.Fatal(err)
			}
			mods := []*Module{r.Module(tt.dir)}

			var stdout, stderr bytes.Buffer
			code := cmdTidy(t.Context(), r, mods, true, &stdout, &stderr)
			wantOut := "==> " + tt.dir + "\n"
			wantCode := exitOK
			if len(tt.changes) == 0 {
				wantOut += "unchanged\n"
			} else {
				wantOut += strings.Join(tt.changes, "\n") + "\nnot tidy: " + tt.dir + "/go.mod\n"
				wantCode = exitFailure
			}
			if code != wantCode || stdout.String() != wantOut {
				t.Errorf("tidy -check = %d, printed\n%s\nwant %d and\n%s\nstderr:\n%s", code, &stdout, wantCode, wantOut, &stderr)
			}
			if data, _ := os.ReadFile(gomod); !bytes.Equal(data, original) {
				t.Errorf("tidy -check changed go.mod:\n%s", data)
			}

			stdout.Reset()
			stderr.Reset()
			code = cmdTidy(t.Context(), r, mods, false, &stdout, &stderr)
			wantOut = strings.Replace(wantOut, "not tidy:", "updated", 1)
			if code != exitOK || stdout.String() != wantOut {
				t.Errorf("tidy = %d, printed\n%s\nwant\n%s\nstderr:\n%s", code, &stdout, wantOut, &stderr)
			}
			if data, _ := os.ReadFile(gomod); string(data) != tt.want {
				t.Errorf("go.mod after tidy =\n%s\nwant\n%s", data, tt.want)
			}
			if _, err := os.Stat(filepath.Join(filepath.Dir(gomod), "go.sum")); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("tidy created a go.sum for a module without dependencies (%v)", err)
			}

			// The tidied module is tidy now.
			r, err = loadRepo(root)
			if err != nil {
				t.Fatal(err)
			}
			stdout.Reset()
			stderr.Reset()
			if code := cmdTidy(t.Context(), r, []*Module{r.Module(tt.dir)}, true, &stdout, &stderr); code != exitOK {
				t.Errorf("tidy -check after tidy = %d; output:\n%s%s", code, &stdout, &stderr)
			}
		})
	}
}

// TestCmdTidyFailure checks that a module that go mod tidy cannot tidy fails
// without stopping the others, and is left alone.
func TestCmdTidyFailure(t *testing.T) {
	t.Setenv("GOPROXY", "off")
	root := copyFixture(t, "good")
	broken := "// Package script is a fixture module.\npackage script\n\nimport _ \"example.com/nowhere\"\n"
	writeFile(t, root, "kinds/script/script.go", broken)
	writeFile(t, root, "tools/go.mod", "module github.com/mikros-go/mikros/tools\n\ngo 1.26.0\n\n"+
		"require github.com/mikros-go/mikros/core v0.1.0\n")
	r, err := loadRepo(root)
	if err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	code := cmdTidy(t.Context(), r, []*Module{r.Module("kinds/script"), r.Module("tools")}, false, &stdout, &stderr)
	if code != exitFailure {
		t.Errorf("tidy = %d, want %d", code, exitFailure)
	}
	for _, want := range []string{
		"FAIL  kinds/script: go mod tidy: ",
		"example.com/nowhere",
		"updated tools/go.mod\n",
	} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("stdout lacks %q:\n%s", want, &stdout)
		}
	}
	if want := "mono tidy: 1 of 2 modules failed: kinds/script\n"; stderr.String() != want {
		t.Errorf("stderr = %q, want %q", &stderr, want)
	}
	data, _ := os.ReadFile(filepath.Join(root, "kinds/script/go.mod"))
	if want, _ := os.ReadFile("testdata/good/kinds/script/go.mod.txt"); !bytes.Equal(data, want) {
		t.Errorf("kinds/script/go.mod changed:\n%s", data)
	}
}

// TestCmdTidyThirdParty tidies a module that requires a third-party module,
// so that its go.sum is written, and then a sibling that requires it. The
// third-party module comes from a file proxy made for the test, into an
// empty module cache, and the checksum database is not asked about it: the
// test needs no network and no warm cache.
func TestCmdTidyThirdParty(t *testing.T) {
	proxy := t.TempDir()
	tiny := fileProxy(t, proxy, proxyModule{
		Path:    "example.com/tiny",
		Version: "v1.2.3",
		Files: map[string]string{
			"go.mod":  "module example.com/tiny\n\ngo 1.26.0\n",
			"tiny.go": "// Package tiny is a third-party module of the tests.\npackage tiny\n",
		},
	})[0]
	offline(t, proxy, "example.com/tiny")

	root := copyFixture(t, "good")
	writeFile(t, root, "core/go.mod", "module github.com/mikros-go/mikros/core\n\ngo 1.26.0\n\n"+
		"require example.com/tiny v1.2.3 // indirect\n")
	writeFile(t, root, "core/tiny.go", "package core\n\nimport _ \"example.com/tiny\"\n")
	r, err := loadRepo(root)
	if err != nil {
		t.Fatal(err)
	}
	res, err := tidyModule(t.Context(), r, r.Module("core"))
	if err != nil {
		t.Fatal(err)
	}
	wantMod := "module github.com/mikros-go/mikros/core\n\ngo 1.26.0\n\nrequire example.com/tiny v1.2.3\n"
	if string(res.After.Mod) != wantMod {
		t.Errorf("tidied go.mod =\n%s\nwant\n%s", res.After.Mod, wantMod)
	}
	if !res.After.HasSum || string(res.After.Sum) != tiny.Sum {
		t.Errorf("tidied go.sum =\n%s\nwant\n%s", res.After.Sum, tiny.Sum)
	}
	if err := res.write(root); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(filepath.Join(root, "core/go.sum")); !bytes.Equal(data, res.After.Sum) {
		t.Errorf("go.sum written =\n%s\nwant\n%s", data, res.After.Sum)
	}

	// A sibling that requires core needs the module's checksums as well.
	r, err = loadRepo(root)
	if err != nil {
		t.Fatal(err)
	}
	res, err = tidyModule(t.Context(), r, r.Module("features/logger"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(res.After.Sum), tiny.Sum) {
		t.Errorf("features/logger's tidied go.sum lacks\n%s\n%s", tiny.Sum, res.After.Sum)
	}
	if want := "features/logger/go.sum"; !slices.Contains(res.changedFiles(), want) {
		t.Errorf("changedFiles() = %q, want %s among them", res.changedFiles(), want)
	}
}

// fakeTidy is what fakeTidier makes of a module: the files that are not
// tidy, or an error.
type fakeTidy struct {
	untidy []string // "go.mod", "go.sum"
	err    error
}

// fakeTidier returns a tidier that answers from outcomes; a module that is
// not listed is tidy.
func fakeTidier(outcomes map[string]fakeTidy) tidier {
	return func(_ context.Context, _ *Repo, m *Module) (*tidyResult, error) {
		o := outcomes[m.Dir]
		if o.err != nil {
			return nil, o.err
		}
		res := &tidyResult{Dir: m.Dir, Before: modFiles{Mod: []byte("module m\n")}}
		res.After = res.Before
		if slices.Contains(o.untidy, "go.mod") {
			res.After.Mod = []byte("module m\n\ngo 1.26.0\n")
		}
		if slices.Contains(o.untidy, "go.sum") {
			res.After.Sum, res.After.HasSum = []byte("a v1 h1:x\n"), true
		}
		return res, nil
	}
}

// fixtureTidy is fake go mod tidy outcomes for the bad fixture. Modules
// that check must not tidy fail, so that a call shows in the problems.
var fixtureTidy = map[string]map[string]fakeTidy{
	"bad": {
		"features/extra":  {untidy: []string{"go.mod", "go.sum"}},
		"features/logger": {err: errors.New("go mod tidy: go: github.com/mikros-go/mikros/features/ghost@v0.1.0: module lookup disabled by GOPROXY=off")},
		"tools":           {untidy: []string{"go.sum"}},
		"core":            {err: errors.New("has a replace directive, so check must not tidy it")},
		"kinds/script":    {err: errors.New("has no readable go.mod, so check must not tidy it")},
	},
}

func TestCheckTidyErrorsAreProblems(t *testing.T) {
	r := loadFixture(t, "good")
	got := checkTidy(t.Context(), r, func(context.Context, *Repo, *Module) (*tidyResult, error) {
		return nil, errors.New("line one\nline two")
	})
	if len(got) != len(r.Modules) {
		t.Fatalf("checkTidy() = %q, want one problem per module", got)
	}
	if want := (Problem{"bench", "cannot tidy: line one; line two"}); got[0] != want {
		t.Errorf("checkTidy()[0] = %q, want %q", got[0], want)
	}
}
