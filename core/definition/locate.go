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
// records where every key path is written, in a tree of the paths (a name
// costs the same whatever its depth). The text has normally been parsed
// without error by then, so the scan only needs to know enough of TOML to
// find keys and skip over values; on text that is not TOML (when a syntax
// error is placed) it never fails, it only finds less.
type source struct {
	file string
	text string

	linesOnce sync.Once
	lines     []int // byte offset at which each line starts

	keysOnce sync.Once
	keys     *keyTree
}

// keyTree holds every key path written in a definition. Node 0 is the
// document; every other node is a path one name longer than its parent's.
// The elements of inline arrays that hold tables or arrays are nodes too,
// named by their index, but are not written anywhere themselves.
type keyTree struct {
	children map[edge]int32
	spots    []spot          // by node
	arrays   map[int32]int32 // tables seen so far in each array of tables
}

// edge names a node by its parent and its last name.
type edge struct {
	up   int32
	name string
}

// spot is where a key path is written: its byte offset (-1 for a node that
// is only passed through), and whether it is defined there (rather than
// only implied by a longer key, as "a" is by [a.b]).
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
	s.keysOnce.Do(s.scan)
	found := -1
	n := int32(0)
	for _, name := range path {
		next, ok := s.keys.children[edge{n, name}]
		if !ok {
			break
		}
		n = next
		if sp := s.keys.spots[n]; sp.off >= 0 {
			found = sp.off
		}
	}
	if found < 0 {
		return 0, 0
	}
	return s.position(found)
}

