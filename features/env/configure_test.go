package env_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/mikros-go/mikros/core"
	"github.com/mikros-go/mikros/core/definition"
	"github.com/mikros-go/mikros/features/env"
)

// TestConfigure checks the [features.env] table strictly.
func TestConfigure(t *testing.T) {
	tests := []struct {
		name string
		rest string // the definition after identity
		want []string
	}{
		{"no settings", "\n[features.env]\nenabled = true\n", nil},
		{"an empty list", table(), nil},
		{"names", table("WORKERS", "_PRIVATE", "TIMEOUT_2"), nil},
		{"not a name", table("workers", "9LIVES", "A-B"), []string{
			`service.toml:8:1: features.env.optional: "workers" is not a variable name (uppercase letters, digits and '_'; did you mean "WORKERS"?)`,
			`service.toml:8:1: features.env.optional: "9LIVES" is not a variable name (uppercase letters, digits and '_', like "WORKERS")`,
			`service.toml:8:1: features.env.optional: "A-B" is not a variable name (uppercase letters, digits and '_', like "WORKERS")`,
		}},
		{"listed twice", table("WORKERS", "TIMEOUT", "WORKERS"), []string{
			`service.toml:8:1: features.env.optional: WORKERS is listed more than once`,
		}},
		{"also in envs", `envs = ["DATABASE_URL"]` + table("DATABASE_URL"), []string{
			`service.toml:8:1: features.env.optional: DATABASE_URL is also in envs, which requires it to be set; list it in one of the two`,
		}},
		{"not an array", "\n[features.env]\nenabled = true\noptional = \"WORKERS\"\n", []string{
			`service.toml:8:1: features.env.optional: must be an array, not a string ("WORKERS")`,
		}},
		{"not strings", "\n[features.env]\nenabled = true\noptional = [\"A\", 1, \"b\"]\n", []string{
			`service.toml:8:1: features.env.optional.1: must be a string, not an integer (1)`,
			`service.toml:8:1: features.env.optional: "b" is not a variable name (uppercase letters, digits and '_'; did you mean "B"?)`,
		}},
		{"unknown key", "\n[features.env]\nenabled = true\noptionals = [\"A\"]\n", []string{
			`service.toml:8:1: features.env: unknown key "optionals" (did you mean "optional"?)`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vars := map[string]string{"DATABASE_URL": "postgres://db/orders"}
			def, err := definition.Parse("service.toml", []byte(identity+tt.rest), definition.Options{LookupEnv: lookup(vars)})
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			f := env.New()
			err = f.Configure(&core.Setup{Definition: def, Settings: def.Features[env.Name].Settings, LookupEnv: lookup(vars)})
			if got := lines(err); !slices.Equal(got, tt.want) {
				t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			var ps definition.Problems
			if err != nil && !errorsAs(err, &ps) {
				t.Errorf("the error is a %T, not definition.Problems", err)
			}
		})
	}
}
