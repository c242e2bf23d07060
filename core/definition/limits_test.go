package definition

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
)

func TestTooDeep(t *testing.T) {
	t.Parallel()
	tests := []struct {
		text string
		at   string // the text from the place found on; "" for none
		path string
	}{
		{text: "a.b.c = 1"},
		{text: "a.b.c.d = 1", at: "d = 1", path: "a.b.c.d"},
		{text: "[a.b]\nc = 1"},
		{text: "[a.b]\nc.d = 1", at: "d = 1", path: "a.b.c.d"},
		{text: "[a.b.c.d]", at: "d]", path: "a.b.c.d"},
		{text: "[a]\n[b.c]\nd = 1\n[e.f]\ng.h = 1", at: "h = 1", path: "e.f.g.h"},
		{text: "a = [[1]]"},
		{text: "a = [[[1]]]", at: "[1]]]", path: "a"},
		{text: "a = [[], [1, 2], []]"},
		{text: "a = [[], [1, [2]], []]", at: "[2]], []]", path: "a"},
		{text: "a = {b = {c = 1}}"},
		{text: "a = {b = {c = {d = 1}}}", at: "d = 1}}}", path: "a"},
		{text: "a = {b.c = 1}"},
		{text: "a = {b.c.d = 1}", at: "d = 1}", path: "a"},
		{text: "a = [{b = 1}]"},
		{text: "a = [{b = [1]}]", at: "[1]}]", path: "a"},
		{text: "[[a.b]]\nc = 1", at: "c = 1", path: "a.b.c"},
		{text: "[[a.b]]"},
		{text: "[[a.b.c]]", at: "[[a.b.c]]", path: "a.b.c"},
		// TOML 1.1: newlines and a trailing comma in an inline table.
		{text: "a = {\n  b = {\n    c = 1,\n  },\n}"},
		{text: "a = {\n  b = {\n    c = {d = 1},\n  },\n}", at: "d = 1},\n  },\n}", path: "a"},
		// Brackets in strings and comments are not levels.
		{text: `a = "[[[[{{{{"`},
		{text: `a = "\"[[[["`},
		{text: `a = '[[[['`},
		{text: "a = \"\"\"\n[[[[\n\"\"\""},
		{text: "a = '''\n[[[[\n'''"},
		{text: "a = 1 # [[[[[\nb = [ # [[[[\n1]"},
		{text: `"a.b".c.d = 1`},
		{text: `"a.b".c.d.e = 1`, at: "e = 1", path: "a.b.c.d.e"},
		{text: `[ "x\u0079" . 'q' ]` + "\nr.s = 1", at: "s = 1", path: "xy.q.r.s"},
		// Text that is not TOML is scanned without fault.
		{text: "[[[[[["},
		{text: "a = [[[[", at: "[[", path: "a"},
		{text: "= = = {{{{ ]]]] "},
	}
	for _, tt := range tests {
		s := newSource("f", tt.text)
		off, path := s.tooDeep(3)
		want := -1
		if tt.at != "" {
			want = strings.LastIndex(tt.text, tt.at)
		}
		if off != want || path != tt.path {
			got := "nothing"
			if off >= 0 {
				got = tt.text[off:]
			}
			t.Errorf("tooDeep(3) of %q = %d %q (at %q), want %d %q (at %q)", tt.text, off, path, got, want, tt.path, tt.at)
		}
	}
	// The example of docs/service-toml.md: name is 6 levels deep.
	doc := newSource("f", "[service.routes]\nmatch = { headers = [{ name = \"x-tenant\" }] }\n")
	if off, _ := doc.tooDeep(6); off != -1 {
		t.Errorf("the example of the docs is more than 6 levels deep")
	}
	if off, path := doc.tooDeep(5); off != strings.Index(doc.text, "name") || path != "service.routes.match" {
		t.Errorf("the example of the docs is not 6 levels deep: %d %q", off, path)
	}
	// The limit is checked as the scan goes: a place deeper than that is
	// never reached, and the names of the path are not gathered beyond it.
	s := newSource("f", "[a"+strings.Repeat(".b", 100000)+"]\nc = [[[[[[")
	if off, path := s.tooDeep(3); off != 7 || path != "a.b.b.b" {
		t.Errorf("tooDeep(3) of a long header = %d %q", off, path)
	}
}

