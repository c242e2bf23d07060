package definition_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/mikros-go/mikros/core/definition"
)

// FuzzParse checks that Parse never panics, returns a definition or a
// Problems error, and places every problem inside the file. Its seeds are
// every case in testdata (testdata/fuzz/FuzzParse keeps crashers found
// before).
func FuzzParse(f *testing.F) {
	for _, dir := range caseDirs {
		files, err := filepath.Glob(filepath.Join(dir, "*.toml"))
		if err != nil {
			f.Fatal(err)
		}
		for _, file := range files {
			text, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(text)
		}
	}
	env := map[string]string{"DB_URL": "postgres://db", "QUEUE": "", "MIKROS_ADMIN_PORT": "9090", "MIKROS_NATIVE_PORT": "x"}
	opts := definition.Options{
		Kinds: []string{"native", "script"},
		LookupEnv: func(name string) (string, bool) {
			v, ok := env[name]
			return v, ok
		},
	}
	f.Fuzz(func(t *testing.T, text []byte) {
		def, err := definition.Parse("service.toml", text, opts)
		lines := bytes.Count(text, []byte("\n")) + 1
		var ps definition.Problems
		switch {
		case err == nil && def == nil:
			t.Fatal("neither a definition nor an error")
		case err != nil && !errors.As(err, &ps):
			t.Fatalf("the error is a %T, not Problems: %v", err, err)
		case err != nil && len(ps) == 0:
			t.Fatal("an error with no problem in it")
		}
		check := func(what string, ps definition.Problems) {
			for _, p := range ps {
				if p.Line < 0 || p.Line > lines || p.Col < 0 || (p.Line == 0 && p.Col != 0) {
					t.Errorf("%s %q is placed at %d:%d, outside the file's %d lines", what, p.Message, p.Line, p.Col, lines)
				}
				if p.File != "service.toml" || p.Message == "" {
					t.Errorf("%s without a file or a message: %+v", what, p)
				}
			}
		}
		check("problem", ps)
		if def == nil {
			return
		}
		check("warning", def.Warnings)
		// The sections a valid or invalid definition hands on must be
		// safe to use.
		sections := []definition.Section{def.Service}
		for _, ft := range def.Features {
			sections = append(sections, ft.Settings)
		}
		for _, s := range def.Services {
			sections = append(sections, s)
		}
		for _, s := range def.Clients {
			sections = append(sections, s)
		}
		for _, s := range sections {
			var m map[string]any
			if err := s.Decode(&m); err != nil {
				t.Errorf("%s: decoding into a map: %v", s.Path(), err)
			}
			var strict struct{ Name string }
			if err := s.Decode(&strict); err != nil {
				if !errors.As(err, &ps) {
					t.Errorf("%s: Decode returned a %T", s.Path(), err)
				}
				check("decode problem", ps)
			}
			s.Redacted()
			if s.Present() {
				check("section problem", definition.Problems{s.Problem("x.y", "m")})
			}
		}
	})
}
