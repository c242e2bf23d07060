package definition_test

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mikros-go/mikros/core/definition"
)

// head is the identity every test file starts with: four lines, so that
// the tables the tests write start at line 5.
const head = `name    = "svc"
types   = ["native"]
version = "v1.0.0"
product = "demo"
`

// parse parses head+text as service.toml with env as the whole
// environment, and fails the test on any problem.
func parse(t *testing.T, text string, env map[string]string) *definition.Definition {
	t.Helper()
	def, err := definition.Parse("service.toml", []byte(head+text), definition.Options{
		Kinds: []string{"native", "script"},
		LookupEnv: func(name string) (string, bool) {
			v, ok := env[name]
			return v, ok
		},
	})
	if err != nil {
		t.Fatalf("Parse:\n%v", err)
	}
	return def
}

// level is a setting read through encoding.TextUnmarshaler.
type level int

func (l *level) UnmarshalText(b []byte) error {
	switch string(b) {
	case "low":
		*l = 1
	case "high":
		*l = 2
	default:
		return errors.New("unknown level (low, high)")
	}
	return nil
}

type endpoint struct {
	Host string
	Port int
}

type region struct {
	Region string
}

type Zone struct {
	Zone string
}

type settings struct {
	Name              string
	Enabled           bool
	Count             int
	Small             int8
	Unsigned          uint8
	Ratio             float64
	Ratio32           float32
	Timeout           time.Duration
	ReadHeaderTimeout time.Duration
	URL               string
	Tags              []string
	Limits            map[string]int
	Upstream          endpoint
	Fallback          *endpoint
	Routes            []endpoint
	Level             level
	Renamed           string `toml:"other_name"`
	Skipped           string `toml:"-"`
	Extra             any
	Since             time.Time
	region
	*Zone

	hidden string //nolint:unused // an unexported field has no key; the test decodes "hidden" and expects it unknown
}

