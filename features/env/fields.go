package env

import (
	"encoding"
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	cenv "github.com/caarlos0/env/v11"

	"github.com/mikros-go/mikros/core/definition"
)

// The struct tags the feature reads. All but envSecret are those of
// github.com/caarlos0/env, which parses the values.
const (
	tagEnv         = "env"
	tagPrefix      = "envPrefix"
	tagDefault     = "envDefault"
	tagSecret      = "envSecret"
	tagSeparator   = "envSeparator"
	tagKeyValueSep = "envKeyValSeparator"
)

// declaration says where the definition declares a variable.
type declaration int

const (
	undeclared declaration = iota
	declaredInEnvs
	declaredOptional
)

// variable is one environment variable the struct reads: a field tagged
// env:"NAME".
type variable struct {
	key    string              // the name read: the prefixes, then NAME
	prefix string              // the prefixes of the enclosing structs
	field  reflect.StructField // the field as declared
	path   string              // the field's path, such as "Env.DB.Host"
	secret bool                // marked envSecret:"true", or inside such a struct

	required, notEmpty, file bool
	hasDefault               bool
	defaultValue             string

	supported bool // the library has a parser for the field's type
	declared  declaration
}

// options are the options of the env tag the feature accepts, and those it
// refuses with the reason.
var (
	options = []string{"required", "notEmpty", "file", "init", "-"}
	refused = map[string]string{
		"unset":  "it would remove the variable from the process environment, which the feature never reads nor changes",
		"expand": "it would expand $NAME in the value from variables that are not declared",
	}
)

// walk lists the variables the struct v reads, in the order in which
// github.com/caarlos0/env visits them, and the problems of their tags and
// types. It changes nothing in v.
func walk(v reflect.Value) ([]variable, definition.Problems) {
	w := &walker{}
	w.walk(v, "", typeName(v.Type()), false)
	return w.vars, w.problems
}

// typeName names the struct type in messages: its name, or "env" for an
// unnamed struct type.
func typeName(t reflect.Type) string {
	if t.Name() == "" {
		return "env"
	}
	return t.Name()
}

type walker struct {
	vars     []variable
	problems definition.Problems
}

func (w *walker) problem(path, format string, args ...any) {
	w.problems = append(w.problems, definition.Problem{Path: "field " + path, Message: fmt.Sprintf(format, args...)})
}

// walk follows the library's order: fields in declaration order, exported
// ones only; a non-nil pointer to a struct and a field of an unnamed struct
// type are entered without being read; any other field is read when it has
// a name in its env tag, then entered when it is a struct (a nil pointer
// marked init counting as one).
func (w *walker) walk(v reflect.Value, prefix, path string, secret bool) {
	t := v.Type()
	for i := range t.NumField() {
		sf, fv := t.Field(i), v.Field(i)
		if !fv.CanSet() {
			continue
		}
		p := path + "." + sf.Name
		sec := secret
		if tag, ok := sf.Tag.Lookup(tagSecret); ok {
			switch tag {
			case "true":
				sec = true
			case "false":
			default:
				w.problem(p, "envSecret:%q must be \"true\" or \"false\"", tag)
			}
		}
		inner := prefix + sf.Tag.Get(tagPrefix)
		if fv.Kind() == reflect.Pointer && !fv.IsNil() && fv.Elem().Kind() == reflect.Struct {
			w.walk(fv.Elem(), inner, p, sec)
			continue
		}
		if fv.Kind() == reflect.Struct && sf.Type.Name() == "" {
			w.walk(fv, inner, p, sec)
			continue
		}
		tag := sf.Tag.Get(tagEnv)
		parts := strings.Split(tag, ",")
		name, opts := parts[0], parts[1:]
		set := map[string]bool{}
		bad := false
		for _, o := range opts {
			switch {
			case o == "":
			case slices.Contains(options, o):
				set[o] = true
			case refused[o] != "":
				w.problem(p, "option %q of env:%q is not supported: %s", o, tag, refused[o])
				bad = true
			default:
				hint := ""
				if s := nearest(o, options); s != "" {
					hint = fmt.Sprintf("; did you mean %q?", s)
				}
				w.problem(p, "env:%q has an unknown option %q (options: %s)%s", tag, o, strings.Join(options[:len(options)-1], ", "), hint)
				bad = true
			}
		}
		if bad || name == "-" || set["-"] {
			continue
		}
		if name != "" {
			def, hasDef := sf.Tag.Lookup(tagDefault)
			vr := variable{
				key: prefix + name, prefix: prefix, field: sf, path: p, secret: sec,
				required: set["required"], notEmpty: set["notEmpty"], file: set["file"],
				hasDefault: hasDef, defaultValue: def,
				supported: supported(sf.Type),
			}
			if !isEnvName(vr.key) {
				w.problem(p, "env:%q reads %q, which is not a variable name (uppercase letters, digits and '_')", tag, vr.key)
				continue
			}
			if !vr.supported {
				w.problem(p, "reads %s, but a %s cannot be parsed from a variable (%s)", vr.key, sf.Type, supportedTypes)
			}
			w.vars = append(w.vars, vr)
		}
		if set["init"] && fv.Kind() == reflect.Pointer && fv.IsNil() {
			fv = reflect.New(sf.Type.Elem()).Elem()
		}
		if fv.Kind() == reflect.Struct {
			w.walk(fv, inner, p, sec)
			continue
		}
		if name == "" && structSlice(sf.Type) {
			if inner != "" && !strings.HasSuffix(inner, "_") {
				inner += "_" // as the library does
			}
			w.problem(p, "a slice of structs would be read from numbered variables (%s0_NAME, %s1_NAME, ...) that cannot all be declared; "+
				"use fields of their own, or tag it env:\"-\"", inner, inner)
		}
	}
}

