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
	// fields caches fieldsOf, for the tables of an array.
	fields map[reflect.Type]structFields
}

// at is where a value stands: the key path shown in messages and the path
// under which it is written in the file (they differ for aliases, and for
// the entries of the arrays the framework reads). Both are linked to their
// parents, so that going a level deeper costs the same at any depth; they
// are spelled out only for a problem. env tells which values at and under
// this place came from the environment (nil when none did).
type at struct {
	path, loc *step
	env       *envMark
}

// step is a key path: its last name, and the path of its parent (nil for
// the document).
type step struct {
	up   *step
	name string
}

// add returns the path one level below s.
func (s *step) add(name string) *step { return &step{s, name} }

// steps returns the path of names.
func steps(names ...string) *step {
	var s *step
	for _, n := range names {
		s = s.add(n)
	}
	return s
}

// names spells the path out.
func (s *step) names() []string {
	n := 0
	for p := s; p != nil; p = p.up {
		n++
	}
	out := make([]string, n)
	for p := s; p != nil; p = p.up {
		n--
		out[n] = p.name
	}
	return out
}

// String returns the dotted path, such as "features.logger".
func (s *step) String() string { return strings.Join(s.names(), ".") }

func (a at) child(key string) at {
	path := a.path.add(key)
	loc := path
	if a.loc != a.path {
		loc = a.loc.add(key)
	}
	return at{path, loc, a.env.child(key)}
}

// secret reports whether the value at a came from the environment; such
// values are never shown in a message.
func (a at) secret() bool { return a.env != nil && a.env.fromEnv }

// envMark marks, in a tree of a section's keys (an array's elements keyed
// by their index), the values that came from the environment. A tree has
// only the keys above such values.
type envMark struct {
	fromEnv bool // the value here came from the environment
	kids    map[string]*envMark
}

// child returns the mark of key under m: m itself inside a value from the
// environment.
func (m *envMark) child(key string) *envMark {
	if m == nil || m.fromEnv {
		return m
	}
	return m.kids[key]
}

// with returns m with kid as the mark of key, making m when it is nil.
func (m *envMark) with(key string, kid *envMark) *envMark {
	if kid == nil {
		return m
	}
	if m == nil {
		m = &envMark{}
	}
	if m.kids == nil {
		m.kids = map[string]*envMark{}
	}
	m.kids[key] = kid
	return m
}

// problem records a problem about the value at a.
func (d *decoder) problem(a at, format string, args ...any) {
	line, col := d.src.locate(a.loc.names())
	d.problems = append(d.problems, Problem{
		File: d.file, Line: line, Col: col,
		Path: a.path.String(), Message: fmt.Sprintf(format, args...),
	})
}

