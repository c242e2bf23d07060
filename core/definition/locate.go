package definition

import (
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// source is a definition's text and the means to find where a key stands in
// it.
//
// BurntSushi/toml records the position of every key while parsing but keeps
// it private, and what it does expose places a value at its last line (for a
// multi-line string) and cannot tell the tables of an array of tables apart.
// So the first time a problem needs a place, source scans the text once and
// records where every key path is written. The text has normally been
// parsed without error by then, so the scan only needs to know enough of
// TOML to find keys and skip over values; on text that is not TOML (when a
// syntax error is placed) it never fails, it only finds less.
type source struct {
	file string
	text string

	once  sync.Once
	lines []int // byte offset at which each line starts
	at    map[string]spot
}

// spot is where a key path is written: its byte offset, and whether it is
// defined there (rather than only implied by a longer key, as "a" is by
// [a.b]).
type spot struct {
	off      int
	explicit bool
}

func newSource(file, text string) *source {
	return &source{file: file, text: stripBOM(text)}
}

// stripBOM removes a byte order mark, as the TOML parser does before it
// counts offsets.
func stripBOM(text string) string {
	for _, bom := range []string{"\xef\xbb\xbf", "\xff\xfe", "\xfe\xff"} {
		if strings.HasPrefix(text, bom) {
			return text[len(bom):]
		}
	}
	return text
}

// locate returns the line and column (both 1-based, the column in bytes) of
// the key path. Each element of the path is placed where its own name is
// written: on a key/value line, at that part of the (possibly dotted) key;
// on a [table] or [[array]] header, at that part of the table's name. A
// table that is only implied (as features is by [features.logger]) is
// placed where it is first implied; an index into an array of tables, at
// that table's header. A path that is not written (a missing key, an
// element of an inline array) is placed at its nearest written ancestor;
// locate returns zeros when there is none.
func (s *source) locate(path []string) (line, col int) {
	if s == nil {
		return 0, 0
	}
	s.once.Do(s.scan)
	for n := len(path); n > 0; n-- {
		if sp, ok := s.at[pathKey(path[:n])]; ok {
			return s.position(sp.off)
		}
	}
	return 0, 0
}

// position turns a byte offset into the text into a line and column.
func (s *source) position(off int) (line, col int) {
	s.once.Do(s.scan)
	off = min(max(off, 0), len(s.text))
	i := sort.Search(len(s.lines), func(i int) bool { return s.lines[i] > off }) - 1
	return i + 1, off - s.lines[i] + 1
}

func lineStarts(text string) []int {
	starts := []int{0}
	for i := range len(text) {
		if text[i] == '\n' {
			starts = append(starts, i+1)
		}
	}
	return starts
}

func pathKey(path []string) string { return strings.Join(path, "\x00") }

func (s *source) scan() {
	s.lines = lineStarts(s.text)
	sc := &scanner{text: s.text, at: map[string]spot{}, arrays: map[string]int{}}
	sc.document()
	s.at = sc.at
}

// scanner walks TOML text and records where each key path is written. An
// index into an array of tables, or into an inline array that holds inline
// tables, is a path element too, written in decimal.
type scanner struct {
	text   string
	i      int
	at     map[string]spot
	arrays map[string]int // tables seen so far in each array of tables
}

func (sc *scanner) eof() bool { return sc.i >= len(sc.text) }

func (sc *scanner) peek() byte {
	if sc.eof() {
		return 0
	}
	return sc.text[sc.i]
}

// record notes that path is written at off. A definition replaces an
// earlier implication; otherwise the first place wins.
func (sc *scanner) record(path []string, off int, explicit bool) {
	k := pathKey(path)
	if old, ok := sc.at[k]; ok && (old.explicit || !explicit) {
		return
	}
	sc.at[k] = spot{off, explicit}
}

func (sc *scanner) document() {
	var table []string
	for !sc.eof() {
		start := sc.i
		sc.skipBlank(true)
		if sc.eof() {
			break
		}
		switch sc.peek() {
		case '[':
			table = sc.header()
		default:
			sc.keyValue(table)
		}
		sc.skipLine()
		if sc.i == start {
			sc.i++ // never loop on text the scan does not understand
		}
	}
}

// skipBlank skips spaces and tabs, and with newlines also line ends and
// comments.
func (sc *scanner) skipBlank(newlines bool) {
	for !sc.eof() {
		switch sc.peek() {
		case ' ', '\t':
			sc.i++
		case '\r', '\n':
			if !newlines {
				return
			}
			sc.i++
		case '#':
			if !newlines {
				return
			}
			for !sc.eof() && sc.peek() != '\n' {
				sc.i++
			}
		default:
			return
		}
	}
}

// skipLine skips to the start of the next line.
func (sc *scanner) skipLine() {
	for !sc.eof() && sc.peek() != '\n' {
		sc.i++
	}
	if !sc.eof() {
		sc.i++
	}
}

// header reads a [table] or [[array of tables]] header and returns the
// path under which its keys stand.
func (sc *scanner) header() []string {
	sc.i++ // [
	array := sc.peek() == '['
	if array {
		sc.i++
	}
	parts := sc.key()
	var path []string
	for n, part := range parts {
		path = append(path, part.name)
		if n < len(parts)-1 {
			sc.record(path, part.off, false)
			if count, ok := sc.arrays[pathKey(path)]; ok {
				path = append(path, strconv.Itoa(count-1))
			}
			continue
		}
		sc.record(path, part.off, true)
		if array {
			count := sc.arrays[pathKey(path)]
			sc.arrays[pathKey(path)] = count + 1
			path = append(path, strconv.Itoa(count))
			sc.record(path, part.off, true)
		}
	}
	return path
}

// keyValue reads a key = value pair whose key is relative to table.
func (sc *scanner) keyValue(table []string) {
	parts := sc.key()
	if len(parts) == 0 {
		return
	}
	path := clone(table)
	for n, part := range parts {
		path = append(path, part.name)
		sc.record(path, part.off, n == len(parts)-1)
	}
	sc.skipBlank(false)
	if sc.peek() != '=' {
		return
	}
	sc.i++
	sc.skipBlank(false)
	sc.value(path)
}

// keyPart is one part of a dotted key, unquoted, and the offset at which
// it is written.
type keyPart struct {
	name string
	off  int
}

// key reads a possibly dotted key.
func (sc *scanner) key() []keyPart {
	var parts []keyPart
	for {
		sc.skipBlank(false)
		off := sc.i
		name, ok := sc.name()
		if !ok {
			return parts
		}
		parts = append(parts, keyPart{name, off})
		sc.skipBlank(false)
		if sc.peek() != '.' {
			return parts
		}
		sc.i++
	}
}

// name reads one part of a key: bare, "quoted" or 'literal'.
func (sc *scanner) name() (string, bool) {
	start := sc.i
	switch sc.peek() {
	case '"':
		sc.basicString()
		return unescape(sc.text[start+1 : max(start+1, sc.i-1)]), true
	case '\'':
		sc.literalString()
		return sc.text[start+1 : max(start+1, sc.i-1)], true
	}
	for !sc.eof() && !strings.ContainsRune(" \t\r\n.=[]{},#\"'", rune(sc.peek())) {
		sc.i++
	}
	return sc.text[start:sc.i], sc.i > start
}

// value skips over a value, recording the keys of inline tables and the
// elements of arrays under path.
func (sc *scanner) value(path []string) {
	switch sc.peek() {
	case '"':
		if strings.HasPrefix(sc.text[sc.i:], `"""`) {
			sc.multiline(`"""`, true)
		} else {
			sc.basicString()
		}
	case '\'':
		if strings.HasPrefix(sc.text[sc.i:], `'''`) {
			sc.multiline(`'''`, false)
		} else {
			sc.literalString()
		}
	case '[':
		sc.i++
		for n := 0; ; n++ {
			sc.skipBlank(true)
			if sc.eof() || sc.peek() == ']' {
				break
			}
			start := sc.i
			sc.value(append(clone(path), strconv.Itoa(n)))
			sc.skipBlank(true)
			if sc.peek() == ',' {
				sc.i++
			} else if sc.i == start {
				sc.i++
			}
		}
		if !sc.eof() {
			sc.i++ // ]
		}
	case '{':
		sc.i++
		for {
			sc.skipBlank(true)
			if sc.eof() || sc.peek() == '}' {
				break
			}
			start := sc.i
			sc.keyValue(path)
			sc.skipBlank(true)
			if sc.peek() == ',' {
				sc.i++
			} else if sc.i == start {
				sc.i++
			}
		}
		if !sc.eof() {
			sc.i++ // }
		}
	default:
		sc.scalar()
	}
}

// basicString skips a "..." string, the scanner standing at its quote.
func (sc *scanner) basicString() {
	sc.i++
	for !sc.eof() {
		switch sc.peek() {
		case '\\':
			sc.i += 2
			continue
		case '"':
			sc.i++
			return
		case '\n':
			return
		}
		sc.i++
	}
	sc.i = min(sc.i, len(sc.text))
}

// literalString skips a '...' string, the scanner standing at its quote.
func (sc *scanner) literalString() {
	sc.i++
	for !sc.eof() {
		switch sc.peek() {
		case '\'':
			sc.i++
			return
		case '\n':
			return
		}
		sc.i++
	}
}

// multiline skips a multi-line string, basic or literal, whose delimiter
// is three quotes; up to two more quotes may end its content right before
// the closing delimiter.
func (sc *scanner) multiline(delim string, escapes bool) {
	sc.i += len(delim)
	for !sc.eof() {
		if escapes && sc.peek() == '\\' {
			sc.i += 2
			continue
		}
		if strings.HasPrefix(sc.text[sc.i:], delim) {
			sc.i += len(delim)
			for n := 0; n < 2 && sc.peek() == delim[0]; n++ {
				sc.i++
			}
			return
		}
		sc.i++
	}
	sc.i = min(sc.i, len(sc.text))
}

// scalar skips a number, boolean, date or time. A date and a time may be
// separated by a space ("1979-05-27 07:32:00Z").
func (sc *scanner) scalar() {
	start := sc.i
	for !sc.eof() && !strings.ContainsRune(" \t\r\n,]}#", rune(sc.peek())) {
		sc.i++
	}
	if isDate(sc.text[start:sc.i]) && sc.peek() == ' ' && sc.i+1 < len(sc.text) && isDigit(sc.text[sc.i+1]) {
		sc.i++
		sc.scalar()
	}
}

func isDate(s string) bool {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return false
	}
	for _, i := range []int{0, 1, 2, 3, 5, 6, 8, 9} {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// unescape decodes the escapes of a TOML basic string's content.
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		i++
		switch c := s[i]; c {
		case 'b':
			b.WriteByte('\b')
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 'f':
			b.WriteByte('\f')
		case 'r':
			b.WriteByte('\r')
		case 'e':
			b.WriteByte(0x1b)
		case 'x', 'u', 'U':
			n := map[byte]int{'x': 2, 'u': 4, 'U': 8}[c]
			if i+n < len(s) {
				if r, err := strconv.ParseUint(s[i+1:i+1+n], 16, 32); err == nil && utf8.ValidRune(rune(r)) {
					b.WriteRune(rune(r))
					i += n
					continue
				}
			}
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