// position turns a byte offset into the text into a line and column.
func (s *source) position(off int) (line, col int) {
	s.linesOnce.Do(func() { s.lines = lineStarts(s.text) })
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

func (s *source) scan() {
	s.keys = &keyTree{
		children: map[edge]int32{},
		spots:    []spot{{off: -1}},
		arrays:   map[int32]int32{},
	}
	sc := &scanner{text: s.text, keys: s.keys, deep: -1}
	sc.document()
}

// tooDeep looks for the first place where the text nests more than max
// levels deep, as written: each name of a [table] header or of a (dotted)
// key counts one level, and so do each key of an inline table, each
// opening bracket of an array value, and the brackets of an [[array of
// tables]]. It returns that place's offset, and the key path of the header
// or key/value line it is on (at most its first max+1 names); or -1 when
// the text nests no deeper than max. Its work is linear in the text's
// length, and it allocates only to name the path.
func (s *source) tooDeep(max int) (off int, path string) {
	sc := &scanner{text: s.text, maxDepth: max, deep: -1, table: -1}
	sc.document()
	if sc.deep < 0 {
		return -1, ""
	}
	// Read the names of the line's table and key again, keeping them.
	var names []string
	read := func(at int, header bool) {
		r := &scanner{text: s.text, i: at, deep: -1, names: true, maxDepth: max}
		if header {
			r.i++ // [
			if r.peek() == '[' {
				r.i++
			}
		}
		for _, part := range r.key() {
			if len(names) > max {
				return
			}
			names = append(names, part.name)
		}
	}
	if sc.table >= 0 {
		read(sc.table, true)
	}
	if sc.stmt != sc.table {
		read(sc.stmt, false)
	}
	return sc.deep, strings.Join(names, ".")
}

// scanner walks TOML text. With keys, it records in that tree where each
// key path is written; with a maxDepth, it measures how deep the text nests
// as it goes, and stops at the first place deeper than that.
type scanner struct {
	text string
	i    int
	keys *keyTree
	// names makes key return names even without keys.
	names bool

	maxDepth int
	deep     int // the offset of the first place deeper than maxDepth, or -1
	// table and stmt are the offsets of the current table's header (-1
	// before the first) and of the current header or key/value line.
	table, stmt int

	parts []keyPart // the parts of the last key read, reused
}

// node is a key path while scanning: its node in the tree (when there is
// one), and its depth as written.
type node struct {
	id    int32
	depth int
}

func (sc *scanner) eof() bool { return sc.i >= len(sc.text) }

func (sc *scanner) peek() byte {
	if sc.eof() {
		return 0
	}
	return sc.text[sc.i]
}

// deeper returns the path one level below p, named name, which is written
// at off. When that level is too deep it notes the place and ends the
// scan.
func (sc *scanner) deeper(p node, name string, off int) node {
	child := node{depth: p.depth + 1}
	sc.check(child.depth, off)
	if sc.keys != nil {
		child.id = sc.keys.child(p.id, name)
	}
	return child
}

// check notes the place off when depth is more than maxDepth, and ends
// the scan then.
func (sc *scanner) check(depth, off int) {
	if sc.maxDepth > 0 && depth > sc.maxDepth && sc.deep < 0 {
		sc.deep = off
		sc.i = len(sc.text)
	}
}

// stopped reports whether the scan ended early, at a place too deep.
func (sc *scanner) stopped() bool { return sc.deep >= 0 }

// child returns the node named name under up, adding it when it is new.
func (t *keyTree) child(up int32, name string) int32 {
	e := edge{up, name}
	if id, ok := t.children[e]; ok {
		return id
	}
	id := int32(len(t.spots))
	t.spots = append(t.spots, spot{off: -1})
	t.children[e] = id
	return id
}

// record notes that p is written at off. A definition replaces an earlier
// implication; otherwise the first place wins.
func (sc *scanner) record(p node, off int, explicit bool) {
	if sc.keys == nil {
		return
	}
	sp := &sc.keys.spots[p.id]
	if sp.off >= 0 && (sp.explicit || !explicit) {
		return
	}
	*sp = spot{off, explicit}
}

func (sc *scanner) document() {
	var table node
	for !sc.eof() {
		start := sc.i
		sc.skipBlank(true)
		if sc.eof() {
			break
		}
		sc.stmt = sc.i
		switch sc.peek() {
		case '[':
			sc.table = sc.i
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
func (sc *scanner) header() node {
	open := sc.i
	sc.i++ // [
	array := sc.peek() == '['
	if array {
		sc.i++
	}
	var p node
	parts := sc.key()
	for n, part := range parts {
		p = sc.deeper(p, part.name, part.off)
		if sc.stopped() {
			return p
		}
		if n < len(parts)-1 {
			sc.record(p, part.off, false)
			// A name that is an array of tables stands for its last
			// table. That index is not written: it adds no depth.
			if sc.keys != nil {
				if count, ok := sc.keys.arrays[p.id]; ok {
					p.id = sc.keys.child(p.id, strconv.Itoa(int(count-1)))
				}
			}
			continue
		}
		sc.record(p, part.off, true)
		if array {
			var count int32
			if sc.keys != nil {
				count = sc.keys.arrays[p.id]
				sc.keys.arrays[p.id] = count + 1
			}
			p = sc.deeper(p, strconv.Itoa(int(count)), open)
			sc.record(p, part.off, true)
		}
	}
	return p
}

// keyValue reads a key = value pair whose key is relative to table.
func (sc *scanner) keyValue(table node) {
	parts := sc.key()
	if len(parts) == 0 {
		return
	}
	p := table
	for n, part := range parts {
		p = sc.deeper(p, part.name, part.off)
		if sc.stopped() {
			return
		}
		sc.record(p, part.off, n == len(parts)-1)
	}
	sc.skipBlank(false)
	if sc.peek() != '=' {
		return
	}
	sc.i++
	sc.skipBlank(false)
	sc.value(p)
}

// keyPart is one part of a dotted key, unquoted, and the offset at which
// it is written.
type keyPart struct {
	name string
	off  int
}

// key reads a possibly dotted key. The slice it returns is reused by the
// next call. When the scan measures depth, it holds no more parts than
// are needed to go past maxDepth.
func (sc *scanner) key() []keyPart {
	parts := sc.parts[:0]
	for {
		sc.skipBlank(false)
		off := sc.i
		name, ok := sc.name()
		if !ok {
			break
		}
		if sc.maxDepth == 0 || len(parts) <= sc.maxDepth {
			parts = append(parts, keyPart{name, off})
		}
		sc.skipBlank(false)
		if sc.peek() != '.' {
			break
		}
		sc.i++
	}
	sc.parts = parts
	return parts
}

// name reads one part of a key: bare, "quoted" or 'literal'. A quoted name
// is unescaped only when the scan keeps names.
func (sc *scanner) name() (string, bool) {
	start := sc.i
	switch sc.peek() {
	case '"':
		sc.basicString()
		raw := sc.text[start+1 : max(start+1, sc.i-1)]
		if sc.keys == nil && !sc.names {
			return raw, true
		}
		return unescape(raw), true
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
// elements of arrays under p.
func (sc *scanner) value(p node) {
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
		// The bracket is one level. Only an element that may hold keys
		// is given a node in the tree; the others count only for depth.
		inner := node{depth: p.depth + 1}
		if sc.check(inner.depth, sc.i); sc.stopped() {
			return
		}
		sc.i++
		for n := 0; ; n++ {
			sc.skipBlank(true)
			if sc.eof() || sc.peek() == ']' {
				break
			}
			start := sc.i
			if c := sc.peek(); sc.keys != nil && (c == '[' || c == '{') {
				sc.value(sc.deeper(p, strconv.Itoa(n), start))
			} else {
				sc.value(inner)
			}
			if sc.stopped() {
				return
			}
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
			sc.keyValue(p)
			if sc.stopped() {
				return
			}
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
