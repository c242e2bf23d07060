package definition_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/mikros-go/mikros/core/definition"
)

// Bounds on what one Parse may cost, far above what it takes: Parse's
// time and memory grow in proportion to the text (the TOML parser
// allocates up to about 1.3 KB per byte of nested inline tables at
// MaxDepth; Parse adds a tenth), so a blowup in either fails the input that
// shows it, without flaking on a loaded machine.
const (
	fuzzBytesPerByte = 8 << 10
	fuzzBytesBase    = 4 << 20
	fuzzTimePerByte  = 100 * time.Microsecond
	fuzzTimeBase     = 2 * time.Second
)

// deepSeeds are definitions nested as deep as MaxDepth allows and one level
// deeper, in every way of nesting, a thousand levels deep, and files of
// MaxSize bytes and one more.
func deepSeeds() [][]byte {
	const head = "name = \"deep\"\ntypes = [\"native\"]\nversion = \"v1.0.0\"\nproduct = \"demo\"\n"
	var seeds [][]byte
	for _, depth := range []int{definition.MaxDepth, definition.MaxDepth + 1, 1000} {
		n := depth - 2 // [service] and the key are two levels
		seeds = append(seeds,
			[]byte(head+"[service]\nx = "+strings.Repeat("[", n)+"1"+strings.Repeat("]", n)+"\n"),
			[]byte(head+"[service]\nx = "+strings.Repeat("{a=", n)+"1"+strings.Repeat("}", n)+"\n"),
			[]byte(head+"[service]\nx = "+strings.Repeat("[{a=", n/2)+"1"+strings.Repeat("}]", n/2)+"\n"),
			[]byte(head+"[service"+strings.Repeat(".a", n)+"]\nk = 1\n"),
			[]byte(head+"[[service"+strings.Repeat(".a", n-1)+"]]\nk = 1\n"),
			[]byte(head+"service.x"+strings.Repeat(".a", n)+" = 1\n"),
		)
	}
	for _, size := range []int{definition.MaxSize, definition.MaxSize + 1} {
		text := head + "#"
		seeds = append(seeds, []byte(text+strings.Repeat("x", size-len(text)-1)+"\n"))
	}
	return seeds
}

// FuzzParse checks that Parse never panics, returns a definition or a
// Problems error, places every problem inside the file, and takes no more
// time and memory than bounds in proportion to the text's length. Its
// seeds are every case in testdata, deepSeeds, and the crashers found
// before (in testdata/fuzz/FuzzParse).
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
	for _, seed := range deepSeeds() {
		f.Add(seed)
	}
	env := map[string]string{"DB_URL": "postgres://db", "QUEUE": "", "MIKROS_ADMIN_PORT": "9090", "MIKROS_NATIVE_PORT": "x"}
	opts := definition.Options{
		Kinds:   kinds,
		Aliases: aliases,
		Alone:   alone,
		LookupEnv: func(name string) (string, bool) {
			v, ok := env[name]
			return v, ok
		},
	}
	f.Fuzz(func(t *testing.T, text []byte) {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		start := time.Now()
		def, err := definition.Parse("service.toml", text, opts)
		took := time.Since(start)
		runtime.ReadMemStats(&after)
		if n, most := after.TotalAlloc-before.TotalAlloc, uint64(fuzzBytesBase+fuzzBytesPerByte*len(text)); n > most {
			t.Fatalf("Parse of %d bytes allocated %d bytes, more than %d: %s", len(text), n, most, show(text))
		}
		if most := fuzzTimeBase + fuzzTimePerByte*time.Duration(len(text)); took > most {
			t.Fatalf("Parse of %d bytes took %s, more than %s: %s", len(text), took, most, show(text))
		}
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
		// Nesting is counted as written, which never counts more levels
		// than the parsed tree has: a small text said to be too deep must
		// be (the TOML parser's work on a large one is what the limit
		// spares).
		if len(ps) == 1 && strings.Contains(ps[0].Message, "nested too deeply") && len(text) <= 1024 {
			var tree map[string]any
			if _, err := toml.Decode(string(text), &tree); err == nil && depth(tree) <= definition.MaxDepth {
				t.Fatalf("rejected as nested too deeply, but its tree is %d levels deep: %s", depth(tree), show(text))
			}
		}
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

// show quotes a failing input, its start only when it is long (the fuzzer
// keeps the whole of it in testdata/fuzz).
func show(text []byte) string {
	if len(text) > 512 {
		return fmt.Sprintf("%q... (%d bytes)", text[:512], len(text))
	}
	return fmt.Sprintf("%q", text)
}

// depth is how many tables and arrays deep v's deepest value stands, its
// own levels included (a key of the document is one level deep).
func depth(v any) int {
	deepest := 0
	switch v := v.(type) {
	case map[string]any:
		for _, e := range v {
			deepest = max(deepest, depth(e))
		}
	case []any:
		for _, e := range v {
			deepest = max(deepest, depth(e))
		}
	case []map[string]any:
		for _, e := range v {
			deepest = max(deepest, depth(e))
		}
	default:
		return 0
	}
	return deepest + 1
}
