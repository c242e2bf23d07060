package definition

import (
	"os"
	"testing"

	"github.com/BurntSushi/toml"
)

// BenchmarkParse compares reading the conformance suite's fullest valid
// file with the bare TOML parser (into a map, no checks) and with Parse
// (every check, environment references, positions only on problems).
func BenchmarkParse(b *testing.B) {
	text, err := os.ReadFile("testdata/conformance/valid-native-full.toml")
	if err != nil {
		b.Fatal(err)
	}
	opts := Options{
		Kinds:     []string{"native", "script"},
		LookupEnv: func(name string) (string, bool) { return "jobs", name == "WORKER_QUEUE" },
	}
	b.Run("bare", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var m map[string]any
			if _, err := toml.Decode(string(text), &m); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("mikros", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Parse("service.toml", text, opts); err != nil {
				b.Fatal(err)
			}
		}
	})
}
