package env_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/mikros-go/mikros/core/definition"
	"github.com/mikros-go/mikros/features/env"
)

type workers struct {
	Workers int `env:"WORKERS" envDefault:"4"`
}

// TestFillTarget hands Fill what core hands it, and what it must refuse.
func TestFillTarget(t *testing.T) {
	const refused = `service.toml:6:11: features.env: the field tagged mikros:"env" must be a struct (or a pointer to one) whose fields are tagged env:"NAME"; Fill was given `
	var nilPointer *workers
	tests := []struct {
		name   string
		target any
		want   []string
		check  func(t *testing.T, target any)
	}{
		{"pointer to a struct", &workers{}, nil, func(t *testing.T, target any) {
			if got := target.(*workers).Workers; got != 8 {
				t.Errorf("Workers = %d, want 8", got)
			}
		}},
		{"nil pointer to a pointer to a struct", new(*workers), nil, func(t *testing.T, target any) {
			if w := *target.(**workers); w == nil || w.Workers != 8 {
				t.Errorf("got %+v, want Workers 8", w)
			}
		}},
		{"struct", workers{}, []string{refused + "env_test.workers"}, nil},
		{"pointer to an int", new(int), []string{refused + "*int"}, nil},
		{"pointer to a pointer to an int", new(*int), []string{refused + "**int"}, nil},
		{"nil", nil, []string{refused + "nil"}, nil},
		{"nil pointer", nilPointer, []string{refused + "*env_test.workers"}, nil},
		{"string", "WORKERS", []string{refused + "string"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vars := map[string]string{"WORKERS": "8"}
			f := configured(t, table("WORKERS"), vars, vars)
			err := f.Fill(tt.target)
			if got := lines(err); !slices.Equal(got, tt.want) {
				t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			var ps definition.Problems
			var p definition.Problem
			if err != nil && !errors.As(err, &ps) && !errors.As(err, &p) {
				t.Errorf("the error is a %T, not a problem", err)
			}
			if tt.check != nil {
				tt.check(t, tt.target)
			}
		})
	}
}

// TestFillNotConfigured expects Fill to refuse to run before Configure.
func TestFillNotConfigured(t *testing.T) {
	err := env.New().Fill(&workers{})
	if err == nil || !strings.Contains(err.Error(), "not configured") {
		t.Errorf("Fill before Configure: %v, want an error saying it is not configured", err)
	}
}

// TestReadsOnlyDeclared expects the feature to look up the declared
// variables the struct reads, and nothing else: not the process
// environment, not the variables declared for others.
func TestReadsOnlyDeclared(t *testing.T) {
	t.Setenv("WORKERS", "16")
	t.Setenv("TIMEOUT", "1h")
	type Env struct {
		URL     string `env:"DATABASE_URL,required"`
		Workers int    `env:"WORKERS" envDefault:"4"`
		Timeout string `env:"TIMEOUT"`
		Ignored string `env:"-"`
	}
	vars := map[string]string{"DATABASE_URL": "postgres://db/orders", "OTHER": "x", "UNRELATED": "y"}
	var looked []string
	f := configuredWith(t, `envs = ["DATABASE_URL", "OTHER"]`+table("WORKERS", "TIMEOUT"), vars, func(name string) (string, bool) {
		looked = append(looked, name)
		v, ok := vars[name]
		return v, ok
	})
	var e Env
	if err := f.Fill(&e); err != nil {
		t.Fatal(err)
	}
	if want := []string{"DATABASE_URL", "WORKERS", "TIMEOUT"}; !slices.Equal(looked, want) {
		t.Errorf("looked up %v, want %v", looked, want)
	}
	if want := (Env{URL: "postgres://db/orders", Workers: 4}); e != want {
		t.Errorf("got %+v, want %+v (the process environment is not read)", e, want)
	}
}

// setOnce refuses to be set twice: loaded into a field that already holds
// a value it fails, loaded on its own it does not.
type setOnce string

func (s *setOnce) UnmarshalText(b []byte) error {
	if *s != "" {
		return errors.New("already set")
	}
	*s = setOnce(b)
	return nil
}

// TestFillUnexplained expects a problem even when the struct fails to load
// while no variable fails on its own.
func TestFillUnexplained(t *testing.T) {
	type Env struct {
		Name setOnce `env:"NAME"`
	}
	vars := map[string]string{"NAME": "b"}
	f := configured(t, table("NAME"), vars, vars)
	err := f.Fill(&Env{Name: "a"})
	want := []string{"type Env: could not be loaded from the environment, for a reason no single variable explains"}
	if got := lines(err); !slices.Equal(got, want) {
		t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