// structSlice reports whether t is a slice of structs, or a pointer to one,
// which the library fills from numbered variables.
func structSlice(t reflect.Type) bool {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Struct
}

var (
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
	// parsedTypes are the types the library has a parser of its own for.
	parsedTypes = []reflect.Type{reflect.TypeFor[url.URL](), reflect.TypeFor[time.Duration](), reflect.TypeFor[time.Location]()}
)

// supportedTypes says, for messages, which types supported accepts.
const supportedTypes = "strings, booleans, integers, floats, time.Duration, url.URL, time.Location, " +
	"encoding.TextUnmarshaler types, pointers to these, slices of them, and maps of the plain ones"

// supported reports whether the library can parse a value of type t: a
// string, a boolean, an integer or a float, a time.Duration, a url.URL, a
// time.Location, a type that implements encoding.TextUnmarshaler, a pointer
// to one of these, a slice of them (or of pointers to them), or a map
// whose keys and values are of the scalar types.
func supported(t reflect.Type) bool {
	if t.Kind() == reflect.Pointer && t.Implements(textUnmarshaler) ||
		t.Kind() != reflect.Pointer && reflect.PointerTo(t).Implements(textUnmarshaler) {
		return true
	}
	e := t
	if e.Kind() == reflect.Pointer {
		e = e.Elem()
	}
	if scalar(e) {
		return true
	}
	switch t.Kind() {
	case reflect.Slice:
		el := t.Elem()
		if el.Kind() == reflect.Pointer {
			el = el.Elem()
		}
		return reflect.PointerTo(el).Implements(textUnmarshaler) || scalar(el)
	case reflect.Map:
		return scalar(t.Key()) && scalar(t.Elem())
	}
	return false
}

// scalar reports whether the library parses t by itself.
func scalar(t reflect.Type) bool {
	if slices.Contains(parsedTypes, t) {
		return true
	}
	switch t.Kind() {
	case reflect.Bool, reflect.String,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return true
	}
	return false
}