// TestLimits checks the problems of a file past MaxSize or MaxDepth, and
// that files within them pass. The problems of each shape nested too
// deeply are compared in testdata/golden with the cases bad-deep-*.
func TestLimits(t *testing.T) {
	t.Parallel()
	opts := Options{LookupEnv: func(name string) (string, bool) { return "x", name == "X" }}
	valid := string(hostile("tables", 5, 0))
	// fill pads valid with a comment to n bytes, ending with a newline.
	fill := func(prefix string, n int) string {
		text := prefix + valid + "#"
		return text + strings.Repeat("x", n-len(text)-1) + "\n"
	}
	// The first byte past the limit is on the comment's line.
	line := strconv.Itoa(strings.Count(valid, "\n") + 1)
	tests := []struct {
		name string
		text string
		want string // the error, or "" for none
	}{
		{name: "as large as allowed", text: fill("", MaxSize)},
		{name: "one byte too large", text: fill("", MaxSize+1),
			want: "f:" + line + ":" + strconv.Itoa(MaxSize-len(valid)+1) + ": too large: the file goes on past 256 KiB here, the most service.toml allows (keep data in a file the service reads itself)"},
		{name: "as large as allowed with a byte order mark", text: fill("\xef\xbb\xbf", MaxSize)},
		{name: "too large with a byte order mark", text: fill("\xef\xbb\xbf", MaxSize+1),
			want: "f:" + line + ":" + strconv.Itoa(MaxSize-3-len(valid)+1) + ": too large: the file goes on past 256 KiB here, the most service.toml allows (keep data in a file the service reads itself)"},
		{name: "too large, and too deep", text: strings.Repeat("[", MaxSize+1),
			want: "f:1:262145: too large: the file goes on past 256 KiB here, the most service.toml allows (keep data in a file the service reads itself)"},
	}
	for _, shape := range shapes {
		tests = append(tests, struct{ name, text, want string }{name: shape + " as deep as allowed", text: string(hostile(shape, MaxDepth, 4<<10))})
		tests = append(tests, struct{ name, text, want string }{name: shape + " too deep", text: string(hostile(shape, MaxDepth+1, 4<<10)),
			want: "nested too deeply: more than 32 levels here, the most service.toml allows (each name of a table or key, and each array, is a level); write it flatter"})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse("f", []byte(tt.text), opts)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Parse: %v", err)
			case tt.want != "" && (err == nil || !strings.HasSuffix(err.Error(), tt.want) || strings.Contains(err.Error(), "\n")):
				t.Errorf("Parse: %v\nwant one problem ending: %s", err, tt.want)
			}
		})
	}
}

// infinite reads as endless newlines, and counts what was read.
type infinite struct{ read int }

func (r *infinite) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = '\n'
	}
	r.read += len(p)
	return len(p), nil
}

func TestLoadReadsAtMostTheLimit(t *testing.T) {
	t.Parallel()
	r := &infinite{}
	text, err := readAtMost(r, MaxSize+1)
	if err != nil || len(text) != MaxSize+1 || r.read != MaxSize+1 {
		t.Errorf("readAtMost: %d bytes, %d read, %v", len(text), r.read, err)
	}

	// A file larger than the limit, without its blocks: Load must stop
	// reading it past the limit.
	big := filepath.Join(t.TempDir(), "service.toml")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(1 << 40); err != nil {
		t.Skipf("no sparse file: %v", err)
	}
	f.Close()
	for _, path := range []string{big, "/dev/zero"} {
		if _, err := os.Stat(path); err != nil {
			continue
		}
		_, err := Load(path, Options{})
		var ps Problems
		if !errors.As(err, &ps) || len(ps) != 1 || !strings.Contains(ps[0].Message, "too large") {
			t.Errorf("Load(%s): %v", path, err)
		}
	}
}

