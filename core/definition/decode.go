package definition

import (
	"encoding"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// decoder maps a parsed TOML tree onto Go values, strictly: every key must
// name a field, every value must fit its field's type exactly, and a duration
// must be written as a duration string. It records every problem it meets
// and carries on, so one pass reports them all.
//
// BurntSushi/toml has its own decoder, but it matches keys without regard to
// case, takes a bare integer as nanoseconds for a time.Duration, and reports
// type errors without a key path; none of that fits a strict definition.
type decoder struct {
	src      *source
	file     string
	problems Problems
}

// at is where a value stands: the key path shown in messages and the path
// under which it is written in the file (they differ for aliases).
type at struct {
	path []string
	loc  []string
}

func (a at) child(key string) at {
	return at{append(clone(a.path), key), append(clone(a.loc), key)}
}

func clone(s []string) []string { return append([]string(nil), s...) }

// problem records a problem about the value at a.
func (d *decoder) problem(a at, format string, args ...any) {
	line, col := d.src.locate(a.loc)
	d.problems = append(d.problems, Problem{
		File: d.file, Line: line, Col: col,
		Path: strings.Join(a.path, "."), Message: fmt.Sprintf(format, args...),
	})
}

var (
	durationType        = reflect.TypeFor[time.Duration]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
)

func (d *decoder) value(raw any, rv reflect.Value, a at) {
	t := rv.Type()
	if t.Kind() == reflect.Pointer && t != textUnmarshalerType {
		if rv.IsNil() {
			rv.Set(reflect.New(t.Elem()))
		}
		d.value(raw, rv.Elem(), a)
		return
	}
	if t == durationType {
		if dur, ok := d.duration(raw, a); ok {
			rv.SetInt(int64(dur))
		}
		return
	}
	if reflect.PointerTo(t).Implements(textUnmarshalerType) && rv.CanAddr() {
		s, ok := raw.(string)
		if !ok {
			d.problem(a, "must be a string, not %s", typeName(raw))
			return
		}
		if err := rv.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(s)); err != nil {
			d.problem(a, "%q: %v", s, err)
		}
		return
	}
	switch t.Kind() {
	case reflect.String:
		if s, ok := raw.(string); ok {
			rv.SetString(s)
			return
		}
	case reflect.Bool:
		if b, ok := raw.(bool); ok {
			rv.SetBool(b)
			return
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if n, ok := raw.(int64); ok {
			if rv.OverflowInt(n) {
				d.problem(a, "%d is out of range", n)
				return
			}
			rv.SetInt(n)
			return
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if n, ok := raw.(int64); ok {
			if n < 0 || rv.OverflowUint(uint64(n)) {
				d.problem(a, "%d is out of range", n)
				return
			}
			rv.SetUint(uint64(n))
			return
		}
	case reflect.Float32, reflect.Float64:
		switch n := raw.(type) {
		case float64:
			rv.SetFloat(n)
			return
		case int64:
			rv.SetFloat(float64(n))
			return
		}
	case reflect.Slice:
		if items, ok := list(raw); ok {
			s := reflect.MakeSlice(t, len(items), len(items))
			for i, item := range items {
				d.value(item, s.Index(i), at{append(clone(a.path), strconv.Itoa(i)), a.loc})
			}
			rv.Set(s)
			return
		}
	case reflect.Map:
		if m, ok := raw.(map[string]any); ok && t.Key().Kind() == reflect.String {
			if rv.IsNil() {
				rv.Set(reflect.MakeMapWithSize(t, len(m)))
			}
			for _, k := range sortedKeys(m) {
				e := reflect.New(t.Elem()).Elem()
				d.value(m[k], e, a.child(k))
				rv.SetMapIndex(reflect.ValueOf(k).Convert(t.Key()), e)
			}
			return
		}
	case reflect.Struct:
		if m, ok := raw.(map[string]any); ok {
			d.table(m, rv, a)
			return
		}
		if tv, ok := raw.(time.Time); ok && t == reflect.TypeFor[time.Time]() {
			rv.Set(reflect.ValueOf(tv))
			return
		}
	case reflect.Interface:
		if t.NumMethod() == 0 {
			rv.Set(reflect.ValueOf(raw))
			return
		}
		d.problem(a, "cannot decode into %s", t)
		return
	default:
		d.problem(a, "cannot decode into %s", t)
		return
	}
	d.problem(a, "must be %s, not %s", goTypeName(t), typeName(raw))
}

// duration reads a duration written as a Go duration string ("1m30s").
func (d *decoder) duration(raw any, a at) (time.Duration, bool) {
	switch v := raw.(type) {
	case string:
		dur, err := time.ParseDuration(v)
		if err == nil {
			return dur, true
		}
		if _, nerr := strconv.ParseFloat(v, 64); nerr == nil {
			d.problem(a, "%q is not a duration (write it like \"%ss\")", v, v)
		} else {
			d.problem(a, "%q is not a duration (write it like \"30s\" or \"1m30s\")", v)
		}
	case int64:
		d.problem(a, "%d is not a duration (write it like \"%ds\")", v, v)
	case float64:
		d.problem(a, "%v is not a duration (write it like \"%vs\")", v, v)
	default:
		d.problem(a, "must be a duration string like \"30s\", not %s", typeName(raw))
	}
	return 0, false
}

// table decodes a TOML table into the struct rv, reporting unknown keys.
func (d *decoder) table(m map[string]any, rv reflect.Value, a at) {
	fields := fieldsOf(rv.Type())
	for _, k := range sortedKeys(m) {
		idx, ok := fields.byKey[k]
		if !ok {
			d.problem(at{a.path, append(clone(a.loc), k)}, "unknown key %q%s", k, didYouMean(k, fields.keys))
			continue
		}
		d.value(m[k], rv.FieldByIndex(idx), a.child(k))
	}
}

type structFields struct {
	byKey map[string][]int
	keys  []string
}

// fieldsOf lists the keys a struct accepts: each exported field under its
// `toml:"name"` tag, or else its name in snake_case; embedded structs lend
// their fields; a field tagged `toml:"-"` is skipped.
func fieldsOf(t reflect.Type) structFields {
	fs := structFields{byKey: map[string][]int{}}
	var walk func(t reflect.Type, index []int)
	walk = func(t reflect.Type, index []int) {
		for i := range t.NumField() {
			f := t.Field(i)
			idx := append(append([]int(nil), index...), i)
			name, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
			if name == "-" {
				continue
			}
			if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
				walk(f.Type, idx)
				continue
			}
			if !f.IsExported() {
				continue
			}
			if name == "" {
				name = snake(f.Name)
			}
			if _, dup := fs.byKey[name]; !dup {
				fs.byKey[name] = idx
				fs.keys = append(fs.keys, name)
			}
		}
	}
	walk(t, nil)
	sort.Strings(fs.keys)
	return fs
}

// snake turns a Go field name into a TOML key: ReadHeaderTimeout becomes
// read_header_timeout, URL becomes url.
func snake(name string) string {
	r := []rune(name)
	var b strings.Builder
	for i, c := range r {
		if unicode.IsUpper(c) {
			if i > 0 && (unicode.IsLower(r[i-1]) || (i+1 < len(r) && unicode.IsLower(r[i+1]) && unicode.IsUpper(r[i-1]))) {
				b.WriteByte('_')
			}
			c = unicode.ToLower(c)
		}
		b.WriteRune(c)
	}
	return b.String()
}

func list(raw any) ([]any, bool) {
	switch v := raw.(type) {
	case []any:
		return v, true
	case []map[string]any:
		items := make([]any, len(v))
		for i := range v {
			items[i] = v[i]
		}
		return items, true
	}
	return nil, false
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// typeName names a parsed TOML value's type in TOML's words.
func typeName(raw any) string {
	switch v := raw.(type) {
	case string:
		return fmt.Sprintf("a string (%q)", v)
	case int64:
		return fmt.Sprintf("an integer (%d)", v)
	case float64:
		return fmt.Sprintf("a float (%v)", v)
	case bool:
		return fmt.Sprintf("a boolean (%v)", v)
	case map[string]any:
		return "a table"
	case []any, []map[string]any:
		return "an array"
	case nil:
		return "nothing"
	default:
		return "a date or time"
	}
}

// goTypeName names the TOML type a Go type takes.
func goTypeName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "a table"
	}
	return t.String()
}

// reflectValue returns the value v points to, for decoding into.
func reflectValue(v any) reflect.Value { return reflect.ValueOf(v).Elem() }
