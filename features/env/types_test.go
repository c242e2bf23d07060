package env_test

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// level is a type the feature parses through encoding.TextUnmarshaler.
type level int

func (l *level) UnmarshalText(b []byte) error {
	switch strings.ToLower(string(b)) {
	case "low":
		*l = 1
	case "high":
		*l = 2
	default:
		return fmt.Errorf("unknown level %q (low or high)", b)
	}
	return nil
}

// count is a named integer: parsed as its kind.
type count int

// database is a nested struct, read under a prefix.
type database struct {
	Host string `env:"HOST,required"`
	Port uint16 `env:"PORT" envDefault:"5432"`
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

// TestTypes fills one field of each type the feature parses, from the
// variable V (or the names the case gives), and compares what it got.
func TestTypes(t *testing.T) {
	file := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(file, []byte("s3cr3t"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		target   any // a pointer to a struct whose first field is checked
		vars     map[string]string
		optional []string // default: V
		want     any
	}{
		{"string", &struct {
			V string `env:"V"`
		}{}, map[string]string{"V": "hello, world"}, nil, "hello, world"},
		{"int", &struct {
			V int `env:"V"`
		}{}, map[string]string{"V": "-42"}, nil, -42},
		{"int8", &struct {
			V int8 `env:"V"`
		}{}, map[string]string{"V": "-128"}, nil, int8(-128)},
		{"int16", &struct {
			V int16 `env:"V"`
		}{}, map[string]string{"V": "32767"}, nil, int16(32767)},
		{"int32", &struct {
			V int32 `env:"V"`
		}{}, map[string]string{"V": "-2147483648"}, nil, int32(-2147483648)},
		{"int64", &struct {
			V int64 `env:"V"`
		}{}, map[string]string{"V": "9223372036854775807"}, nil, int64(9223372036854775807)},
		{"uint", &struct {
			V uint `env:"V"`
		}{}, map[string]string{"V": "7"}, nil, uint(7)},
		{"uint8", &struct {
			V uint8 `env:"V"`
		}{}, map[string]string{"V": "255"}, nil, uint8(255)},
		{"uint16", &struct {
			V uint16 `env:"V"`
		}{}, map[string]string{"V": "65535"}, nil, uint16(65535)},
		{"uint32", &struct {
			V uint32 `env:"V"`
		}{}, map[string]string{"V": "4294967295"}, nil, uint32(4294967295)},
		{"uint64", &struct {
			V uint64 `env:"V"`
		}{}, map[string]string{"V": "18446744073709551615"}, nil, uint64(18446744073709551615)},
		{"float32", &struct {
			V float32 `env:"V"`
		}{}, map[string]string{"V": "0.5"}, nil, float32(0.5)},
		{"float64", &struct {
			V float64 `env:"V"`
		}{}, map[string]string{"V": "-1.25e3"}, nil, -1250.0},
		{"bool", &struct {
			V bool `env:"V"`
		}{}, map[string]string{"V": "true"}, nil, true},
		{"bool 0", &struct {
			V bool `env:"V"`
		}{V: true}, map[string]string{"V": "0"}, nil, false},
		{"named int", &struct {
			V count `env:"V"`
		}{}, map[string]string{"V": "3"}, nil, count(3)},
		{"pointer to int", &struct {
			V *int `env:"V"`
		}{}, map[string]string{"V": "3"}, nil, func() *int { i := 3; return &i }()},
		{"duration", &struct {
			V time.Duration `env:"V"`
		}{}, map[string]string{"V": "1m30s"}, nil, 90 * time.Second},
		{"*url.URL", &struct {
			V *url.URL `env:"V"`
		}{}, map[string]string{"V": "postgres://db:5432/orders?sslmode=off"}, nil,
			mustURL("postgres://db:5432/orders?sslmode=off")},
		{"url.URL", &struct {
			V url.URL `env:"V"`
		}{}, map[string]string{"V": "https://example.com/a"}, nil, *mustURL("https://example.com/a")},
		{"location", &struct {
			V time.Location `env:"V"`
		}{}, map[string]string{"V": "UTC"}, nil, *time.UTC},
		{"text unmarshaler", &struct {
			V level `env:"V"`
		}{}, map[string]string{"V": "HIGH"}, nil, level(2)},
		{"pointer to text unmarshaler", &struct {
			V *level `env:"V"`
		}{}, map[string]string{"V": "low"}, nil, func() *level { l := level(1); return &l }()},
		{"strings", &struct {
			V []string `env:"V" envSeparator:","`
		}{}, map[string]string{"V": "a,b,c"}, nil, []string{"a", "b", "c"}},
		{"ints with a separator", &struct {
			V []int `env:"V" envSeparator:";"`
		}{}, map[string]string{"V": "1;2;3"}, nil, []int{1, 2, 3}},
		{"durations", &struct {
			V []time.Duration `env:"V"`
		}{}, map[string]string{"V": "1s,2m"}, nil, []time.Duration{time.Second, 2 * time.Minute}},
		{"text unmarshalers", &struct {
			V []level `env:"V"`
		}{}, map[string]string{"V": "low,high"}, nil, []level{1, 2}},
		{"urls", &struct {
			V []url.URL `env:"V" envSeparator:" "`
		}{}, map[string]string{"V": "http://a http://b"}, nil,
			[]url.URL{*mustURL("http://a"), *mustURL("http://b")}},
		{"map", &struct {
			V map[string]int `env:"V" envSeparator:"," envKeyValSeparator:"="`
		}{}, map[string]string{"V": "a=1,b=2"}, nil, map[string]int{"a": 1, "b": 2}},
		{"default", &struct {
			V time.Duration `env:"V" envDefault:"5s"`
		}{}, nil, nil, 5 * time.Second},
		{"default when empty", &struct {
			V int `env:"V" envDefault:"4"`
		}{}, map[string]string{"V": ""}, nil, 4},
		{"set beats default", &struct {
			V int `env:"V" envDefault:"4"`
		}{}, map[string]string{"V": "8"}, nil, 8},
		{"unset keeps the value", &struct {
			V string `env:"V"`
		}{V: "preset"}, nil, nil, "preset"},
		{"required and set", &struct {
			V string `env:"V,required"`
		}{}, map[string]string{"V": "x"}, []string{}, "x"},
		{"secret", &struct {
			V string `env:"V,required" envSecret:"true"`
		}{}, map[string]string{"V": "hunter2"}, []string{}, "hunter2"},
		{"file", &struct {
			V string `env:"V,file"`
		}{}, map[string]string{"V": file}, nil, "s3cr3t"},
		{"ignored", &struct {
			V string `env:"-"`
			W string `env:"V"`
		}{V: "kept"}, map[string]string{"V": "x"}, nil, "kept"},
		{"nested with prefix", &struct {
			V database `envPrefix:"DB_"`
		}{}, map[string]string{"DB_HOST": "db", "DB_PORT": "6543"}, []string{"DB_PORT"}, database{Host: "db", Port: 6543}},
		{"nested defaults", &struct {
			V database `envPrefix:"DB_"`
		}{}, map[string]string{"DB_HOST": "db"}, []string{"DB_PORT"}, database{Host: "db", Port: 5432}},
		{"prefixes add up", &struct {
			V struct {
				Main database `envPrefix:"MAIN_"`
			} `envPrefix:"APP_"`
		}{}, map[string]string{"APP_MAIN_HOST": "m"}, []string{"APP_MAIN_PORT"}, struct {
			Main database `envPrefix:"MAIN_"`
		}{Main: database{Host: "m", Port: 5432}}},
		{"non-nil pointer to a struct", &struct {
			V *database `envPrefix:"DB_"`
		}{V: &database{}}, map[string]string{"DB_HOST": "db"}, []string{"DB_PORT"}, &database{Host: "db", Port: 5432}},
		{"nil pointer with init", &struct {
			V *database `env:",init" envPrefix:"DB_"`
		}{}, map[string]string{"DB_HOST": "db"}, []string{"DB_PORT"}, &database{Host: "db", Port: 5432}},
		{"nil pointer to a struct is left alone", &struct {
			V *database `envPrefix:"DB_"`
		}{}, nil, []string{}, (*database)(nil)},
		{"unexported fields are not read", &struct {
			V string `env:"V"`
			w string `env:"W"`
		}{}, map[string]string{"V": "x"}, nil, "x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			optional := tt.optional
			envs := ""
			if optional == nil {
				optional = []string{"V"}
			}
			var required []string
			for name := range tt.vars {
				if !slices.Contains(optional, name) {
					required = append(required, `"`+name+`"`)
				}
			}
			if len(required) > 0 {
				envs = "envs = [" + strings.Join(required, ", ") + "]\n"
			}
			f := configured(t, envs+table(optional...), tt.vars, tt.vars)
			if err := f.Fill(tt.target); err != nil {
				t.Fatalf("Fill: %v", err)
			}
			got := reflect.ValueOf(tt.target).Elem().Field(0).Interface()
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}
