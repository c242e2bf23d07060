package env_test

import (
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestProblems fills structs from environments that are wrong in every way
// the feature reports, and expects every problem, at once, sorted by place.
func TestProblems(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing")
	notInt := filepath.Join(dir, "not-int")
	if err := os.WriteFile(notInt, []byte("many"), 0o600); err != nil {
		t.Fatal(err)
	}

	type Undeclared struct {
		URL     *url.URL      `env:"DATABASE_URL,required"`
		Timeout time.Duration `env:"TIMEOUT" envDefault:"5s"`
		Tags    []string      `env:"TAGS"`
		Host    string        `env:"DB_HOST,required"`
	}
	type Required struct {
		Host string `env:"DB_HOST,required"`
		Port int    `env:"DB_PORT,required" envDefault:"5432"`
	}
	type Missing struct {
		URL *url.URL `env:"DATABASE_URL,required"`
	}
	type NotEmpty struct {
		Name string `env:"NAME,notEmpty"`
	}
	type Invalid struct {
		Workers int               `env:"WORKERS"`
		Small   uint8             `env:"SMALL"`
		Ratio   float64           `env:"RATIO"`
		Debug   bool              `env:"DEBUG"`
		Timeout time.Duration     `env:"TIMEOUT"`
		URL     *url.URL          `env:"DATABASE_URL"`
		Level   level             `env:"LEVEL"`
		Ports   []int             `env:"PORTS"`
		Weights map[string]int    `env:"WEIGHTS"`
		Retries int               `env:"RETRIES" envDefault:"three"`
		Cert    string            `env:"CERT,file"`
		Count   int               `env:"COUNT,file"`
		Zone    time.Location     `env:"ZONE"`
		Fine    string            `env:"FINE"`
		Labels  map[string]string `env:"LABELS" envKeyValSeparator:"="`
		Tiny    int8              `env:"TINY"`
		Int     int               `env:"INT"`
		Home    url.URL           `env:"HOME_URL"`
		Long    int               `env:"LONG"`
		Count2  int               `env:"COUNT2,file" envDefault:"/run/count"`
	}
	type Secret struct {
		Pin     int            `env:"PIN" envSecret:"true"`
		Timeout time.Duration  `env:"S_TIMEOUT" envSecret:"true"`
		Debug   bool           `env:"S_DEBUG" envSecret:"true"`
		Small   []uint8        `env:"S_SMALL" envSecret:"true"`
		Level   level          `env:"S_LEVEL" envSecret:"true"`
		URL     url.URL        `env:"S_URL" envSecret:"true"`
		Weights map[string]int `env:"S_WEIGHTS" envSecret:"true"`
		Retries int            `env:"S_RETRIES" envDefault:"thr33" envSecret:"true"`
		Cert    string         `env:"S_CERT,file" envSecret:"true"`
		Creds   struct {
			User string `env:"USER"`
			Key  int    `env:"KEY"`
		} `envPrefix:"CREDS_" envSecret:"true"`
	}
	type DB struct {
		Host string `env:"HOST"`
		Port int    `env:"PORT"`
	}
	type Nested struct {
		Main  DB `envPrefix:"MAIN_"`
		Cache DB `envPrefix:"CACHE_"`
	}
	type Item struct {
		Name string `env:"NAME"`
	}
	type Refused struct {
		Ch      chan int `env:"CH"`
		Unset   string   `env:"UNSET,unset"`
		Expand  string   `env:"EXPAND,expand"`
		Typo    string   `env:"TYPO,requird"`
		Marker  string   `env:"MARKER" envSecret:"yes"`
		Items   []Item   `envPrefix:"ITEMS_"`
		Jobs    *[]Item  `envPrefix:"JOBS"`
		Lower   string   `env:"db_host"`
		Ptrs    *[]int   `env:"PTRS"`
		Fine    int      `env:"FINE"`
		Skipped []Item   `env:"-"`
	}

	tests := []struct {
		name    string
		rest    string            // the definition after identity
		defVars map[string]string // the environment the definition is checked with; vars when nil
		vars    map[string]string // the environment Fill reads
		target  any
		want    []string
	}{
		{
			name:   "undeclared, each where it belongs",
			rest:   `envs = ["DB_HOST"]` + table("TIMEOUTS"),
			vars:   map[string]string{"DB_HOST": "db"},
			target: &Undeclared{},
			want: []string{
				`service.toml:5:1: envs: DATABASE_URL is read by field Undeclared.URL but not declared; add it to envs`,
				`service.toml:8:1: features.env.optional: TIMEOUT is read by field Undeclared.Timeout but not declared; add it to optional in [features.env], or to envs if it must be set; did you mean TIMEOUTS?`,
				`service.toml:8:1: features.env.optional: TAGS is read by field Undeclared.Tags but not declared; add it to optional in [features.env], or to envs if it must be set`,
			},
		},
		{
			name:   "undeclared, without an optional list",
			rest:   "\n[features.env]\nenabled = true\n",
			target: &Undeclared{},
			want: []string{
				`service.toml:6:11: features.env.optional: TIMEOUT is read by field Undeclared.Timeout but not declared; add it to optional in [features.env], or to envs if it must be set`,
				`service.toml:6:11: features.env.optional: TAGS is read by field Undeclared.Tags but not declared; add it to optional in [features.env], or to envs if it must be set`,
				`service.toml: envs: DATABASE_URL is read by field Undeclared.URL but not declared; add it to envs`,
				`service.toml: envs: DB_HOST is read by field Undeclared.Host but not declared; add it to envs`,
			},
		},
		{
			name:   "required, but declared optional",
			rest:   table("DB_HOST", "DB_PORT"),
			vars:   map[string]string{"DB_HOST": "db"},
			target: &Required{},
			want: []string{
				`service.toml:8:1: features.env.optional: DB_HOST is required by field Required.Host; declare it in envs instead, which makes it required at boot`,
			},
		},
		{
			// The definition reports a variable of envs that is not set,
			// once, at envs (see TestMissingEnvsReportedOnce); Fill does
			// not repeat it.
			name:    "declared in envs, but not set",
			rest:    `envs = ["DATABASE_URL"]` + table(),
			defVars: map[string]string{"DATABASE_URL": "postgres://db/orders"},
			target:  &Missing{},
			want:    nil,
		},
		{
			name:   "set but empty",
			rest:   table("NAME"),
			vars:   map[string]string{"NAME": ""},
			target: &NotEmpty{},
			want: []string{
				`service.toml:8:1: features.env.optional: NAME (field NotEmpty.Name) is set but empty, and the field is tagged notEmpty`,
			},
		},
		{
			name:   "not set, but not to be empty",
			rest:   table("NAME"),
			target: &NotEmpty{},
			want: []string{
				`service.toml:8:1: features.env.optional: NAME (field NotEmpty.Name) is not set, and the field is tagged notEmpty`,
			},
		},
		{
			name: "invalid values, each with its type",
			rest: table("WORKERS", "SMALL", "RATIO", "DEBUG", "TIMEOUT", "DATABASE_URL", "LEVEL", "PORTS", "WEIGHTS",
				"RETRIES", "CERT", "COUNT", "ZONE", "FINE", "LABELS", "TINY", "INT", "HOME_URL", "LONG", "COUNT2"),
			vars: map[string]string{
				"WORKERS": "four", "SMALL": "300", "RATIO": "1/2", "DEBUG": "yes", "TIMEOUT": "5",
				"DATABASE_URL": "postgres://ada:pw@db:x/orders", "LEVEL": "medium", "PORTS": "80,http",
				"WEIGHTS": "a:1,b", "CERT": missing, "COUNT": notInt, "ZONE": "Mars/Olympus", "FINE": "fine",
				"LABELS": "a=b", "TINY": "-129", "INT": "3000000000", "HOME_URL": "http://example.com:x/a@b",
				"LONG": strings.Repeat("9", 99) + "é" + strings.Repeat("9", 50), "COUNT2": notInt,
			},
			target: &Invalid{},
			want: []string{
				`service.toml:8:1: features.env.optional: WORKERS (field Invalid.Workers): "four" is not a valid int (invalid syntax)`,
				`service.toml:8:1: features.env.optional: SMALL (field Invalid.Small): "300" is not a valid uint8 (out of range: 0 to 255)`,
				`service.toml:8:1: features.env.optional: RATIO (field Invalid.Ratio): "1/2" is not a valid float64 (invalid syntax)`,
				`service.toml:8:1: features.env.optional: DEBUG (field Invalid.Debug): "yes" is not a valid bool (invalid syntax; write true or false)`,
				`service.toml:8:1: features.env.optional: TIMEOUT (field Invalid.Timeout): "5" is not a valid time.Duration (write it like "5s" or "1m30s")`,
				`service.toml:8:1: features.env.optional: DATABASE_URL (field Invalid.URL): "postgres://[redacted]@db:x/orders" is not a valid *url.URL (invalid port ":x" after host)`,
				`service.toml:8:1: features.env.optional: LEVEL (field Invalid.Level): "medium" is not a valid env_test.level (unknown level "medium" (low or high))`,
				`service.toml:8:1: features.env.optional: PORTS (field Invalid.Ports): "80,http" is not a valid []int (one of its elements: invalid syntax)`,
				`service.toml:8:1: features.env.optional: WEIGHTS (field Invalid.Weights): "a:1,b" is not a valid map[string]int ("b" should be in "key:value" format)`,
				`service.toml:8:1: features.env.optional: RETRIES (field Invalid.Retries): its default "three" (envDefault) is not a valid int (invalid syntax)`,
				`service.toml:8:1: features.env.optional: CERT (field Invalid.Cert): cannot read the file "` + missing + `" it names: open ` + missing + `: no such file or directory`,
				`service.toml:8:1: features.env.optional: COUNT (field Invalid.Count): the content of the file it names is not a valid int (invalid syntax)`,
				`service.toml:8:1: features.env.optional: ZONE (field Invalid.Zone): "Mars/Olympus" is not a valid time.Location (unknown time zone Mars/Olympus)`,
				`service.toml:8:1: features.env.optional: TINY (field Invalid.Tiny): "-129" is not a valid int8 (out of range: -128 to 127)`,
				`service.toml:8:1: features.env.optional: INT (field Invalid.Int): "3000000000" is not a valid int (out of range: -2147483648 to 2147483647)`,
				`service.toml:8:1: features.env.optional: HOME_URL (field Invalid.Home): "http://example.com:x/a@b" is not a valid url.URL (invalid port ":x" after host)`,
				`service.toml:8:1: features.env.optional: LONG (field Invalid.Long): "` + strings.Repeat("9", 99) + `"… (151 bytes) is not a valid int (out of range: -2147483648 to 2147483647)`,
				`service.toml:8:1: features.env.optional: COUNT2 (field Invalid.Count2): the content of the file it names is not a valid int (invalid syntax)`,
			},
		},
		{
			name: "secrets, never shown",
			rest: table("PIN", "S_TIMEOUT", "S_DEBUG", "S_SMALL", "S_LEVEL", "S_URL", "S_WEIGHTS", "S_RETRIES", "S_CERT",
				"CREDS_USER", "CREDS_KEY"),
			vars: map[string]string{
				"PIN": "s3cr3t-pin", "S_TIMEOUT": "s3cr3t-timeout", "S_DEBUG": "s3cr3t-debug", "S_SMALL": "1,s3cr3t-small,999",
				"S_LEVEL": "s3cr3t-level", "S_URL": "s3cr3t://a b", "S_WEIGHTS": "s3cr3t-weights", "S_CERT": missing + "-s3cr3t",
				"CREDS_USER": "ada", "CREDS_KEY": "s3cr3t-key",
			},
			target: &Secret{},
			want: []string{
				`service.toml:8:1: features.env.optional: PIN (field Secret.Pin): its value is not a valid int (invalid syntax); it is secret and not shown`,
				`service.toml:8:1: features.env.optional: S_TIMEOUT (field Secret.Timeout): its value is not a valid time.Duration (write it like "5s" or "1m30s"); it is secret and not shown`,
				`service.toml:8:1: features.env.optional: S_DEBUG (field Secret.Debug): its value is not a valid bool (invalid syntax; write true or false); it is secret and not shown`,
				`service.toml:8:1: features.env.optional: S_SMALL (field Secret.Small): its value is not a valid []uint8 (one of its elements: invalid syntax); it is secret and not shown`,
				`service.toml:8:1: features.env.optional: S_LEVEL (field Secret.Level): its value is not a valid env_test.level; it is secret and not shown`,
				`service.toml:8:1: features.env.optional: S_URL (field Secret.URL): its value is not a valid url.URL; it is secret and not shown`,
				`service.toml:8:1: features.env.optional: S_WEIGHTS (field Secret.Weights): its value is not a valid map[string]int; it is secret and not shown`,
				`service.toml:8:1: features.env.optional: S_RETRIES (field Secret.Retries): its default (envDefault) is not a valid int (invalid syntax); it is secret and not shown`,
				`service.toml:8:1: features.env.optional: S_CERT (field Secret.Cert): cannot read the file it names (no such file); the name is secret and not shown`,
				`service.toml:8:1: features.env.optional: CREDS_KEY (field Secret.Creds.Key): its value is not a valid int (invalid syntax); it is secret and not shown`,
			},
		},
		{
			name:   "nested structs with the same field names",
			rest:   table("MAIN_HOST", "MAIN_PORT", "CACHE_HOST", "CACHE_PORT"),
			vars:   map[string]string{"MAIN_PORT": "5432", "CACHE_PORT": "63 79"},
			target: &Nested{},
			want: []string{
				`service.toml:8:1: features.env.optional: CACHE_PORT (field Nested.Cache.Port): "63 79" is not a valid int (invalid syntax)`,
			},
		},
		{
			name:   "tags and types the feature refuses, with the other problems",
			rest:   table("CH", "FINE", "PTRS", "MARKER"),
			vars:   map[string]string{"FINE": "x"},
			target: &Refused{},
			want: []string{
				`service.toml:8:1: features.env.optional: FINE (field Refused.Fine): "x" is not a valid int (invalid syntax)`,
				`field Refused.Ch: reads CH, but a chan int cannot be parsed from a variable (strings, booleans, integers, floats, time.Duration, url.URL, time.Location, encoding.TextUnmarshaler types, pointers to these, slices of them, and maps of the plain ones)`,
				`field Refused.Unset: option "unset" of env:"UNSET,unset" is not supported: it would remove the variable from the process environment, which the feature never reads nor changes`,
				`field Refused.Expand: option "expand" of env:"EXPAND,expand" is not supported: it would expand $NAME in the value from variables that are not declared`,
				`field Refused.Typo: env:"TYPO,requird" has an unknown option "requird" (options: required, notEmpty, file, init); did you mean "required"?`,
				`field Refused.Marker: envSecret:"yes" must be "true" or "false"`,
				`field Refused.Items: a slice of structs would be read from numbered variables (ITEMS_0_NAME, ITEMS_1_NAME, ...) that cannot all be declared; use fields of their own, or tag it env:"-"`,
				`field Refused.Jobs: a slice of structs would be read from numbered variables (JOBS_0_NAME, JOBS_1_NAME, ...) that cannot all be declared; use fields of their own, or tag it env:"-"`,
				`field Refused.Lower: env:"db_host" reads "db_host", which is not a variable name (uppercase letters, digits and '_')`,
				`field Refused.Ptrs: reads PTRS, but a *[]int cannot be parsed from a variable (strings, booleans, integers, floats, time.Duration, url.URL, time.Location, encoding.TextUnmarshaler types, pointers to these, slices of them, and maps of the plain ones)`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defVars := tt.defVars
			if defVars == nil {
				defVars = tt.vars
			}
			f := configured(t, tt.rest, defVars, tt.vars)
			got := lines(f.Fill(tt.target))
			if !slices.Equal(got, tt.want) {
				t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}