// crossCheck compares the variables the walk found with those the library
// lists for the same struct, and reports a difference: the feature then
// does not know the struct as the library reads it.
func crossCheck(v reflect.Value, vars []variable) definition.Problems {
	// The library allocates nil pointers marked init as it lists them:
	// it lists a copy.
	scratch := reflect.New(v.Type())
	scratch.Elem().Set(v)
	params, err := cenv.GetFieldParamsWithOptions(scratch.Interface(), cenv.Options{Environment: map[string]string{}})
	theirs := make([]string, len(params))
	for i, p := range params {
		theirs[i] = summary(p.Key, p.Required, p.NotEmpty, p.LoadFile, p.HasDefaultValue, p.DefaultValue == "")
	}
	mine := make([]string, len(vars))
	for i, vr := range vars {
		mine[i] = summary(vr.key, vr.required, vr.notEmpty, vr.file, vr.hasDefault, vr.defaultValue == "")
	}
	if err == nil && slices.Equal(theirs, mine) {
		return nil
	}
	return definition.Problems{{Path: "type " + typeName(v.Type()), Message: fmt.Sprintf(
		"the fields read the variables [%s], but the feature found [%s]; the struct has a shape the feature does not support",
		strings.Join(theirs, ", "), strings.Join(mine, ", "))}}
}

// summary describes a variable for crossCheck: its name and options, and
// whether it has a default (not the default itself, which may be secret).
func summary(key string, required, notEmpty, file, hasDefault, emptyDefault bool) string {
	s := key
	for _, o := range []struct {
		on   bool
		name string
	}{{required, "required"}, {notEmpty, "notEmpty"}, {file, "file"}, {hasDefault && emptyDefault, "empty default"}, {hasDefault && !emptyDefault, "default"}} {
		if o.on {
			s += " " + o.name
		}
	}
	return s
}

// check loads the variable p alone, into a struct that has only its field,
// and returns the library's error about it, if any.
func check(p variable, environ map[string]string) error {
	t := reflect.StructOf([]reflect.StructField{{Name: "V", Type: p.field.Type, Tag: p.field.Tag}})
	err := cenv.ParseWithOptions(reflect.New(t).Interface(), cenv.Options{Environment: environ, Prefix: p.prefix})
	agg, ok := err.(cenv.AggregateError)
	if !ok {
		return err
	}
	for _, e := range agg.Errors {
		switch e := e.(type) {
		case cenv.VarIsNotSetError:
			if e.Key == p.key {
				return e
			}
		case cenv.EmptyVarError:
			if e.Key == p.key {
				return e
			}
		case cenv.LoadFileContentError:
			if e.Key == p.key {
				return e
			}
		case cenv.ParseError:
			if e.Name == "V" {
				return e
			}
		case cenv.NoParserError:
			if e.Name == "V" {
				return e
			}
		}
	}
	return nil
}

// isEnvName reports whether s is an environment variable name like
// DATABASE_URL: [A-Z_][A-Z0-9_]*, as core checks envs.
func isEnvName(s string) bool {
	if s == "" || s[0] != '_' && (s[0] < 'A' || s[0] > 'Z') {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; c != '_' && (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// nearest returns the candidate closest to word, when one is close enough
// to be a likely misspelling; "" otherwise.
func nearest(word string, candidates []string) string {
	best, bestDist := "", -1
	for _, c := range candidates {
		d := distance(word, c)
		if d <= max(1, min(len(word), len(c))/3) && (bestDist < 0 || d < bestDist) {
			best, bestDist = c, d
		}
	}
	return best
}

// distance is the Levenshtein distance between a and b, in bytes.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// maxQuoted is the length past which a value quoted in a message is cut.
const maxQuoted = 100

// quoted returns the value for a message: quoted, with the user
// information of a URL replaced, and cut when it is long.
func quoted(s string) string {
	cut := ""
	if len(s) > maxQuoted {
		n := maxQuoted
		for n > 0 && !utf8.RuneStart(s[n]) {
			n--
		}
		s, cut = s[:n], fmt.Sprintf("… (%d bytes)", len(s))
	}
	if i := strings.Index(s, "://"); i >= 0 {
		rest := s[i+3:]
		end := strings.IndexAny(rest, "/?#")
		if end < 0 {
			end = len(rest)
		}
		if at := strings.LastIndex(rest[:end], "@"); at >= 0 {
			s = s[:i+3] + "[redacted]" + rest[at:]
		}
	}
	return strconv.Quote(s) + cut
}
