package definition

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// Section is a table of the definition that belongs to an owner other than
// the framework: a feature's [features.<name>], a kind's [services.<kind>], a
// client's [clients.<name>], or the service's own [service]. Values written
// as "${NAME}" have already been replaced by the environment's value; a
// value that uses a variable of envs that is not set, or is empty, is left
// out (an array, entirely), as if not written: the definition's problem
// about envs reports it, once, and the owner keeps its default.
//
// The zero Section is an absent table: Decode leaves the target as it is.
type Section struct {
	// at is the table's place; its env marks the values that came from
	// the environment.
	at     at
	values map[string]any
	src    *source
	file   string
}

// Path returns the table's key path, such as "features.logger".
func (s Section) Path() string { return s.at.path.String() }

// Present reports whether the table is written in the file.
func (s Section) Present() bool { return s.values != nil }

// Has reports whether the table sets key (a dotted path relative to the
// table).
func (s Section) Has(key string) bool {
	var v any = s.values
	for _, k := range strings.Split(key, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return false
		}
		if v, ok = m[k]; !ok {
			return false
		}
	}
	return true
}

// Keys returns the table's own keys, sorted.
func (s Section) Keys() []string { return sortedKeys(s.values) }

// Decode stores the table's values in the struct (or map) that v points to.
// It is strict: a key that names no field, a value of the wrong type, a
// duration not written as a duration string ("30s") are problems. Fields keep
// the values they had for keys the table does not set, so callers set their
// defaults before decoding. A struct field's key is its `toml:"name"` tag, or
// else its name in snake_case.
//
// The error, when there is one, is a [Problems] with every problem found,
// each at its line, sorted by line.
func (s Section) Decode(v any) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return fmt.Errorf("definition: Decode needs a non-nil pointer, not %T", v)
	}
	if s.values == nil {
		return nil
	}
	d := &decoder{src: s.src, file: s.file}
	d.value(s.values, rv.Elem(), s.at)
	d.problems.Sort()
	return d.problems.Err()
}

// Problem returns a problem about key (a dotted path relative to the table,
// or "" for the table itself), placed at the key's line in the file. Owners
// use it to report values that decode but make no sense.
func (s Section) Problem(key, format string, args ...any) Problem {
	a := s.at
	if key != "" {
		for _, k := range strings.Split(key, ".") {
			a = a.child(k)
		}
	}
	line, col := s.src.locate(a.loc.names())
	return Problem{File: s.file, Line: line, Col: col, Path: a.path.String(), Message: fmt.Sprintf(format, args...)}
}

// FromEnv reports whether the value at key (a dotted path relative to the
// table; an array's elements are keyed by their index, as in "hosts.0"), or
// any value inside it, came from the environment through "${NAME}". Such
// values are secrets as far as the framework knows: it never prints them.
func (s Section) FromEnv(key string) bool {
	// The tree of marks has only the keys above values from the
	// environment.
	m := s.at.env
	for _, k := range strings.Split(key, ".") {
		if m == nil {
			return false
		}
		m = m.kids[k]
	}
	return m != nil
}

// Redacted returns a copy of the table's values for printing, with every
// value that came from the environment replaced by "[redacted]".
func (s Section) Redacted() map[string]any {
	if s.values == nil {
		return nil
	}
	return redact(s.values, s.at.env).(map[string]any)
}

// redact copies v, replacing the values m marks as from the environment.
func redact(v any, m *envMark) any {
	if m != nil && m.fromEnv {
		return "[redacted]"
	}
	kid := func(k string) *envMark {
		if m == nil {
			return nil
		}
		return m.kids[k]
	}
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[k] = redact(e, kid(k))
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = redact(e, kid(strconv.Itoa(i)))
		}
		return out
	case []map[string]any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = redact(e, kid(strconv.Itoa(i)))
		}
		return out
	}
	return v
}
