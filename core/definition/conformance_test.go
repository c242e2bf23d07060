package definition_test

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/mikros-go/mikros/core/definition"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// caseDirs hold the cases the table test runs: the shared conformance set,
// copied from the project's spec, and this package's own.
var caseDirs = []string{"testdata/conformance", "testdata/cases"}

// kinds are the kinds compiled into the binary the conformance cases
// assume.
var kinds = []string{"native", "script"}

// aliases and alone are what kinds/native and kinds/script declare to core
// (core.Aliased, core.Solitary), which core hands to Parse.
var (
	aliases = map[string]string{"worker": "native"}
	alone   = []string{"script"}
)

// checkedBy names the conformance cases whose problem this package cannot
// see: it does not know which features the binary links, nor the settings
// of any feature. For them the test checks that the definition parses and
// hands the feature's table on, so that the owner named here can report it.
var checkedBy = map[string]string{
	"bad-feature-not-linked.toml":  "core's orchestrator, which knows the linked features",
	"bad-feature-unknown-key.toml": "the logger feature, which decodes [features.logger] strictly",
}

// testCase is one case file and what its leading directives expect.
type testCase struct {
	dir, name string
	text      []byte

	exit     int
	errors   []string
	lines    []int
	env      map[string]string
	warnings []string
	ports    []portWant
	admin    string // "" (not checked), "none" or a port
	tests    string // "" (not checked) or "execute_lifecycle=B discard_log_messages=B"
	values   []valueWant
	secrets  []valueWant
}

type portWant struct {
	kind string
	port int
	from string
}

type valueWant struct {
	table, key, value string
}

// readCase reads the directives from the file's leading comment lines. A
// comment line of the form "# word: ..." is a directive and must be known;
// other comment lines are free text.
func readCase(t *testing.T, dir, name string) testCase {
	t.Helper()
	text, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	c := testCase{dir: dir, name: name, text: text, exit: -1, env: map[string]string{}}
	sc := bufio.NewScanner(bytes.NewReader(text))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if !strings.HasPrefix(line, "#") {
			break
		}
		directive, arg, ok := strings.Cut(strings.TrimSpace(strings.TrimPrefix(line, "#")), ":")
		if !ok || strings.ContainsAny(directive, " \t") {
			continue
		}
		arg = strings.TrimSpace(arg)
		bad := func() { t.Fatalf("%s:%d: bad directive %q", name, n, line) }
		switch directive {
		case "expect":
			switch arg {
			case "exit 0":
				c.exit = 0
			case "exit 2":
				c.exit = 2
			default:
				bad()
			}
		case "expect-error":
			c.errors = append(c.errors, arg)
		case "expect-line":
			l, err := strconv.Atoi(arg)
			if err != nil {
				bad()
			}
			c.lines = append(c.lines, l)
		case "env":
			k, v, ok := strings.Cut(arg, "=")
			if !ok {
				bad()
			}
			c.env[k] = v
		case "unset":
			delete(c.env, arg)
		case "expect-warning":
			c.warnings = append(c.warnings, arg)
		case "expect-port":
			f := strings.Fields(arg)
			if len(f) != 3 {
				bad()
			}
			port, err := strconv.Atoi(f[1])
			if err != nil {
				bad()
			}
			from := f[2]
			if from == "-" {
				from = ""
			}
			c.ports = append(c.ports, portWant{f[0], port, from})
		case "expect-admin":
			c.admin = arg
		case "expect-tests":
			c.tests = arg
		case "expect-value":
			table, rest, ok1 := strings.Cut(arg, " ")
			key, value, ok2 := strings.Cut(rest, " = ")
			if !ok1 || !ok2 {
				bad()
			}
			c.values = append(c.values, valueWant{table, key, value})
		case "expect-secret":
			table, key, ok := strings.Cut(arg, " ")
			if !ok {
				bad()
			}
			c.secrets = append(c.secrets, valueWant{table: table, key: key})
		default:
			t.Fatalf("%s:%d: unknown directive %q", name, n, directive)
		}
	}
	if c.exit < 0 {
		t.Fatalf("%s: no \"# expect: exit 0|2\" directive", name)
	}
	return c
}

// lookup is the case's environment: only what its directives set.
func (c testCase) lookup(name string) (string, bool) {
	v, ok := c.env[name]
	return v, ok
}