// TestHostileTree keeps hostileTree what the TOML parser makes of the text.
func TestHostileTree(t *testing.T) {
	t.Parallel()
	for _, shape := range shapes {
		var m map[string]any
		if _, err := toml.Decode(string(hostileWith(shape, 6, 0, true)), &m); err != nil {
			t.Fatal(err)
		}
		if want := hostileTree(shape, 6); !reflect.DeepEqual(m, want) {
			t.Errorf("%s:\n%#v\nwant\n%#v", shape, m, want)
		}
	}
}

// allocated returns the bytes f allocates. The tests that call it do not
// run in parallel with others.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestParseIsLinearInDepth measures the memory Parse's own work takes (all
// but the TOML parser's, whose work on deep inline tables and table
// headers grows with the square of their depth, and which the depth limit
// bounds), with the limits lifted, at a depth and at four times that
// depth: linear work takes four times as much; the work Parse did before
// took sixteen.
func TestParseIsLinearInDepth(t *testing.T) {
	if testing.Short() {
		t.Skip("measures memory")
	}
	env := Options{Kinds: []string{"script"}, LookupEnv: func(name string) (string, bool) { return "x", name == "X" }}
	// own is every walk of Parse through the text and the tree: the
	// limits, the checks and the environment, a problem at the bottom (so
	// that the keys are placed), and what the owners of the tables do
	// with them.
	own := func(shape string, depth int) uint64 {
		text, raw := hostileWith(shape, depth, 0, true), hostileTree(shape, depth)
		return allocated(func() {
			p := newParser("f", string(text), env)
			if problem, ok := (limits{1 << 30, 1 << 30}).check(p.def.src, len(text)); !ok {
				t.Fatal(problem)
			}
			def, err := p.read(raw)
			var ps Problems
			if !errors.As(err, &ps) || len(ps) != 1 || !strings.Contains(ps[0].Message, "not a variable reference") || ps[0].Line == 0 {
				t.Fatalf("%s %d: %v", shape, depth, err)
			}
			var m map[string]any
			if err := def.Service.Decode(&m); err != nil {
				t.Fatal(err)
			}
			def.Service.Redacted()
			def.Service.FromEnv(strings.Repeat("a.", depth) + "v")
		})
	}
	for _, shape := range shapes {
		small, large := own(shape, 1000), own(shape, 4000)
		if ratio := float64(large) / float64(small); ratio > 6 {
			t.Errorf("%s: %d bytes 1000 deep, %d bytes 4000 deep: %.1f times as much", shape, small, large, ratio)
		} else {
			t.Logf("%s: %d bytes 1000 deep, %d bytes 4000 deep: %.1f times as much", shape, small, large, ratio)
		}
	}
}

// TestParseIsLinearInSize measures the memory Parse takes, the TOML
// parser's work included, on texts as deep as MaxDepth allows, of 16 KiB
// and of four times that.
func TestParseIsLinearInSize(t *testing.T) {
	if testing.Short() {
		t.Skip("measures memory")
	}
	env := Options{LookupEnv: func(name string) (string, bool) { return "x", name == "X" }}
	for _, shape := range shapes {
		var bytes [2]uint64
		for i, size := range []int{16 << 10, 64 << 10} {
			text := hostileWith(shape, MaxDepth, size, true)
			bytes[i] = allocated(func() {
				if _, err := Parse("f", text, env); err == nil {
					t.Fatal("no problem")
				}
			}) * (64 << 10) / uint64(len(text)) // per 64 KiB
		}
		if ratio := float64(bytes[1]) / float64(bytes[0]); ratio > 1.5 {
			t.Errorf("%s: per 64 KiB, %d bytes from 16 KiB, %d from 64 KiB: %.1f times as much", shape, bytes[0], bytes[1], ratio)
		}
	}
}

// TestRejectionIsCheap checks that a file past the limits is rejected
// before the TOML parser sees it: the work is a scan of the text.
func TestRejectionIsCheap(t *testing.T) {
	if testing.Short() {
		t.Skip("measures memory")
	}
	for _, shape := range shapes {
		text := hostile(shape, 100000, 0)
		n := allocated(func() {
			if _, err := Parse("f", text, Options{}); err == nil {
				t.Fatal("no problem")
			}
		})
		if n > 16*uint64(len(text))+64<<10 {
			t.Errorf("%s: rejecting %d bytes allocated %d", shape, len(text), n)
		}
	}
}