func TestSectionDecode(t *testing.T) {
	t.Parallel()
	since := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		text    string // after head; [service] is at line 5
		env     map[string]string
		start   settings // the target's value before decoding
		want    settings
		wantErr string // the whole error, "" for none
	}{{
		name: "every kind of field",
		text: `[service]
name                = "orders"
enabled             = true
count               = -3
small               = 127
unsigned            = 255
ratio               = 2
ratio32             = 0.5
timeout             = "1m30s"
read_header_timeout = "5s"
url                 = "https://example.com"
tags                = ["a", "b"]
limits              = { reads = 10, writes = 2 }
level               = "high"
other_name          = "renamed"
extra               = { any = [1, "two"] }
since               = 2024-05-01T12:00:00Z
region              = "eu"
zone                = "eu-1"
[service.upstream]
host = "up"
port = 80
[service.fallback]
host = "down"
[[service.routes]]
host = "r1"
[[service.routes]]
host = "r2"
port = 2
`,
		want: settings{
			Name: "orders", Enabled: true, Count: -3, Small: 127, Unsigned: 255,
			Ratio: 2, Ratio32: 0.5, Timeout: 90 * time.Second, ReadHeaderTimeout: 5 * time.Second,
			URL: "https://example.com", Tags: []string{"a", "b"},
			Limits: map[string]int{"reads": 10, "writes": 2}, Level: 2, Renamed: "renamed",
			Extra: map[string]any{"any": []any{int64(1), "two"}}, Since: since,
			region: region{"eu"}, Zone: &Zone{"eu-1"},
			Upstream: endpoint{"up", 80}, Fallback: &endpoint{Host: "down"},
			Routes: []endpoint{{Host: "r1"}, {"r2", 2}},
		},
	}, {
		name:  "keys not written keep their value",
		text:  "[service]\ncount = 2\nlimits = { b = 3 }\n",
		start: settings{Name: "default", Count: 1, Limits: map[string]int{"a": 1, "b": 2}},
		want:  settings{Name: "default", Count: 2, Limits: map[string]int{"a": 1, "b": 3}},
	}, {
		name:    "unknown key with a suggestion",
		text:    "[service]\nnmae = \"x\"\n",
		wantErr: `service.toml:6:1: service: unknown key "nmae" (did you mean "name"?)`,
	}, {
		name:    "unknown key without a suggestion",
		text:    "[service]\ndatabase = \"x\"\n",
		wantErr: `service.toml:6:1: service: unknown key "database"`,
	}, {
		name: "a skipped field, an unexported one and a Go field name are no keys",
		text: "[service]\nskipped = \"x\"\nhidden = \"x\"\nReadHeaderTimeout = \"1s\"\n",
		wantErr: `service.toml:6:1: service: unknown key "skipped"
service.toml:7:1: service: unknown key "hidden"
service.toml:8:1: service: unknown key "ReadHeaderTimeout" (did you mean "read_header_timeout"?)`,
	}, {
		name: "durations only from strings",
		text: "[service]\ntimeout = 30\nread_header_timeout = \"30\"\n[service.upstream]\nport = 1\n[service.fallback]\nhost = \"x\"\n",
		wantErr: `service.toml:6:1: service.timeout: 30 is not a duration (write it like "30s")
service.toml:7:1: service.read_header_timeout: "30" is not a duration (write it like "30s")`,
		want: settings{Upstream: endpoint{Port: 1}, Fallback: &endpoint{Host: "x"}},
	}, {
		name: "a duration of another type",
		text: "[service]\ntimeout = 1.5\nread_header_timeout = true\n",
		wantErr: `service.toml:6:1: service.timeout: 1.5 is not a duration (write it like "1.5s")
service.toml:7:1: service.read_header_timeout: must be a duration string like "30s", not a boolean (true)`,
	}, {
		name: "integers out of range",
		text: "[service]\nsmall = 128\nunsigned = -1\ncount = 9223372036854775807\nratio32 = 1e300\n",
		wantErr: `service.toml:6:1: service.small: 128 is out of range (-128 to 127)
service.toml:7:1: service.unsigned: -1 is out of range (0 to 255)
service.toml:9:1: service.ratio32: 1e+300 is out of range for a float32`,
		want: settings{Count: 9223372036854775807},
	}, {
		name: "wrong types",
		text: `[service]
name     = 1
enabled  = "yes"
count    = 1.5
ratio    = "1"
tags     = "a"
limits   = [1]
upstream = 1
extra    = 1
`,
		wantErr: `service.toml:6:1: service.name: must be a string, not an integer (1)
service.toml:7:1: service.enabled: must be a boolean, not a string ("yes")
service.toml:8:1: service.count: must be an integer, not a float (1.5)
service.toml:9:1: service.ratio: must be a number, not a string ("1")
service.toml:10:1: service.tags: must be an array, not a string ("a")
service.toml:11:1: service.limits: must be a table, not an array
service.toml:12:1: service.upstream: must be a table, not an integer (1)`,
		want: settings{Extra: int64(1)},
	}, {
		name: "problems in nested tables, arrays and arrays of tables, each at its line",
		text: `[service]
tags = ["a", 2]
limits = { reads = "many" }
[service.upstream]
hots = "x"
[[service.routes]]
host = "r1"
[[service.routes]]
port = "2"
`,
		wantErr: `service.toml:6:1: service.tags.1: must be a string, not an integer (2)
service.toml:7:12: service.limits.reads: must be an integer, not a string ("many")
service.toml:9:1: service.upstream: unknown key "hots" (did you mean "host"?)
service.toml:13:1: service.routes.1.port: must be an integer, not a string ("2")`,
		want: settings{Tags: []string{"a", ""}, Limits: map[string]int{"reads": 0}, Routes: []endpoint{{Host: "r1"}, {}}},
	}, {
		name: "a TextUnmarshaler field",
		text: "[service]\nlevel = \"loud\"\nsince = \"yesterday\"\n",
		wantErr: `service.toml:6:1: service.level: "loud": unknown level (low, high)
service.toml:7:1: service.since: "yesterday": parsing time "yesterday" as "2006-01-02T15:04:05Z07:00": cannot parse "yesterday" as "2006"`,
	}, {
		name:    "a TextUnmarshaler field from a non-string",
		text:    "[service]\nlevel = 2\n",
		wantErr: `service.toml:6:1: service.level: must be a string, not an integer (2)`,
	}, {
		name: "values from the environment are never shown",
		text: `envs = ["SECRET"]
[service]
count   = "${SECRET}"
timeout = "${SECRET}"
level   = "${SECRET}"
tags    = ["${SECRET}", 1]
`,
		env: map[string]string{"SECRET": "hunter2"},
		wantErr: `service.toml:7:1: service.count: the value from the environment is not an integer
service.toml:8:1: service.timeout: the value from the environment is not a duration (write it like "30s" or "1m30s")
service.toml:9:1: service.level: the value from the environment is not valid (the reason is not shown, as it may quote the value)
service.toml:10:1: service.tags.1: must be a string, not an integer (1)`,
		want: settings{Tags: []string{"hunter2", ""}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			def := parse(t, tt.text, tt.env)
			got := tt.start
			err := def.Service.Decode(&got)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Decode:\n%v", err)
				}
			} else {
				var ps definition.Problems
				if !errors.As(err, &ps) {
					t.Fatalf("Decode returned %T (%v), want Problems", err, err)
				}
				if err.Error() != tt.wantErr {
					t.Fatalf("Decode:\n%v\nwant:\n%s", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "hunter2") {
					t.Fatal("the error shows a value from the environment")
				}
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("decoded\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

func TestSectionDecodeEmbedding(t *testing.T) {
	t.Parallel()
	type Inner struct{ Name, Only string }
	type outer struct {
		Inner
		Name string // shallower: wins over Inner.Name
	}
	def := parse(t, "[service]\nname = \"outer\"\nonly = \"inner\"\n", nil)
	var got outer
	if err := def.Service.Decode(&got); err != nil {
		t.Fatal(err)
	}
	if want := (outer{Inner: Inner{Only: "inner"}, Name: "outer"}); got != want {
		t.Errorf("decoded %+v, want %+v", got, want)
	}

	type Node struct {
		*Node // an embedded cycle must not hang fieldsOf
		Value int
	}
	var n Node
	if err := parse(t, "[service]\nvalue = 1\n", nil).Service.Decode(&n); err != nil || n.Value != 1 {
		t.Errorf("Decode = %v, value %d", err, n.Value)
	}
}

func TestSectionDecodeTargets(t *testing.T) {
	t.Parallel()
	def := parse(t, "[service]\na = 1\nb = 2\n", nil)

	m := map[string]int{"c": 3}
	if err := def.Service.Decode(&m); err != nil {
		t.Fatal(err)
	}
	if want := map[string]int{"a": 1, "b": 2, "c": 3}; !reflect.DeepEqual(m, want) {
		t.Errorf("map: %v, want %v", m, want)
	}

	var mp *map[string]int64
	if err := def.Service.Decode(&mp); err != nil || mp == nil || (*mp)["b"] != 2 {
		t.Errorf("pointer to map: %v, %v", mp, err)
	}

	var bad map[int]string
	if err := def.Service.Decode(&bad); err == nil || err.Error() != "service.toml:5:2: service: cannot decode into map[int]string: a table's keys are strings" {
		t.Errorf("map with int keys: %v", err)
	}

	var ch struct{ A chan int }
	if err := def.Service.Decode(&ch); err == nil || !strings.Contains(err.Error(), "service.toml:6:1: service.a: cannot decode into chan int") {
		t.Errorf("chan field: %v", err)
	}

	for _, target := range []any{nil, m, (*map[string]int)(nil)} {
		err := def.Service.Decode(target)
		var ps definition.Problems
		if err == nil || errors.As(err, &ps) {
			t.Errorf("Decode(%T) = %v, want a plain error", target, err)
		}
	}

	var zero definition.Section
	s := settings{Name: "kept"}
	if err := zero.Decode(&s); err != nil || s.Name != "kept" {
		t.Errorf("zero Section: Decode = %v, name %q", err, s.Name)
	}
}

func TestSectionAccessors(t *testing.T) {
	t.Parallel()
	def := parse(t, `envs = ["TOKEN", "HOST"]
[service]
plain = "x"
token = "${TOKEN}"
url   = "https://${HOST}/api"
tls   = { key = "${TOKEN}", verify = true }
hosts = ["a", "${HOST}"]
[[service.routes]]
path = "/"
[[service.routes]]
auth = "${TOKEN}"
`, map[string]string{"TOKEN": "s3cret", "HOST": "example.com"})
	s := def.Service

	if !s.Present() || s.Path() != "service" {
		t.Errorf("Present %t, Path %q", s.Present(), s.Path())
	}
	if got, want := s.Keys(), []string{"hosts", "plain", "routes", "tls", "token", "url"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Keys = %v, want %v", got, want)
	}
	for key, want := range map[string]bool{
		"plain": true, "tls.verify": true, "tls": true, "tls.nope": false, "plain.x": false, "nope": false, "routes": true,
	} {
		if got := s.Has(key); got != want {
			t.Errorf("Has(%q) = %t, want %t", key, got, want)
		}
	}
	for key, want := range map[string]bool{
		"plain": false, "token": true, "url": true, "tls": true, "tls.key": true, "tls.verify": false,
		"hosts": true, "hosts.0": false, "hosts.1": true, "routes": true, "routes.0": false, "routes.1.auth": true, "nope": false,
	} {
		if got := s.FromEnv(key); got != want {
			t.Errorf("FromEnv(%q) = %t, want %t", key, got, want)
		}
	}

	var values struct {
		Plain, Token, URL string
		TLS               struct {
			Key    string
			Verify bool
		}
		Hosts  []string
		Routes []struct{ Path, Auth string }
	}
	if err := s.Decode(&values); err != nil {
		t.Fatal(err)
	}
	if values.Token != "s3cret" || values.URL != "https://example.com/api" || values.TLS.Key != "s3cret" || values.Hosts[1] != "example.com" || values.Routes[1].Auth != "s3cret" {
		t.Errorf("substituted values: %+v", values)
	}

	red := s.Redacted()
	want := map[string]any{
		"plain": "x",
		"token": "[redacted]",
		"url":   "[redacted]",
		"tls":   map[string]any{"key": "[redacted]", "verify": true},
		"hosts": []any{"a", "[redacted]"},
		"routes": []any{
			map[string]any{"path": "/"},
			map[string]any{"auth": "[redacted]"},
		},
	}
	if !reflect.DeepEqual(red, want) {
		t.Errorf("Redacted =\n%#v\nwant\n%#v", red, want)
	}
	if strings.Contains(fmt.Sprint(red), "s3cret") || strings.Contains(fmt.Sprint(red), "example.com") {
		t.Error("Redacted shows a secret")
	}
	// Redacted is a copy: the values still decode as they were.
	if err := s.Decode(&values); err != nil || values.Token != "s3cret" {
		t.Errorf("after Redacted: %v, %+v", err, values)
	}

	var zero definition.Section
	if zero.Present() || zero.Has("x") || zero.FromEnv("x") || len(zero.Keys()) != 0 || zero.Redacted() != nil || zero.Path() != "" {
		t.Error("the zero Section is not empty")
	}
}

func TestSectionProblem(t *testing.T) {
	t.Parallel()
	def := parse(t, `[features.tracing]
enabled = true
sampler = { ratio = 2.0 }
[services.native]
queue = "jobs"
[runtime]
[service]
[service.db]
url = "x"
`, nil)
	tracing := def.Features["tracing"].Settings
	tests := []struct {
		got  definition.Problem
		want string
	}{
		{tracing.Problem("sampler.ratio", "%v is more than 1", 2.0), "service.toml:7:13: features.tracing.sampler.ratio: 2 is more than 1"},
		{tracing.Problem("sampler", "bad"), "service.toml:7:1: features.tracing.sampler: bad"},
		{tracing.Problem("", "bad"), "service.toml:5:11: features.tracing: bad"},
		{tracing.Problem("endpoint", "required, but not written"), "service.toml:5:11: features.tracing.endpoint: required, but not written"},
		{def.Services["native"].Problem("queue", "bad"), "service.toml:9:1: services.native.queue: bad"},
		{def.Service.Problem("db.url", "bad"), "service.toml:13:1: service.db.url: bad"},
		{def.Service.Problem("", "bad"), "service.toml:11:2: service: bad"},
		{def.Problem("types", "bad"), "service.toml:2:1: types: bad"},
		{def.Problem("features.tracing", "not linked"), "service.toml:5:11: features.tracing: not linked"},
		{def.Problem("admin", "bad"), "service.toml: admin: bad"},
		{def.Problem("", "bad"), "service.toml: bad"},
	}
	for _, tt := range tests {
		if got := tt.got.Error(); got != tt.want {
			t.Errorf("got  %s\nwant %s", got, tt.want)
		}
	}
	var zero definition.Section
	if got := zero.Problem("x", "bad").Error(); got != "x: bad" {
		t.Errorf("zero Section: %q", got)
	}
}

func TestSectionProblemAlias(t *testing.T) {
	t.Parallel()
	def := parse(t, "[runtime.native]\nqueue = \"jobs\"\n", nil)
	s := def.Services["native"]
	if s.Path() != "services.native" {
		t.Errorf("Path = %q", s.Path())
	}
	// The path is the canonical one; the place is where it is written.
	if got, want := s.Problem("queue", "bad").Error(), "service.toml:6:1: services.native.queue: bad"; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestProblemError(t *testing.T) {
	t.Parallel()
	tests := []struct {
		p    definition.Problem
		want string
	}{
		{definition.Problem{File: "f.toml", Line: 3, Col: 7, Path: "a.b", Message: "bad"}, "f.toml:3:7: a.b: bad"},
		{definition.Problem{File: "f.toml", Line: 3, Path: "a.b", Message: "bad"}, "f.toml:3: a.b: bad"},
		{definition.Problem{File: "f.toml", Path: "a.b", Message: "bad"}, "f.toml: a.b: bad"},
		{definition.Problem{File: "f.toml", Line: 3, Col: 7, Message: "syntax: bad"}, "f.toml:3:7: syntax: bad"},
		{definition.Problem{Path: "a.b", Message: "bad"}, "a.b: bad"},
		{definition.Problem{Line: 3, Col: 7, Path: "a.b", Message: "bad"}, "a.b: bad"},
		{definition.Problem{Message: "bad"}, "bad"},
	}
	for _, tt := range tests {
		if got := tt.p.Error(); got != tt.want {
			t.Errorf("%+v: got %q, want %q", tt.p, got, tt.want)
		}
	}
}

func TestProblems(t *testing.T) {
	t.Parallel()
	ps := definition.Problems{
		{File: "f", Message: "no place 1"},
		{File: "f", Line: 9, Col: 1, Message: "line 9"},
		{File: "f", Line: 2, Col: 5, Message: "line 2 col 5"},
		{File: "f", Message: "no place 2"},
		{File: "f", Line: 2, Col: 1, Message: "line 2 col 1 first"},
		{File: "f", Line: 2, Col: 1, Message: "line 2 col 1 second"},
	}
	ps.Sort()
	want := `f:2:1: line 2 col 1 first
f:2:1: line 2 col 1 second
f:2:5: line 2 col 5
f:9:1: line 9
f: no place 1
f: no place 2`
	if got := ps.Error(); got != want {
		t.Errorf("sorted:\n%s\nwant:\n%s", got, want)
	}
	err := ps.Err()
	var got definition.Problems
	if !errors.As(err, &got) || len(got) != len(ps) {
		t.Errorf("Err() = %#v", err)
	}
	if err := (definition.Problems{}).Err(); err != nil {
		t.Errorf("empty Err() = %v", err)
	}
	if err := definition.Problems(nil).Err(); err != nil {
		t.Errorf("nil Err() = %v", err)
	}
	if got := (definition.Problems{}).Error(); got != "" {
		t.Errorf("empty Error() = %q", got)
	}
}

func TestDecodeConvertsValuesFromTheEnvironment(t *testing.T) {
	t.Parallel()
	text := "name = \"svc\"\ntypes = [\"native\"]\nversion = \"v1.0.0\"\nproduct = \"demo\"\nenvs = [\"PORT\", \"ON\", \"RATIO\", \"WAIT\", \"BAD\"]\n\n[service]\nport = \"${PORT}\"\non = \"${ON}\"\nratio = \"${RATIO}\"\nwait = \"${WAIT}\"\nbad = \"${BAD}\"\nhost = \"h:${PORT}\"\n"
	env := map[string]string{"PORT": "7070", "ON": "true", "RATIO": "0.5", "WAIT": "2s", "BAD": "secret-not-a-number"}
	def, err := definition.Parse("service.toml", []byte(text), definition.Options{LookupEnv: func(n string) (string, bool) { v, ok := env[n]; return v, ok }})
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Port  int           `toml:"port"`
		On    bool          `toml:"on"`
		Ratio float64       `toml:"ratio"`
		Wait  time.Duration `toml:"wait"`
		Bad   uint16        `toml:"bad"`
		Host  string        `toml:"host"`
	}
	err = def.Service.Decode(&got)
	if got.Port != 7070 || !got.On || got.Ratio != 0.5 || got.Wait != 2*time.Second || got.Host != "h:7070" {
		t.Errorf("decoded %+v", got)
	}
	if err == nil || !strings.Contains(err.Error(), "service.toml:12:1: service.bad: the value from the environment is not an integer") || strings.Contains(err.Error(), "secret-not-a-number") {
		t.Errorf("error = %v", err)
	}
}

// TestUnsetVariableReportedOnce: a variable of envs that is not set (or is
// empty) is one problem, at envs. Each value that uses it is left out of
// its table, as if it were not written, so that decoding the table does not
// report it a second time, and its owner sees its default.
func TestUnsetVariableReportedOnce(t *testing.T) {
	t.Parallel()
	type settings struct {
		Timeout time.Duration
		Port    int
		URL     string
		TLS     struct {
			Key    string
			Verify bool
		}
		Hosts  []string
		Routes []struct{ Path, Auth string }
	}
	defaults := func() settings {
		s := settings{Timeout: time.Second, Port: 80, URL: "default", Hosts: []string{"default"}}
		s.TLS.Key = "default"
		return s
	}
	tests := []struct {
		name    string
		table   string
		env     map[string]string
		want    string   // Parse's error
		absent  []string // keys left out of the table
		present []string // keys kept
		check   func(settings) bool
	}{
		{
			name:   "a duration",
			table:  `timeout = "${T}"`,
			want:   "service.toml:5:1: envs: T is not set (set it in the service's environment: every variable in envs is required)",
			absent: []string{"timeout"},
			check:  func(s settings) bool { return s.Timeout == time.Second },
		},
		{
			name:   "an integer from an empty variable",
			table:  `port = "${T}"`,
			env:    map[string]string{"T": ""},
			want:   "service.toml:5:1: envs: T is set but empty (give it a value: every variable in envs is required)",
			absent: []string{"port"},
			check:  func(s settings) bool { return s.Port == 80 },
		},
		{
			name:   "inside a longer string, with a variable that is set",
			table:  `url = "https://${S}/${T}"`,
			env:    map[string]string{"S": "host"},
			want:   "service.toml:5:1: envs: T is not set (set it in the service's environment: every variable in envs is required)",
			absent: []string{"url"},
			check:  func(s settings) bool { return s.URL == "default" },
		},
		{
			name:    "in an inline table",
			table:   `tls = { key = "${T}", verify = true }`,
			want:    "service.toml:5:1: envs: T is not set (set it in the service's environment: every variable in envs is required)",
			absent:  []string{"tls.key"},
			present: []string{"tls", "tls.verify"},
			check:   func(s settings) bool { return s.TLS.Key == "default" && s.TLS.Verify },
		},
		{
			name:    "in an array: the whole array",
			table:   `hosts = ["a", "${T}"]` + "\nport = 81",
			want:    "service.toml:5:1: envs: T is not set (set it in the service's environment: every variable in envs is required)",
			absent:  []string{"hosts"},
			present: []string{"port"},
			check:   func(s settings) bool { return len(s.Hosts) == 1 && s.Hosts[0] == "default" && s.Port == 81 },
		},
		{
			name:    "in an array of tables",
			table:   "[[service.routes]]\npath = \"/\"\n[[service.routes]]\nauth = \"${T}\"\npath = \"/a\"",
			want:    "service.toml:5:1: envs: T is not set (set it in the service's environment: every variable in envs is required)",
			absent:  []string{"routes.1.auth"},
			present: []string{"routes"},
			check:   func(s settings) bool { return len(s.Routes) == 2 && s.Routes[1].Auth == "" && s.Routes[1].Path == "/a" },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			text := head + `envs = ["T", "S"]` + "\n[service]\n" + tt.table + "\n"
			env := map[string]string{"S": "set"}
			for k, v := range tt.env {
				env[k] = v
			}
			def, err := definition.Parse("service.toml", []byte(text), definition.Options{
				Kinds:     []string{"native"},
				LookupEnv: func(n string) (string, bool) { v, ok := env[n]; return v, ok },
			})
			if err == nil || err.Error() != tt.want {
				t.Errorf("Parse: %v\nwant:  %s", err, tt.want)
			}
			if def == nil {
				t.Fatal("no definition")
			}
			got := defaults()
			if err := def.Service.Decode(&got); err != nil {
				t.Errorf("Decode reports the variable again: %v", err)
			}
			if !tt.check(got) {
				t.Errorf("decoded %+v", got)
			}
			for _, k := range tt.absent {
				if def.Service.Has(k) || def.Service.FromEnv(k) {
					t.Errorf("%s is still in the table (Has %t, FromEnv %t)", k, def.Service.Has(k), def.Service.FromEnv(k))
				}
			}
			for _, k := range tt.present {
				if !def.Service.Has(k) {
					t.Errorf("%s is left out", k)
				}
			}
		})
	}
}