func TestCases(t *testing.T) {
	seen := map[string]string{}
	for _, dir := range caseDirs {
		files, err := filepath.Glob(filepath.Join(dir, "*.toml"))
		if err != nil {
			t.Fatal(err)
		}
		if len(files) == 0 {
			t.Fatalf("no cases in %s", dir)
		}
		for _, file := range files {
			name := filepath.Base(file)
			if other, dup := seen[name]; dup {
				t.Fatalf("%s and %s share a name, and so a golden file", file, other)
			}
			seen[name] = file
			t.Run(filepath.Base(dir)+"/"+name, func(t *testing.T) {
				t.Parallel()
				runCase(t, readCase(t, dir, name))
			})
		}
	}
	for name := range checkedBy {
		if _, ok := seen[name]; !ok {
			t.Errorf("checkedBy names %s, which is not a case", name)
		}
	}
}

func runCase(t *testing.T, c testCase) {
	def, err := definition.Parse(c.name, c.text, definition.Options{Kinds: kinds, LookupEnv: c.lookup, Aliases: aliases, Alone: alone})
	if err != nil {
		var ps definition.Problems
		if !errors.As(err, &ps) {
			t.Fatalf("Parse returned %T, not Problems: %v", err, err)
		}
	}

	if owner, ok := checkedBy[c.name]; ok && c.dir == "testdata/conformance" {
		t.Logf("this case fails only in %s; here it must parse", owner)
		checkedElsewhere(t, c, def, err)
		return
	}

	switch c.exit {
	case 0:
		if err != nil {
			t.Fatalf("want a valid definition, got:\n%v", err)
		}
		if def == nil {
			t.Fatal("Parse returned neither a definition nor an error")
		}
	case 2:
		if err == nil {
			t.Fatal("want problems, got none")
		}
		out := err.Error()
		for _, want := range c.errors {
			if !strings.Contains(out, want) {
				t.Errorf("the output does not contain %q:\n%s", want, out)
			}
		}
		for _, l := range c.lines {
			if want := fmt.Sprintf("%s:%d:", c.name, l); !strings.Contains(out, want) {
				t.Errorf("the output does not name line %d (%q):\n%s", l, want, out)
			}
		}
		checkGolden(t, c.name, out)
	}
	if def == nil {
		if len(c.warnings)+len(c.ports)+len(c.values)+len(c.secrets) > 0 || c.admin != "" || c.tests != "" {
			t.Fatal("no definition to check the expectations against")
		}
		return
	}
	checkDefinition(t, c, def)
}

// checkDefinition checks the expectations about the parsed definition.
func checkDefinition(t *testing.T, c testCase, def *definition.Definition) {
	t.Helper()
	warnings := def.Warnings.Error()
	for _, want := range c.warnings {
		if !strings.Contains(warnings, want) {
			t.Errorf("the warnings do not contain %q:\n%s", want, warnings)
		}
	}
	if len(c.warnings) == 0 && c.dir == "testdata/cases" && len(def.Warnings) > 0 {
		t.Errorf("unexpected warnings:\n%s", warnings)
	}
	for _, want := range c.ports {
		var got *definition.Type
		for i := range def.Types {
			if def.Types[i].Kind == want.kind {
				got = &def.Types[i]
			}
		}
		if got == nil {
			t.Errorf("no type %s in %v", want.kind, def.Kinds())
			continue
		}
		if got.Port != want.port || got.PortFrom != want.from {
			t.Errorf("%s: port %d from %q, want %d from %q", want.kind, got.Port, got.PortFrom, want.port, want.from)
		}
	}
	switch c.admin {
	case "":
	case "none":
		if def.Admin != nil {
			t.Errorf("admin listener %+v, want none", *def.Admin)
		}
	default:
		if def.Admin == nil || strconv.Itoa(def.Admin.Port) != c.admin {
			t.Errorf("admin listener %+v, want port %s", def.Admin, c.admin)
		}
	}
	if c.tests != "" {
		got := "<nil>"
		if def.Tests != nil {
			got = fmt.Sprintf("execute_lifecycle=%t discard_log_messages=%t", def.Tests.ExecuteLifecycle, def.Tests.DiscardLogMessages)
		}
		if got != c.tests {
			t.Errorf("tests: %s, want %s", got, c.tests)
		}
	}
	for _, want := range c.values {
		s := section(t, def, want.table)
		var m map[string]any
		if err := s.Decode(&m); err != nil {
			t.Fatalf("%s: %v", want.table, err)
		}
		v, ok := lookupKey(m, want.key)
		if got := fmt.Sprint(v); !ok || got != want.value {
			t.Errorf("%s %s = %q (found: %t), want %q", want.table, want.key, got, ok, want.value)
		}
	}
	for _, want := range c.secrets {
		s := section(t, def, want.table)
		if !s.FromEnv(want.key) {
			t.Errorf("%s %s: FromEnv is false", want.table, want.key)
		}
		if v, ok := lookupKey(s.Redacted(), want.key); !ok || v != "[redacted]" {
			t.Errorf("%s %s: Redacted shows %v", want.table, want.key, v)
		}
	}
}

