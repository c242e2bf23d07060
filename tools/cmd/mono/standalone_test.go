package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/mod/modfile"
)

// parseMod parses go.mod contents for a test.
func parseMod(t *testing.T, data string) *modfile.File {
	t.Helper()
	f, err := modfile.Parse("go.mod", []byte(data), nil)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestMissingRequirements(t *testing.T) {
	siblingVersion := func(p string) (string, bool) {
		if strings.HasPrefix(p, repoPath+"/") {
			return "v0.3.0", true
		}
		return "", false
	}
	tests := []struct {
		name          string
		before, after string
		want          []string
	}{
		{
			name:   "complete",
			before: "module m\nrequire example.com/a v1.0.0\n",
			after:  "module m\nrequire example.com/a v1.0.0\n",
		},
		{
			name:   "added direct and indirect",
			before: "module m\n",
			after:  "module m\nrequire example.com/a v1.0.0\nrequire example.com/b v1.1.0 // indirect\n",
			want:   []string{"require example.com/a v1.0.0", "require example.com/b v1.1.0 // indirect"},
		},
		{
			name:   "raised",
			before: "module m\nrequire example.com/a v1.0.0\n",
			after:  "module m\nrequire example.com/a v1.2.0\n",
			want:   []string{"require example.com/a v1.2.0 (requires v1.0.0)"},
		},
		{
			name:   "lowered or removed requirements are not missing",
			before: "module m\nrequire (\n\texample.com/a v1.2.0\n\texample.com/b v1.0.0\n)\n",
			after:  "module m\nrequire example.com/a v1.0.0\n",
		},
		{
			name:   "sibling gets its manifest version",
			before: "module m\n",
			after:  "module m\nrequire github.com/mikros-go/mikros/core v0.0.0-00010101000000-000000000000\n",
			want:   []string{"require github.com/mikros-go/mikros/core v0.3.0"},
		},
		{
			name:   "sibling already required",
			before: "module m\nrequire github.com/mikros-go/mikros/core v0.1.0\n",
			after:  "module m\nrequire github.com/mikros-go/mikros/core v0.2.0\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := missingRequirements(parseMod(t, tt.before), parseMod(t, tt.after), siblingVersion)
			if !slices.Equal(got, tt.want) {
				t.Errorf("missingRequirements() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestMissingSumLines(t *testing.T) {
	tests := []struct {
		name          string
		before, after string
		want          []string
	}{
		{name: "none before", after: "a v1 h1:x\na v1/go.mod h1:y\n", want: []string{"a v1 h1:x", "a v1/go.mod h1:y"}},
		{name: "complete", before: "a v1 h1:x\n", after: "a v1 h1:x\n"},
		{name: "extra lines before", before: "a v1 h1:x\nb v2 h1:z\n", after: "a v1 h1:x\n"},
		{name: "some missing", before: "a v1/go.mod h1:y\n", after: "a v1 h1:x\na v1/go.mod h1:y", want: []string{"a v1 h1:x"}},
	}
	for _, tt := range tests {
		got := missingSumLines([]byte(tt.before), []byte(tt.after))
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: missingSumLines() = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestModuleFileError(t *testing.T) {
	tests := []struct {
		output string
		want   bool
	}{
		{"x.go:3:8: missing go.sum entry for module providing package example.com/a (imported by m); to add:", true},
		{"x.go:4:8: no required module provides package example.com/a; to add it:", true},
		{"go: updates to go.mod needed; to update it:\n\tgo mod tidy", true},
		{"--- FAIL: TestX (0.00s)\nFAIL\tm\t0.01s", false},
		{"./x.go:2:23: undefined: y", false},
	}
	for _, tt := range tests {
		if got := moduleFileError(tt.output); got != tt.want {
			t.Errorf("moduleFileError(%q) = %v, want %v", tt.output, got, tt.want)
		}
	}
}

// TestStandaloneModule builds fixture modules on their own, offline: one
// that is complete and one whose go.mod forgets a sibling it imports.
func TestStandaloneModule(t *testing.T) {
	t.Setenv("GOPROXY", "off")
	t.Setenv("GOFLAGS", "-mod=mod") // must not let the build rewrite go.mod
	root := copyFixture(t, "good")
	// kinds/script imports features/logger; drop the requirement.
	writeFile(t, root, "kinds/script/go.mod", "module github.com/mikros-go/mikros/kinds/script\n\ngo 1.26.0\n\n"+
		"require github.com/mikros-go/mikros/core v0.1.0\n")
	r, err := loadRepo(root)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("complete", func(t *testing.T) {
		var out bytes.Buffer
		if err := standaloneModule(t.Context(), r, r.Module("features/logger"), &out, &out); err != nil {
			t.Fatalf("standaloneModule(features/logger) = %v; output:\n%s", err, &out)
		}
		for _, want := range []string{
			"replace github.com/mikros-go/mikros/core => core\n",
			"$ go test -count=1 ./...\n",
			"ok  \tgithub.com/mikros-go/mikros/features/logger",
		} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("output lacks %q:\n%s", want, &out)
			}
		}
	})

	t.Run("no packages", func(t *testing.T) {
		var out bytes.Buffer
		if err := standaloneModule(t.Context(), r, r.Module("tools"), &out, &out); err != nil {
			t.Fatalf("standaloneModule(tools) = %v; output:\n%s", err, &out)
		}
		if want := "no Go packages; nothing to do\n"; !strings.HasSuffix(out.String(), want) {
			t.Errorf("output does not end with %q:\n%s", want, &out)
		}
	})

	t.Run("missing requirement", func(t *testing.T) {
		var out bytes.Buffer
		err := standaloneModule(t.Context(), r, r.Module("kinds/script"), &out, &out)
		if err == nil || !strings.Contains(err.Error(), "go build ./...") {
			t.Fatalf("standaloneModule(kinds/script) = %v, want go build to fail; output:\n%s", err, &out)
		}
		want := "kinds/script: go.mod and go.sum are incomplete; with siblings replaced by their directories, go mod tidy adds:\n" +
			"    kinds/script/go.mod: require github.com/mikros-go/mikros/features/logger v0.2.0\n"
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks\n%s\ngot:\n%s", want, &out)
		}
		if data, _ := os.ReadFile(filepath.Join(root, "kinds/script/go.mod")); strings.Contains(string(data), "logger") {
			t.Errorf("standalone modified the module in the tree:\n%s", data)
		}
	})
}
