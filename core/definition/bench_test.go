package definition

import (
	"fmt"
	"os"
	"runtime"
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

// BenchmarkNesting measures Parse on hostile definitions (see hostile) of
// at least 16 KiB whose values nest 10 levels deep, as deep as MaxDepth
// allows, and 1000 levels deep, past the limit, where Parse only rejects
// the file. Each input is also given to the bare TOML parser in the same
// run: besides ns/op, B/op and allocs/op, each sub-benchmark reports its
// time and allocated bytes per KB of input, and the parse sub-benchmark its
// time and bytes as a multiple of toml.Decode's (x-toml-ns, x-toml-B).
//
//	go test ./definition -run '^$' -bench Nesting -benchtime 20x
func BenchmarkNesting(b *testing.B) {
	opts := Options{Kinds: []string{"native", "script"}, LookupEnv: func(name string) (string, bool) { return "x", name == "X" }}
	for _, shape := range shapes {
		for _, depth := range []int{10, MaxDepth, 1000} {
			text := hostile(shape, depth, 16<<10)
			var bare cost
			b.Run(fmt.Sprintf("%s/depth=%d/toml", shape, depth), func(b *testing.B) {
				bare = measure(b, text, func() {
					var m map[string]any
					if _, err := toml.Decode(string(text), &m); err != nil {
						b.Fatal(err)
					}
				})
			})
			b.Run(fmt.Sprintf("%s/depth=%d/parse", shape, depth), func(b *testing.B) {
				c := measure(b, text, func() {
					_, err := Parse("service.toml", text, opts)
					if (err == nil) != (depth <= MaxDepth) {
						b.Fatalf("depth %d: %v", depth, err)
					}
				})
				if bare.ns > 0 {
					b.ReportMetric(c.ns/bare.ns, "x-toml-ns")
					b.ReportMetric(c.bytes/bare.bytes, "x-toml-B")
				}
			})
		}
	}
}

// cost is what one call of a benchmarked function took, on average.
type cost struct{ ns, bytes float64 }

// measure runs f in b's loop and reports its cost per KB of text.
func measure(b *testing.B, text []byte, f func()) cost {
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for b.Loop() {
		f()
	}
	runtime.ReadMemStats(&after)
	n, kb := float64(b.N), float64(len(text))/1024
	c := cost{ns: float64(b.Elapsed().Nanoseconds()) / n, bytes: float64(after.TotalAlloc-before.TotalAlloc) / n}
	b.ReportMetric(c.ns/kb, "ns/KB")
	b.ReportMetric(c.bytes/kb, "B/KB")
	return c
}