// checkedElsewhere checks a conformance case whose problem another owner
// reports: this package must accept it and hand the feature table on.
func checkedElsewhere(t *testing.T, c testCase, def *definition.Definition, err error) {
	t.Helper()
	if c.exit != 2 {
		t.Fatalf("%s is listed in checkedBy but expects exit %d", c.name, c.exit)
	}
	if err != nil {
		t.Fatalf("want the definition to parse, got:\n%v", err)
	}
	switch c.name {
	case "bad-feature-not-linked.toml":
		ft, ok := def.Features["ratelimit"]
		if !ok || !ft.Enabled {
			t.Fatalf("features.ratelimit: %+v (present: %t), want enabled", ft, ok)
		}
		if got := def.Problem("features.ratelimit", "not linked").Error(); !strings.HasPrefix(got, c.name+":8:") {
			t.Errorf("Definition.Problem places the table at %q, want line 8", got)
		}
	case "bad-feature-unknown-key.toml":
		ft, ok := def.Features["logger"]
		if !ok || !ft.Enabled {
			t.Fatalf("features.logger: %+v (present: %t), want enabled", ft, ok)
		}
		if ft.Settings.Has("enabled") || !ft.Settings.Has("levle") {
			t.Fatalf("features.logger settings have keys %v, want [levle]", ft.Settings.Keys())
		}
		// A stand-in for the logger's settings shows what its strict
		// decoding reports.
		var settings struct{ Level, Format string }
		err := ft.Settings.Decode(&settings)
		if err == nil {
			t.Fatal("Decode accepted the unknown key levle")
		}
		want := c.name + `:11:1: features.logger: unknown key "levle" (did you mean "level"?)`
		if err.Error() != want {
			t.Errorf("Decode: %v\nwant:   %s", err, want)
		}
	default:
		t.Fatalf("no check written for %s", c.name)
	}
}

func section(t *testing.T, def *definition.Definition, table string) definition.Section {
	t.Helper()
	kind, name, _ := strings.Cut(table, ".")
	var s definition.Section
	var ok bool
	switch kind {
	case "features":
		var ft definition.FeatureTable
		ft, ok = def.Features[name]
		s = ft.Settings
	case "services":
		s, ok = def.Services[name]
	case "clients":
		s, ok = def.Clients[name]
	case "service":
		s, ok = def.Service, def.Service.Present()
	}
	if !ok {
		t.Fatalf("no table %s", table)
	}
	if s.Path() != table {
		t.Errorf("the table %s says its path is %s", table, s.Path())
	}
	return s
}

// lookupKey finds a dotted key in decoded values; an array's elements are
// keyed by their index.
func lookupKey(v any, key string) (any, bool) {
	for _, k := range strings.Split(key, ".") {
		switch t := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = t[k]; !ok {
				return nil, false
			}
		case []any:
			i, err := strconv.Atoi(k)
			if err != nil || i < 0 || i >= len(t) {
				return nil, false
			}
			v = t[i]
		default:
			return nil, false
		}
	}
	return v, true
}

// checkGolden compares a bad case's whole error output with its golden
// file, or rewrites the file with -update.
func checkGolden(t *testing.T, name, out string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", strings.TrimSuffix(name, ".toml")+".txt")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(out+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to write it)", err)
	}
	if got := out + "\n"; got != string(want) {
		t.Errorf("the output differs from %s:\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

// TestGoldenFilesHaveCases keeps testdata/golden free of files left behind
// by renamed or removed cases.
func TestGoldenFilesHaveCases(t *testing.T) {
	t.Parallel()
	golden, err := filepath.Glob("testdata/golden/*.txt")
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range golden {
		name := strings.TrimSuffix(filepath.Base(g), ".txt") + ".toml"
		found := false
		for _, dir := range caseDirs {
			if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
				found = true
			}
		}
		if !found {
			t.Errorf("%s has no case %s", g, name)
		}
	}
}
