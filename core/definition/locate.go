package definition

import (
	"errors"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"github.com/BurntSushi/toml"
)

// source is a definition's text and the means to find where a key stands in
// it.
//
// BurntSushi/toml records the position of every key while parsing but keeps
// it private; it reports it only in the ParseError of a value that fails to
// decode. locate uses exactly that: it decodes the text once more into a
// struct built for one key path whose leaf always fails, and reads the
// position off the error. It runs only for keys that have a problem, so the
// valid path never pays for it.
type source struct {
	file  string
	text  string
	lines []string

	mu    sync.Mutex
	cache map[string]position
}

type position struct{ line, col int }

func newSource(file, text string) *source {
	return &source{file: file, text: text, lines: strings.Split(text, "\n"), cache: map[string]position{}}
}

// errProbe is returned by probe, the leaf of a locating struct.
var errProbe = errors.New("probe")

type probe struct{}

func (*probe) UnmarshalTOML(any) error { return errProbe }

var probeType = reflect.TypeFor[probe]()

// locate returns the line and column of the key at path, or zeros when the
// path is not in the text. For a key with a value the column is that of the
// key; for a table header, that of the table's name.
func (s *source) locate(path []string) (line, col int) {
	if s == nil || len(path) == 0 {
		return 0, 0
	}
	k := strings.Join(path, "\x00")
	s.mu.Lock()
	defer s.mu.Unlock()
	if p, ok := s.cache[k]; ok {
		return p.line, p.col
	}
	p := s.probe(path)
	s.cache[k] = p
	return p.line, p.col
}

func (s *source) probe(path []string) position {
	t := probeType
	for i := len(path) - 1; i >= 0; i-- {
		if strings.ContainsAny(path[i], ",\"\\`") {
			return position{} // cannot be named in a struct tag
		}
		t = reflect.StructOf([]reflect.StructField{{
			Name: "F",
			Type: t,
			Tag:  reflect.StructTag(`toml:` + strconv.Quote(path[i])),
		}})
	}
	_, err := toml.Decode(s.text, reflect.New(t).Interface())
	var pe toml.ParseError
	if !errors.As(err, &pe) || pe.Position.Line == 0 {
		return position{}
	}
	line, col := pe.Position.Line, pe.Position.Col
	// The parser places a key/value at its value; move back to the key.
	if line-1 < len(s.lines) {
		text := s.lines[line-1]
		key := path[len(path)-1]
		if col-1 <= len(text) {
			if i := strings.LastIndex(text[:col-1], key); i >= 0 {
				col = i + 1
			}
		}
	}
	return position{line, col}
}
