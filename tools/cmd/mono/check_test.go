package main

import (
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden with the problems found")

// pkg builds a listedPackage for fake go list output.
func pkg(importPath, module string, imports ...string) listedPackage {
	p := listedPackage{ImportPath: importPath, Imports: imports, DepOnly: true}
	if module == "" {
		p.Standard = true
	} else {
		p.Module = &struct{ Path string }{module}
	}
	return p
}

// root marks p as a package matched by ./... rather than a dependency.
func root(p listedPackage) listedPackage {
	p.DepOnly = false
	return p
}

const (
	corePath   = "github.com/mikros-go/mikros/core"
	loggerPath = "github.com/mikros-go/mikros/features/logger"
	scriptPath = "github.com/mikros-go/mikros/kinds/script"
	examplePkg = "github.com/mikros-go/mikros/examples/script"
)

// fixtureLists is fake go list output for the guarded modules of the good
// and bad fixtures.
var fixtureLists = map[string]map[string][]listedPackage{
	"good": {
		"core": {
			pkg("strings", ""),
			pkg("github.com/BurntSushi/toml/internal", "github.com/BurntSushi/toml"),
			pkg("github.com/BurntSushi/toml", "github.com/BurntSushi/toml", "github.com/BurntSushi/toml/internal"),
			root(pkg(corePath, corePath, "strings", "github.com/BurntSushi/toml")),
			root(pkg(corePath+"/config", corePath, corePath)),
		},
		"examples/script": {
			pkg("fmt", ""),
			pkg(corePath, corePath),
			pkg(loggerPath, loggerPath, corePath),
			pkg(scriptPath, scriptPath, loggerPath),
			root(pkg(examplePkg, examplePkg, "fmt", scriptPath)),
		},
	},
	"bad": {
		"core": {
			pkg("golang.org/x/text/unicode/norm", "golang.org/x/text"),
			pkg(loggerPath, loggerPath, "golang.org/x/text/unicode/norm"),
			root(pkg(corePath, corePath, loggerPath)),
		},
		"examples/script": {
			pkg("google.golang.org/grpc/codes", "google.golang.org/grpc"),
			pkg("google.golang.org/grpc", "google.golang.org/grpc", "google.golang.org/grpc/codes"),
			pkg("go.opentelemetry.io/otel", "go.opentelemetry.io/otel"),
			pkg("github.com/mikros-go/mikros/kinds/grpc", "github.com/mikros-go/mikros/kinds/grpc",
				"google.golang.org/grpc", "go.opentelemetry.io/otel"),
			root(pkg(examplePkg, examplePkg, "github.com/mikros-go/mikros/kinds/grpc")),
		},
	},
}

// fakeLister returns a lister that answers from lists.
func fakeLister(lists map[string][]listedPackage) lister {
	return func(_ context.Context, _, dir string) ([]listedPackage, error) {
		pkgs, ok := lists[dir]
		if !ok {
			return nil, errors.New("no fake go list output for " + dir)
		}
		return pkgs, nil
	}
}

// TestCheckFixtures checks that the good fixture has no problems and that
// every defect planted in the bad fixture is reported, and nothing else.
func TestCheckFixtures(t *testing.T) {
	for _, name := range []string{"good", "bad"} {
		t.Run(name, func(t *testing.T) {
			r := loadFixture(t, name)
			var got strings.Builder
			for _, p := range runCheck(t.Context(), r, fakeLister(fixtureLists[name]), fakeTidier(fixtureTidy[name])) {
				got.WriteString(p.String() + "\n")
			}
			golden := filepath.Join("testdata", name+".golden")
			if *update {
				if err := os.WriteFile(golden, []byte(got.String()), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if got.String() != string(want) {
				t.Errorf("problems differ from %s (-want +got):\n%s", golden, lineDiff(string(want), got.String()))
			}
		})
	}
}

// lineDiff lists the lines missing from got with "-" and the unexpected
// lines with "+".
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	for _, l := range w {
		if !slices.Contains(g, l) {
			b.WriteString("-" + l + "\n")
		}
	}
	for _, l := range g {
		if !slices.Contains(w, l) {
			b.WriteString("+" + l + "\n")
		}
	}
	if b.Len() == 0 {
		return "(same lines, different order)\n"
	}
	return b.String()
}

func TestCheckMissingFiles(t *testing.T) {
	root := t.TempDir()
	writeFile(t, root, "go.work", "go 1.26.0\n")
	r, err := loadRepo(root)
	if err != nil {
		t.Fatal(err)
	}
	got := runCheck(t.Context(), r, fakeLister(nil), fakeTidier(nil))
	want := []Problem{
		{"core", "module not found; the dependency guard cannot run"},
		{"examples/script", "module not found; the footprint guard cannot run"},
		{"versions.yaml", "missing"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("runCheck() = %q, want %q", got, want)
	}
}

func TestCheckUnreadableManifestAndWork(t *testing.T) {
	root := t.TempDir()
	writeFile(t, root, "go.work", "go 1.26.0\nuse (\n")
	writeFile(t, root, "versions.yaml", "modules: [core]\n")
	r, err := loadRepo(root)
	if err != nil {
		t.Fatal(err)
	}
	work := checkWork(r)
	if len(work) != 1 || work[0].Path != "go.work" || !strings.HasPrefix(work[0].Msg, "line ") {
		t.Errorf("checkWork() = %q, want one go.work parse error", work)
	}
	manifest := checkManifest(r)
	if len(manifest) != 1 || manifest[0].Path != "versions.yaml" || !strings.Contains(manifest[0].Msg, "line 1") {
		t.Errorf("checkManifest() = %q, want one versions.yaml decoding error", manifest)
	}
}

func TestCheckGuardsListError(t *testing.T) {
	r := loadFixture(t, "good")
	got := checkGuards(t.Context(), r, fakeLister(map[string][]listedPackage{
		"core": fixtureLists["good"]["core"],
	}))
	want := []Problem{{"examples/script",
		"footprint guard cannot run: no fake go list output for examples/script"}}
	if !slices.Equal(got, want) {
		t.Errorf("checkGuards() = %q, want %q", got, want)
	}
}

func TestMatchModule(t *testing.T) {
	tests := []struct {
		pattern, path string
		want          bool
	}{
		{"google.golang.org/grpc", "google.golang.org/grpc", true},
		{"google.golang.org/grpc", "google.golang.org/grpc/cmd/protoc-gen-go-grpc", true},
		{"google.golang.org/grpc", "google.golang.org/grpcx", false},
		{"google.golang.org/grpc", "google.golang.org/genproto", false},
		{"go.opentelemetry.io/", "go.opentelemetry.io/otel", true},
		{"go.opentelemetry.io/", "go.opentelemetry.io", false},
		{"github.com/prometheus/", "github.com/prometheus/client_golang", true},
		{"github.com/prometheus/", "github.com/prometheusx/y", false},
	}
	for _, tt := range tests {
		if got := matchModule(tt.pattern, tt.path); got != tt.want {
			t.Errorf("matchModule(%q, %q) = %v, want %v", tt.pattern, tt.path, got, tt.want)
		}
	}
}

func TestEvaluateGuard(t *testing.T) {
	onlyToml := guards[0]
	footprint := guards[1]
	tests := []struct {
		name  string
		guard guard
		pkgs  []listedPackage
		want  []string
	}{
		{
			name:  "standard library and own packages",
			guard: onlyToml,
			pkgs: []listedPackage{
				pkg("fmt", ""),
				root(pkg("m/a", "m", "fmt", "m/b")),
				pkg("m/b", "m"),
			},
		},
		{
			name:  "allowed module",
			guard: onlyToml,
			pkgs: []listedPackage{
				pkg("github.com/BurntSushi/toml", "github.com/BurntSushi/toml"),
				root(pkg("m", "m", "github.com/BurntSushi/toml")),
			},
		},
		{
			name:  "package outside any module",
			guard: onlyToml,
			pkgs: []listedPackage{
				{ImportPath: "example.com/loose", DepOnly: true},
				root(pkg("m", "m", "example.com/loose")),
			},
			want: []string{"core: dependency guard: depends on example.com/loose through m -> example.com/loose; " +
				onlyToml.rule},
		},
		{
			name:  "shortest chain, one problem per module",
			guard: footprint,
			pkgs: []listedPackage{
				pkg("github.com/prometheus/client_golang/prometheus", "github.com/prometheus/client_golang"),
				pkg("github.com/prometheus/client_golang/api", "github.com/prometheus/client_golang",
					"github.com/prometheus/client_golang/prometheus"),
				pkg("m/deep", "m", "m/deeper"),
				pkg("m/deeper", "m", "github.com/prometheus/client_golang/api"),
				root(pkg("m/a", "m", "m/deep")),
				root(pkg("m/b", "m", "github.com/prometheus/client_golang/prometheus")),
			},
			want: []string{"examples/script: footprint guard: depends on github.com/prometheus/client_golang through " +
				"m/b -> github.com/prometheus/client_golang/prometheus; " + footprint.rule},
		},
		{
			name:  "light dependencies",
			guard: footprint,
			pkgs: []listedPackage{
				pkg("go.uber.org/zap", "go.uber.org/zap"),
				root(pkg("m", "m", "go.uber.org/zap")),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, p := range evaluateGuard(tt.guard, tt.pkgs) {
				got = append(got, p.String())
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("evaluateGuard() =\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

// TestGoList runs the real go list in the good fixture, offline, and checks
// that it resolves siblings through the fixture's workspace.
func TestGoList(t *testing.T) {
	t.Setenv("GOPROXY", "off")
	t.Setenv("GOWORK", "off") // goList must use the repository's go.work regardless
	t.Setenv("GOFLAGS", "-mod=mod")
	root := copyFixture(t, "good")
	pkgs, err := goList(t.Context(), root, "kinds/script")
	if err != nil {
		t.Fatal(err)
	}
	byPath := make(map[string]listedPackage)
	for _, p := range pkgs {
		byPath[p.ImportPath] = p
	}
	if p, ok := byPath[scriptPath]; !ok || p.DepOnly {
		t.Errorf("go list output lacks the root package %s", scriptPath)
	}
	if p, ok := byPath[corePath]; !ok || !p.DepOnly || p.Module == nil || p.Module.Path != corePath {
		t.Errorf("go list output lacks the dependency %s from the workspace module core", corePath)
	}
	if p, ok := byPath["strings"]; !ok || !p.Standard {
		t.Errorf("go list output lacks the standard package strings")
	}
	if problems := evaluateGuard(guards[1], pkgs); len(problems) > 0 {
		t.Errorf("evaluateGuard() = %q, want none", problems)
	}
}
