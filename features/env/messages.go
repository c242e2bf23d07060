package env

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"net/url"
	"reflect"
	"strconv"
	"time"

	cenv "github.com/caarlos0/env/v11"
)

// describe says why the value of p could not be parsed: which value (the
// variable's, its default, or the content of the file it names), quoted
// unless p is secret, and why. err is the cause the library wrapped in its
// ParseError.
func describe(p variable, environ map[string]string, err error) string {
	value, fromDefault := environ[p.key], false
	if value == "" && p.hasDefault {
		value, fromDefault = p.defaultValue, true
	}
	want := p.field.Type.String()
	shown := value
	if p.file {
		shown = "" // the value names the file; the content is what failed
	}
	why := reason(p.field.Type, shown, err, p.secret)
	if why != "" {
		why = " (" + why + ")"
	}
	var what string
	switch {
	case p.file:
		what = "the content of the file it names"
	case p.secret && fromDefault:
		what = "its default (envDefault)"
	case p.secret:
		what = "its value"
	case fromDefault:
		what = fmt.Sprintf("its default %s (envDefault)", quoted(value))
	default:
		what = quoted(value)
	}
	msg := fmt.Sprintf("%s is not a valid %s%s", what, want, why)
	if p.secret {
		msg += "; it is secret and not shown"
	}
	return msg
}

// reason explains a parse failure of value ("" when it is not known). For a secret, only what does not depend
// on the value is told: the category of a number's error, or how a value
// of the type is written.
func reason(t reflect.Type, value string, err error, secret bool) string {
	hint := hint(t)
	var ne *strconv.NumError
	if errors.As(err, &ne) {
		var why string
		switch {
		case errors.Is(ne.Err, strconv.ErrRange):
			why = "out of range" + bounds(t)
		case errors.Is(ne.Err, strconv.ErrSyntax):
			why = "invalid syntax"
		}
		if value != "" && ne.Num != value {
			// Not quoted: a part of a value is not found by core's
			// redaction of the values read from the environment.
			why = "one of its elements: " + why
		}
		return join(why, hint)
	}
	if secret || hint != "" {
		return hint
	}
	var pv cenv.ParseValueError
	if errors.As(err, &pv) {
		var ue *url.Error
		if errors.As(pv.Err, &ue) {
			return ue.Err.Error()
		}
		return pv.Err.Error()
	}
	return err.Error()
}

// hint says how a value of t (or of its elements) is written, for the types
// whose errors say too little.
func hint(t reflect.Type) string {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	switch {
	case t == reflect.TypeFor[time.Duration]():
		return `write it like "5s" or "1m30s"`
	case t.Kind() == reflect.Bool && !reflect.PointerTo(t).Implements(textUnmarshaler):
		return "write true or false"
	}
	return ""
}

// bounds says, for an integer type (or a pointer to or slice of one), the
// range the library accepts: int and uint are read as 32 bits.
func bounds(t reflect.Type) string {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	bits := map[reflect.Kind]int{
		reflect.Int: 32, reflect.Int8: 8, reflect.Int16: 16, reflect.Int32: 32, reflect.Int64: 64,
		reflect.Uint: 32, reflect.Uint8: 8, reflect.Uint16: 16, reflect.Uint32: 32, reflect.Uint64: 64,
	}[t.Kind()]
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return fmt.Sprintf(": %d to %d", math.MinInt64>>(64-bits), math.MaxInt64>>(64-bits))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return fmt.Sprintf(": 0 to %d", uint64(math.MaxUint64)>>(64-bits))
	}
	return ""
}

func join(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "; " + b
}

// fileReason says why a file could not be read, without its name.
func fileReason(err error) string {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "no such file"
	case errors.Is(err, fs.ErrPermission):
		return "permission denied"
	}
	return "not readable"
}
