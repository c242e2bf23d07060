package env_test

import (
	"testing"

	cenv "github.com/caarlos0/env/v11"
)

// benchVars is the environment of the orders service (Env in run_test.go).
var benchVars = map[string]string{
	"DATABASE_URL": "postgres://db:5432/orders", "DB_PASSWORD": "hunter2", "DB_PIN": "1234", "TAGS": "a,b,c",
}

// BenchmarkFill measures what the feature adds to a boot: filling Env from
// a valid environment, and from one with three invalid values.
func BenchmarkFill(b *testing.B) {
	rest := `envs = ["DATABASE_URL", "DB_PASSWORD"]` + table("DB_PIN", "WORKERS", "TIMEOUT", "TAGS")
	b.Run("valid", func(b *testing.B) {
		f := configured(b, rest, benchVars, benchVars)
		b.ReportAllocs()
		for b.Loop() {
			var e Env
			if err := f.Fill(&e); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("invalid", func(b *testing.B) {
		bad := map[string]string{"DATABASE_URL": "postgres://db:x/orders", "DB_PASSWORD": "hunter2", "DB_PIN": "x", "WORKERS": "four"}
		f := configured(b, rest, bad, bad)
		b.ReportAllocs()
		for b.Loop() {
			var e Env
			if err := f.Fill(&e); err == nil {
				b.Fatal("no error")
			}
		}
	})
	b.Run("library alone", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var e Env
			if err := cenv.ParseWithOptions(&e, cenv.Options{Environment: benchVars}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
