package definition

import (
	"strings"
	"testing"
)

func TestLocate(t *testing.T) {
	t.Parallel()
	text := strings.Join([]string{
		`a = 1`,                               // 1
		`"quoted key" = 2`,                    // 2
		`b.c.d = 3`,                           // 3
		`  e = { f = 4, g = { h = 5 } }`,      // 4
		`m = """`,                             // 5
		`line "two" ${X}`,                     // 6
		`"""`,                                 // 7
		`n = 'x' # comment with k = 1`,        // 8
		`p = [`,                               // 9
		`  { q = 1 },`,                        // 10
		`  { q = 2, r = "]" },`,               // 11
		`]`,                                   // 12
		`when = 1979-05-27 07:32:00Z`,         // 13
		`"dotted.name".'lit' = 1`,             // 14
		`"esc\u0041pe" = 1`,                   // 15
		``,                                    // 16
		`[tbl]`,                               // 17
		`x = 1`,                               // 18
		`[ tbl2 . "sub" ]  # header`,          // 19
		`y = 2`,                               // 20
		`[[arr]]`,                             // 21
		`z = 1`,                               // 22
		`[arr.inner]`,                         // 23
		`w = 1`,                               // 24
		`[[arr]]`,                             // 25
		`z = '''`,                             // 26
		`multi ''' + "''"`,                    // 27
		`'''`,                                 // 28
		`[[ arr2 ]]`,                          // 29
		`[imp.child]`,                         // 30
		`v = 1`,                               // 31
		`[imp]`,                               // 32
		`u = 1`,                               // 33
		`[late.only]`,                         // 34
		`inline = { list = [1, {deep = 1}] }`, // 35
	}, "\n") + "\n"
	s := newSource("f", text)
	tests := []struct {
		path      string
		line, col int
	}{
		{"a", 1, 1},
		{"quoted key", 2, 1},
		{"b", 3, 1},
		{"b.c", 3, 3},
		{"b.c.d", 3, 5},
		{"e", 4, 3},
		{"e.f", 4, 9},
		{"e.g", 4, 16},
		{"e.g.h", 4, 22},
		{"m", 5, 1},
		{"n", 8, 1},
		{"k", 0, 0}, // only in a comment
		{"p", 9, 1},
		{"p.0", 9, 1},    // an inline array's element: at the key
		{"p.1.q", 11, 5}, // a key inside it: at the key
		{"p.1.r", 11, 12},
		{"when", 13, 1},
		{"dotted.name", 0, 0}, // split on the dot: not a path
		{"tbl", 17, 2},
		{"tbl.x", 18, 1},
		{"tbl.nope", 17, 2}, // not written: at the table
		{"tbl2", 19, 3},
		{"tbl2.sub", 19, 10},
		{"tbl2.sub.y", 20, 1},
		{"arr", 21, 3},
		{"arr.0", 21, 3},
		{"arr.0.z", 22, 1},
		{"arr.0.inner", 23, 6},
		{"arr.0.inner.w", 24, 1},
		{"arr.1", 25, 3},
		{"arr.1.z", 26, 1},
		{"arr.2", 21, 3}, // no third table: at the array
		{"arr2", 29, 4},
		{"arr2.0", 29, 4},
		{"imp", 32, 2}, // defined at [imp], first implied at [imp.child]
		{"imp.child", 30, 6},
		{"imp.child.v", 31, 1},
		{"imp.u", 33, 1},
		{"late", 34, 2}, // only implied
		{"late.only", 34, 7},
		{"late.only.inline.list.1.deep", 35, 24},
		{"nope", 0, 0},
		{"", 0, 0},
	}
	for _, tt := range tests {
		var path []string
		if tt.path != "" {
			path = strings.Split(tt.path, ".")
		}
		if line, col := s.locate(path); line != tt.line || col != tt.col {
			t.Errorf("locate(%q) = %d:%d, want %d:%d", tt.path, line, col, tt.line, tt.col)
		}
	}
	for _, tt := range []struct {
		path      []string
		line, col int
	}{
		{[]string{"dotted.name", "lit"}, 14, 15},
		{[]string{"dotted.name"}, 14, 1},
		{[]string{"escApe"}, 15, 1},
	} {
		if line, col := s.locate(tt.path); line != tt.line || col != tt.col {
			t.Errorf("locate(%q) = %d:%d, want %d:%d", tt.path, line, col, tt.line, tt.col)
		}
	}
}

func TestLocateEdges(t *testing.T) {
	t.Parallel()
	var nilSource *source
	if line, col := nilSource.locate([]string{"a"}); line != 0 || col != 0 {
		t.Errorf("nil source: %d:%d", line, col)
	}
	// A byte order mark is not counted, as the TOML parser does not.
	if line, col := newSource("f", "\xef\xbb\xbfa = 1\nb = 2").locate([]string{"a"}); line != 1 || col != 1 {
		t.Errorf("after a BOM: %d:%d", line, col)
	}
	// CRLF line ends, tabs, and a key after a multi-byte character.
	s := newSource("f", "x = \"é\"\r\n\tb = 1\r\n[t]\r\né = { k = 1 }\r\n")
	for _, tt := range []struct {
		path      []string
		line, col int
	}{
		{[]string{"b"}, 2, 2},
		{[]string{"t", "é"}, 4, 1},
		{[]string{"t", "é", "k"}, 4, 8}, // columns count bytes
	} {
		if line, col := s.locate(tt.path); line != tt.line || col != tt.col {
			t.Errorf("locate(%q) = %d:%d, want %d:%d", tt.path, line, col, tt.line, tt.col)
		}
	}
	// Text the scan does not understand does not stop it, nor hang it.
	for _, text := range []string{"[", "[[", "a = ", "a = [", "a = {", `a = "`, `a = """`, "a = '''", "= 1", "a.", "\"\\", "]]]", "a = [1,,,]"} {
		newSource("f", text).locate([]string{"a"})
	}
}

func TestPosition(t *testing.T) {
	t.Parallel()
	s := newSource("f", "ab\ncd\n")
	for off, want := range [][2]int{{1, 1}, {1, 2}, {1, 3}, {2, 1}, {2, 2}, {2, 3}, {3, 1}, {3, 1}} {
		if line, col := s.position(off); line != want[0] || col != want[1] {
			t.Errorf("position(%d) = %d:%d, want %d:%d", off, line, col, want[0], want[1])
		}
	}
	if line, col := s.position(-1); line != 1 || col != 1 {
		t.Errorf("position(-1) = %d:%d", line, col)
	}
}

func TestUnescape(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		`plain`:      "plain",
		`a\tb`:       "a\tb",
		`\"q\"`:      `"q"`,
		`\\`:         `\`,
		`\u00e9`:     "é",
		`\U0001F600`: "\U0001F600",
		`\x41`:       "A",
		`\e`:         "\x1b",
		`\b\f\n\r`:   "\b\f\n\r",
		`bad\u00`:    "badu00",
		`trailing\`:  `trailing\`,
	} {
		if got := unescape(in); got != want {
			t.Errorf("unescape(%q) = %q, want %q", in, got, want)
		}
	}
}
