package env_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/mikros-go/mikros/core"
	"github.com/mikros-go/mikros/core/definition"
	"github.com/mikros-go/mikros/features/env"
)

// identity is the top of every definition the tests parse.
const identity = `name    = "orders"
types   = ["once"]
version = "v1.0.0"
product = "demo"
`

// lookup reads vars as an environment.
func lookup(vars map[string]string) func(string) (string, bool) {
	return func(name string) (string, bool) {
		v, ok := vars[name]
		return v, ok
	}
}

// configured returns the feature configured for the definition identity +
// rest, parsed with the environment defVars and filling from fillVars, as
// core would hand it over.
func configured(t testing.TB, rest string, defVars, fillVars map[string]string) *env.Feature {
	t.Helper()
	return configuredWith(t, rest, defVars, lookup(fillVars))
}

// configuredWith is configured, with Fill reading its environment through
// fill.
func configuredWith(t testing.TB, rest string, defVars map[string]string, fill func(string) (string, bool)) *env.Feature {
	t.Helper()
	def, err := definition.Parse("service.toml", []byte(identity+rest), definition.Options{LookupEnv: lookup(defVars)})
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	f := env.New()
	setup := &core.Setup{Definition: def, Settings: def.Features[env.Name].Settings, LookupEnv: fill}
	if err := f.Configure(setup); err != nil {
		t.Fatalf("Configure: %v", err)
	}
	return f
}

// table is a [features.env] table that enables the feature with these
// optional variables.
func table(optional ...string) string {
	quoted := make([]string, len(optional))
	for i, o := range optional {
		quoted[i] = `"` + o + `"`
	}
	return "\n[features.env]\nenabled  = true\noptional = [" + strings.Join(quoted, ", ") + "]\n"
}

// lines splits an error's text into its lines; nil for no error.
func lines(err error) []string {
	if err == nil {
		return nil
	}
	return strings.Split(err.Error(), "\n")
}

func errorsAs(err error, target any) bool { return errors.As(err, target) }
