package env

import (
	"errors"
	"net"
	"net/netip"
	"net/url"
	"reflect"
	"testing"
	"time"

	cenv "github.com/caarlos0/env/v11"
)

type textType struct{ s string }

func (t *textType) UnmarshalText(b []byte) error { t.s = string(b); return nil }

type named int

type plain struct{ A int }

// TestSupportedAgreesWithLibrary expects supported to accept exactly the
// types the library has a parser for: a field of each type is parsed from a
// set variable, and the library says whether it found no parser.
func TestSupportedAgreesWithLibrary(t *testing.T) {
	tests := []struct {
		value any
		want  bool
	}{
		{"", true}, {false, true}, {0, true}, {int8(0), true}, {int16(0), true}, {int32(0), true}, {int64(0), true},
		{uint(0), true}, {uint8(0), true}, {uint16(0), true}, {uint32(0), true}, {uint64(0), true},
		{float32(0), true}, {float64(0), true}, {named(0), true},
		{time.Duration(0), true}, {url.URL{}, true}, {&url.URL{}, true}, {time.Location{}, true},
		{textType{}, true}, {&textType{}, true}, {netip.Addr{}, true}, {net.IP{}, true},
		{[]string{}, true}, {[]int{}, true}, {[]*int{}, true}, {[]time.Duration{}, true}, {[]url.URL{}, true},
		{[]textType{}, true}, {[]*textType{}, true}, {[]netip.Addr{}, true},
		{map[string]int{}, true}, {map[named]time.Duration{}, true},
		{new(int), true}, {new(string), true},

		{complex64(0), false}, {complex128(0), false}, {uintptr(0), false}, {make(chan int), false},
		{func() {}, false}, {plain{}, false}, {new(*int), false}, {new([]int), false}, {[][]int{}, false},
		{map[string][]int{}, false}, {map[string]textType{}, false}, {[]chan int{}, false}, {new(any), false},
	}
	for _, tt := range tests {
		typ := reflect.TypeOf(tt.value)
		t.Run(typ.String(), func(t *testing.T) {
			if got := supported(typ); got != tt.want {
				t.Errorf("supported(%s) = %t, want %t", typ, got, tt.want)
			}
			st := reflect.StructOf([]reflect.StructField{{Name: "V", Type: typ, Tag: `env:"V"`}})
			err := cenv.ParseWithOptions(reflect.New(st).Interface(), cenv.Options{Environment: map[string]string{"V": "x"}})
			if library := !errors.As(err, new(cenv.NoParserError)); library != tt.want {
				t.Errorf("the library parses %s: %t (%v), want %t", typ, library, err, tt.want)
			}
		})
	}
}