var (
	durationType        = reflect.TypeFor[time.Duration]()
	timeType            = reflect.TypeFor[time.Time]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// show names raw's type for a message, with its value unless the value
// came from the environment.
func (d *decoder) show(raw any, a at) string {
	if a.secret() {
		if _, ok := raw.(string); ok {
			return "a string from the environment"
		}
	}
	return typeName(raw)
}

func (d *decoder) value(raw any, rv reflect.Value, a at) {
	t := rv.Type()
	if str, ok := raw.(string); ok && a.secret() {
		var ok bool
		if raw, ok = fromEnvString(str, t); !ok {
			d.problem(a, "the value from the environment is not %s", goTypeName(t))
			return
		}
	}
	if t.Kind() == reflect.Pointer {
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
	if tv, ok := raw.(time.Time); ok && t == timeType {
		rv.Set(reflect.ValueOf(tv))
		return
	}
	if reflect.PointerTo(t).Implements(textUnmarshalerType) && rv.CanAddr() {
		s, ok := raw.(string)
		if !ok {
			d.problem(a, "must be a string, not %s", d.show(raw, a))
			return
		}
		if err := rv.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(s)); err != nil {
			if a.secret() {
				d.problem(a, "the value from the environment is not valid (the reason is not shown, as it may quote the value)")
			} else {
				d.problem(a, "%q: %s", s, tidy(err.Error()))
			}
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
				bits := t.Bits()
				d.problem(a, "%d is out of range (%d to %d)", n, -(int64(1) << (bits - 1)), int64(1)<<(bits-1)-1)
				return
			}
			rv.SetInt(n)
			return
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		if n, ok := raw.(int64); ok {
			if n < 0 || rv.OverflowUint(uint64(n)) {
				d.problem(a, "%d is out of range (0 to %d)", n, uint64(1)<<t.Bits()-1)
				return
			}
			rv.SetUint(uint64(n))
			return
		}
	case reflect.Float32, reflect.Float64:
		if f, ok := number(raw); ok {
			if rv.OverflowFloat(f) {
				d.problem(a, "%v is out of range for a %s", f, t.Kind())
				return
			}
			rv.SetFloat(f)
			return
		}
	case reflect.Slice:
		if items, ok := list(raw); ok {
			s := reflect.MakeSlice(t, len(items), len(items))
			for i, item := range items {
				d.value(item, s.Index(i), a.child(strconv.Itoa(i)))
			}
			rv.Set(s)
			return
		}
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			d.problem(a, "cannot decode into %s: a table's keys are strings", t)
			return
		}
		if m, ok := raw.(map[string]any); ok {
			if rv.IsNil() {
				rv.Set(reflect.MakeMapWithSize(t, len(m)))
			}
			for _, k := range sortedKeys(m) {
				key := reflect.ValueOf(k).Convert(t.Key())
				e := reflect.New(t.Elem()).Elem()
				if old := rv.MapIndex(key); old.IsValid() {
					e.Set(old)
				}
				d.value(m[k], e, a.child(k))
				rv.SetMapIndex(key, e)
			}
			return
		}
	case reflect.Struct:
		if m, ok := raw.(map[string]any); ok {
			d.table(m, rv, a)
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
	d.problem(a, "must be %s, not %s", goTypeName(t), d.show(raw, a))
}

// number reads a float, or an integer as a float.
func number(raw any) (float64, bool) {
	switch n := raw.(type) {
	case float64:
		return n, true
	case int64:
		return float64(n), true
	}
	return 0, false
}

// fromEnvString converts a string that came from the environment ("${PORT}")
// for a boolean or numeric field, since the environment has only strings.
// Other fields take the string as it is.
func fromEnvString(s string, t reflect.Type) (any, bool) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(textUnmarshalerType) {
		return s, true
	}
	switch t.Kind() {
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		return b, err == nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if t == durationType {
			return s, true
		}
		n, err := strconv.ParseInt(s, 10, 64)
		return n, err == nil
	case reflect.Float32, reflect.Float64:
		f, err := strconv.ParseFloat(s, 64)
		return f, err == nil
	}
	return s, true
}

// duration reads a duration written as a Go duration string ("1m30s").
func (d *decoder) duration(raw any, a at) (time.Duration, bool) {
	switch v := raw.(type) {
	case string:
		dur, err := time.ParseDuration(v)
		if err == nil {
			return dur, true
		}
		switch _, nerr := strconv.ParseFloat(v, 64); {
		case a.secret():
			d.problem(a, "the value from the environment is not a duration (write it like \"30s\" or \"1m30s\")")
		case nerr == nil:
			d.problem(a, "%q is not a duration (write it like \"%ss\")", v, v)
		default:
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
	fields, ok := d.fields[rv.Type()]
	if !ok {
		fields = fieldsOf(rv.Type())
		if d.fields == nil {
			d.fields = map[reflect.Type]structFields{}
		}
		d.fields[rv.Type()] = fields
	}
	for _, k := range sortedKeys(m) {
		idx, ok := fields.byKey[k]
		if !ok {
			d.problem(at{a.path, a.loc.add(k), nil}, "unknown key %q%s", k, didYouMean(k, fields.keys))
			continue
		}
		d.value(m[k], field(rv, idx), a.child(k))
	}
}

// field returns the field of the struct rv at index, allocating the
// embedded structs it is promoted through when they are nil pointers.
func field(rv reflect.Value, index []int) reflect.Value {
	for n, i := range index {
		if n > 0 && rv.Kind() == reflect.Pointer {
			if rv.IsNil() {
				rv.Set(reflect.New(rv.Type().Elem()))
			}
			rv = rv.Elem()
		}
		rv = rv.Field(i)
	}
	return rv
}

type structFields struct {
	byKey map[string][]int
	keys  []string
}

// fieldsOf lists the keys a struct accepts: each exported field under its
// `toml:"name"` tag, or else its name in snake_case; embedded structs (and
// exported pointers to structs) lend their fields, the shallower field
// winning as in Go; a field tagged `toml:"-"` is skipped.
func fieldsOf(t reflect.Type) structFields {
	fs := structFields{byKey: map[string][]int{}}
	var walk func(t reflect.Type, index []int)
	inside := map[reflect.Type]bool{} // the structs being walked, against cycles
	walk = func(t reflect.Type, index []int) {
		if inside[t] {
			return
		}
		inside[t] = true
		defer delete(inside, t)
		for i := range t.NumField() {
			f := t.Field(i)
			idx := append(append([]int(nil), index...), i)
			name, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
			if name == "-" {
				continue
			}
			if f.Anonymous && name == "" {
				ft := f.Type
				if ft.Kind() == reflect.Pointer && f.IsExported() {
					ft = ft.Elem()
				}
				if ft.Kind() == reflect.Struct {
					walk(ft, idx)
					continue
				}
			}
			if !f.IsExported() {
				continue
			}
			if name == "" {
				name = snake(f.Name)
			}
			if old, dup := fs.byKey[name]; !dup || len(idx) < len(old) {
				fs.byKey[name] = idx
			}
		}
	}
	walk(t, nil)
	for k := range fs.byKey {
		fs.keys = append(fs.keys, k)
	}
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
