package definition

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// Options tell Parse what the binary that reads the definition contains and
// where the environment comes from.
type Options struct {
	// Kinds are the kind names compiled into the binary. Every kind in
	// types must be one of them. Nil skips that check.
	Kinds []string
	// LookupEnv reads the environment; os.LookupEnv when nil.
	LookupEnv func(name string) (string, bool)
}

// Defaults of the [lifecycle] table.
const (
	DefaultStartTimeout = 15 * time.Second
	DefaultStopTimeout  = 30 * time.Second
)

var (
	nameRE    = regexp.MustCompile(`^[a-z][a-z0-9-]{0,62}$`)
	envNameRE = regexp.MustCompile(`^[A-Z_][A-Z0-9_]*$`)
	kindRE    = regexp.MustCompile(`^[a-z][a-z0-9_-]*$`)
	// semverRE is the Semantic Versioning 2.0.0 grammar, with an optional
	// leading "v".
	semverRE = regexp.MustCompile(`^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)` +
		`(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?` +
		`(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$`)
	// refRE finds "${NAME}" references; oldRefRE is mikros Go's whole-value
	// "NAME@env" notation.
	refRE    = regexp.MustCompile(`\$\{([^}]*)\}`)
	oldRefRE = regexp.MustCompile(`^([A-Z_][A-Z0-9_]*)@env$`)
)

// topKeys are the keys a definition may have at its top level.
var topKeys = []string{
	"name", "types", "version", "product", "language", "envs",
	"log", "lifecycle", "admin", "features", "services", "clients", "service",
	"tests", "runtime",
}

// kindAliases maps the kind names of other Mikros implementations to ours.
var kindAliases = map[string]string{"worker": "native"}

// Load reads the definition from the file at path and parses it.
func Load(path string, opts Options) (*Definition, error) {
	text, err := os.ReadFile(path)
	if err != nil {
		msg := err.Error()
		if errors.Is(err, os.ErrNotExist) {
			msg = "no such file (set MIKROS_CONFIG to the service.toml's path)"
		}
		return nil, Problems{{File: path, Message: msg}}
	}
	return Parse(path, text, opts)
}

// Parse validates the definition in text, read from file, against the
// rules of service.toml. It returns the definition, and a [Problems] error
// listing every problem found, sorted by line; when the error is not nil the
// definition must not be used to start anything.
func Parse(file string, text []byte, opts Options) (*Definition, error) {
	if opts.LookupEnv == nil {
		opts.LookupEnv = os.LookupEnv
	}
	p := &parser{
		opts: opts,
		def:  &Definition{File: file, src: newSource(file, string(text))},
	}
	p.d = &decoder{src: p.def.src, file: file}
	var raw map[string]any
	if _, err := toml.Decode(string(text), &raw); err != nil {
		return nil, Problems{syntaxProblem(file, err)}
	}
	p.parse(raw)
	p.d.problems.Sort()
	p.def.Warnings.Sort()
	return p.def, p.d.problems.Err()
}

func syntaxProblem(file string, err error) Problem {
	var pe toml.ParseError
	if errors.As(err, &pe) {
		return Problem{File: file, Line: pe.Position.Line, Col: pe.Position.Col, Message: "syntax: " + pe.Message}
	}
	return Problem{File: file, Message: "syntax: " + err.Error()}
}

type parser struct {
	opts Options
	def  *Definition
	d    *decoder
}

func top(key string) at { return at{[]string{key}, []string{key}} }

func (p *parser) warn(a at, format string, args ...any) {
	line, col := p.def.src.locate(a.loc)
	p.def.Warnings = append(p.def.Warnings, Problem{
		File: p.def.File, Line: line, Col: col,
		Path: strings.Join(a.path, "."), Message: fmt.Sprintf(format, args...),
	})
}

func (p *parser) parse(raw map[string]any) {
	for _, k := range sortedKeys(raw) {
		if !slices.Contains(topKeys, k) {
			p.d.problem(at{nil, []string{k}}, "unknown key %q%s", k, didYouMean(k, topKeys[:len(topKeys)-1]))
		}
	}
	def := p.def
	def.Name = p.identity(raw, "name", true, func(s string) string {
		if !nameRE.MatchString(s) {
			return fmt.Sprintf("%q must be lowercase kebab-case: a letter, then letters, digits or '-', at most 63 in all", s)
		}
		return ""
	})
	def.Version = p.identity(raw, "version", true, func(s string) string {
		if !semverRE.MatchString(s) {
			return fmt.Sprintf("%q is not a semantic version (write it like \"v1.4.2\" or \"1.4.2-rc.1\")", s)
		}
		return ""
	})
	def.Product = p.identity(raw, "product", true, func(s string) string {
		if strings.TrimSpace(s) == "" {
			return "must not be empty"
		}
		return ""
	})
	def.Language = p.identity(raw, "language", false, func(s string) string {
		if s != "go" && s != "rust" {
			return fmt.Sprintf("%q is not a language Mikros runs (go, rust)", s)
		}
		return ""
	})
	p.types(raw)
	p.envs(raw)
	p.framework(raw)
	p.tables(raw)
}

// identity reads a top-level string key and checks it with valid, which
// returns what is wrong or "".
func (p *parser) identity(raw map[string]any, key string, required bool, valid func(string) string) string {
	v, ok := raw[key]
	if !ok {
		if required {
			p.d.problem(at{[]string{key}, nil}, "required, but not written")
		}
		return ""
	}
	s, ok := v.(string)
	if !ok {
		p.d.problem(top(key), "must be a string, not %s", typeName(v))
		return ""
	}
	if msg := valid(s); msg != "" {
		p.d.problem(top(key), "%s", msg)
		return ""
	}
	return s
}

func (p *parser) types(raw map[string]any) {
	a := top("types")
	v, ok := raw["types"]
	if !ok {
		p.d.problem(at{a.path, nil}, "required, but not written (for example types = [\"native\"])")
		return
	}
	items, ok := v.([]any)
	if !ok {
		p.d.problem(a, "must be an array of kinds like [\"grpc:7070\"], not %s", typeName(v))
		return
	}
	if len(items) == 0 {
		p.d.problem(a, "must name at least one kind")
		return
	}
	seen := map[string]bool{}
	for _, item := range items {
		s, ok := item.(string)
		if !ok {
			p.d.problem(a, "every entry must be a string, not %s", typeName(item))
			continue
		}
		kind, portText, hasPort := strings.Cut(s, ":")
		if canon, ok := kindAliases[kind]; ok {
			p.warn(a, "%q is read as %q; write %q", kind, canon, canon)
			kind = canon
		}
		if !kindRE.MatchString(kind) {
			p.d.problem(a, "%q is not a kind name", s)
			continue
		}
		t := Type{Kind: kind}
		if hasPort {
			port, err := strconv.Atoi(portText)
			if err != nil || port < 1 || port > 65535 {
				p.d.problem(a, "%q: port %s is not a port number (1-65535)", s, portText)
				continue
			}
			t.Port, t.PortFrom = port, "types"
		}
		if p.opts.Kinds != nil && !slices.Contains(p.opts.Kinds, kind) {
			hint := ""
			if s := suggest(kind, p.opts.Kinds); s != "" {
				hint = fmt.Sprintf("; did you mean %q?", s)
			}
			p.d.problem(a, "unknown kind %q (kinds in this binary: %s%s)", kind, strings.Join(p.opts.Kinds, ", "), hint)
			continue
		}
		if seen[kind] {
			p.d.problem(a, "kind %q is listed more than once", kind)
			continue
		}
		seen[kind] = true
		p.def.Types = append(p.def.Types, t)
	}
	if seen["script"] && len(items) > 1 {
		p.d.problem(a, "script runs alone: a service that runs once cannot also be %s",
			strings.Join(without(p.def.Kinds(), "script"), ", "))
	}
}

func (p *parser) envs(raw map[string]any) {
	v, ok := raw["envs"]
	if !ok {
		return
	}
	a := top("envs")
	items, ok := v.([]any)
	if !ok {
		p.d.problem(a, "must be an array of variable names, not %s", typeName(v))
		return
	}
	var missing []string
	for _, item := range items {
		name, ok := item.(string)
		if !ok {
			p.d.problem(a, "every entry must be a string, not %s", typeName(item))
			continue
		}
		if !envNameRE.MatchString(name) {
			p.d.problem(a, "%q is not a variable name (uppercase letters, digits and '_', like \"DATABASE_URL\")", name)
			continue
		}
		if slices.Contains(p.def.Envs, name) {
			p.d.problem(a, "%s is listed more than once", name)
			continue
		}
		p.def.Envs = append(p.def.Envs, name)
		if val, ok := p.opts.LookupEnv(name); !ok || val == "" {
			missing = append(missing, name)
		}
	}
	switch len(missing) {
	case 0:
	case 1:
		p.d.problem(a, "%s is not set", missing[0])
	default:
		p.d.problem(a, "%s are not set", strings.Join(missing, ", "))
	}
}

// framework reads the tables the framework owns, and the MIKROS_*
// variables that adjust them.
func (p *parser) framework(raw map[string]any) {
	def := p.def
	def.Log = Log{Level: "info", Format: "json"}
	p.table(raw, "log", &def.Log)
	if !slices.Contains([]string{"debug", "info", "warn", "error"}, def.Log.Level) {
		p.d.problem(top("log").child("level"), "%q is not a level (debug, info, warn, error)", def.Log.Level)
	}
	if def.Log.Format != "json" && def.Log.Format != "console" {
		p.d.problem(top("log").child("format"), "%q is not a format (json, console)", def.Log.Format)
	}

	def.Lifecycle = Lifecycle{StartTimeout: DefaultStartTimeout, StopTimeout: DefaultStopTimeout}
	p.table(raw, "lifecycle", &def.Lifecycle)
	for key, d := range map[string]time.Duration{
		"start_timeout": def.Lifecycle.StartTimeout,
		"stop_timeout":  def.Lifecycle.StopTimeout,
		"drain_delay":   def.Lifecycle.DrainDelay,
	} {
		if d < 0 || (d == 0 && key != "drain_delay") {
			p.d.problem(top("lifecycle").child(key), "%s must be more than zero", d)
		}
	}
	if def.Lifecycle.DrainDelay >= def.Lifecycle.StopTimeout && def.Lifecycle.StopTimeout > 0 {
		p.d.problem(top("lifecycle").child("drain_delay"), "%s leaves nothing of stop_timeout (%s) to stop in", def.Lifecycle.DrainDelay, def.Lifecycle.StopTimeout)
	}

	if _, ok := raw["admin"]; ok {
		def.Admin = &Admin{}
		p.table(raw, "admin", def.Admin)
		if def.Admin.Port < 1 || def.Admin.Port > 65535 {
			if _, set := p.opts.LookupEnv("MIKROS_ADMIN_PORT"); !set {
				p.d.problem(top("admin").child("port"), "%d is not a port number (1-65535)", def.Admin.Port)
			}
		}
	}
	if v, ok := p.opts.LookupEnv("MIKROS_ADMIN_PORT"); ok {
		if port, ok := p.envPort("MIKROS_ADMIN_PORT", v); ok {
			if def.Admin == nil {
				def.Admin = &Admin{}
			}
			def.Admin.Port = port
		}
	}

	def.Env = "local"
	if v, ok := p.opts.LookupEnv("MIKROS_ENV"); ok && v != "" {
		def.Env = v
	}

	if _, ok := raw["tests"]; ok {
		def.Tests = &Tests{}
		p.table(raw, "tests", def.Tests)
	}
}

// envPort reads a port number from a MIKROS_*_PORT variable.
func (p *parser) envPort(name, v string) (int, bool) {
	port, err := strconv.Atoi(v)
	if err != nil || port < 1 || port > 65535 {
		p.d.problems = append(p.d.problems, Problem{File: p.def.File, Path: name, Message: fmt.Sprintf("%q is not a port number (1-65535)", v)})
		return 0, false
	}
	return port, true
}

// table decodes the top-level table key into v, strictly.
func (p *parser) table(raw map[string]any, key string, v any) {
	if val, ok := raw[key]; ok {
		p.d.value(val, reflectValue(v), top(key))
	}
}

// tables reads the tables that belong to features, kinds, clients and the
// service, and resolves "${NAME}" in their strings.
func (p *parser) tables(raw map[string]any) {
	def := p.def
	def.Features = map[string]FeatureTable{}
	for name, a := range p.tableOfTables(raw, "features") {
		m := a.values
		ft := FeatureTable{}
		if v, ok := m["enabled"]; ok {
			if b, ok := v.(bool); ok {
				ft.Enabled = b
			} else {
				p.d.problem(a.at.child("enabled"), "must be true or false, not %s", typeName(v))
			}
			m = omit(m, "enabled")
		}
		ft.Settings = p.section(a.at, m)
		def.Features[name] = ft
	}

	def.Services = map[string]Section{}
	services := p.tableOfTables(raw, "services")
	for name, a := range p.tableOfTables(raw, "runtime") {
		canon := "services." + name
		if _, dup := services[name]; dup {
			p.d.problem(a.at, "both [runtime.%s] and [%s] are written; keep [%s]", name, canon, canon)
			continue
		}
		p.warn(a.at, "[runtime.%s] is read as [%s]; write [%s]", name, canon, canon)
		a.at.path = []string{"services", name}
		services[name] = a
	}
	kinds := def.Kinds()
	for _, name := range sortedKeys(services) {
		a := services[name]
		kind := name
		if canon, ok := kindAliases[name]; ok {
			kind = canon
			a.at.path = []string{"services", canon}
		}
		if !slices.Contains(kinds, kind) {
			p.d.problem(a.at, "%s is not in types (add it to types, or remove this table)", kind)
			continue
		}
		m := a.values
		if v, ok := m["port"]; ok {
			m = omit(m, "port")
			if port, ok := v.(int64); !ok || port < 1 || port > 65535 {
				p.d.problem(a.at.child("port"), "%s is not a port number (1-65535)", strings.TrimPrefix(typeName(v), "an integer "))
			} else {
				for i := range def.Types {
					if def.Types[i].Kind == kind && def.Types[i].Port == 0 {
						def.Types[i].Port, def.Types[i].PortFrom = int(port), strings.Join(a.at.path, ".")+".port"
					}
				}
			}
		}
		def.Services[kind] = p.section(a.at, m)
	}
	for i, t := range def.Types {
		name := "MIKROS_" + strings.ToUpper(strings.ReplaceAll(t.Kind, "-", "_")) + "_PORT"
		if v, ok := p.opts.LookupEnv(name); ok {
			if port, ok := p.envPort(name, v); ok {
				def.Types[i].Port, def.Types[i].PortFrom = port, name
			}
		}
	}

	def.Clients = map[string]Section{}
	for name, a := range p.tableOfTables(raw, "clients") {
		def.Clients[name] = p.section(a.at, a.values)
	}

	if v, ok := raw["service"]; ok {
		if m, ok := v.(map[string]any); ok {
			def.Service = p.section(top("service"), m)
		} else {
			p.d.problem(top("service"), "must be a table, not %s", typeName(v))
		}
	}
}

type located struct {
	at     at
	values map[string]any
}

// tableOfTables reads a top-level table whose every value is a table, such
// as [features.<name>].
func (p *parser) tableOfTables(raw map[string]any, key string) map[string]located {
	out := map[string]located{}
	v, ok := raw[key]
	if !ok {
		return out
	}
	m, ok := v.(map[string]any)
	if !ok {
		p.d.problem(top(key), "must be a table, not %s", typeName(v))
		return out
	}
	for name, sub := range m {
		a := top(key).child(name)
		t, ok := sub.(map[string]any)
		if !ok {
			p.d.problem(a, "must be a table ([%s.%s]), not %s", key, name, typeName(sub))
			continue
		}
		out[name] = located{a, t}
	}
	return out
}

// section makes a Section of values, resolving "${NAME}" in its strings.
func (p *parser) section(a at, values map[string]any) Section {
	s := Section{at: a, src: p.def.src, file: p.def.File, fromEnv: map[string]bool{}}
	s.values = p.interpolate(values, a, "", s.fromEnv).(map[string]any)
	return s
}

// interpolate returns v with every "${NAME}" (and mikros Go's "NAME@env")
// in its strings replaced by the variable's value. Only variables declared in
// envs may be used.
func (p *parser) interpolate(v any, a at, key string, fromEnv map[string]bool) any {
	join := func(k string) string {
		if key == "" {
			return k
		}
		return key + "." + k
	}
	switch t := v.(type) {
	case string:
		if m := oldRefRE.FindStringSubmatch(t); m != nil {
			p.warn(a, "%q is read as \"${%s}\"; write \"${%s}\"", t, m[1], m[1])
			t = "${" + m[1] + "}"
		}
		if !strings.Contains(t, "${") {
			return t
		}
		fromEnv[key] = true
		return refRE.ReplaceAllStringFunc(t, func(ref string) string {
			name := ref[2 : len(ref)-1]
			if !envNameRE.MatchString(name) {
				p.d.problem(a, "%q is not a variable reference (write \"${NAME}\")", ref)
				return ""
			}
			if !slices.Contains(p.def.Envs, name) {
				p.d.problem(a, "%s is used here but not declared in envs (add it to envs)", name)
				return ""
			}
			val, _ := p.opts.LookupEnv(name)
			return val
		})
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[k] = p.interpolate(e, a.child(k), join(k), fromEnv)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = p.interpolate(e, a, key, fromEnv)
		}
		return out
	case []map[string]any:
		out := make([]map[string]any, len(t))
		for i, e := range t {
			out[i] = p.interpolate(e, a, key, fromEnv).(map[string]any)
		}
		return out
	}
	return v
}

func without(list []string, s string) []string {
	var out []string
	for _, e := range list {
		if e != s {
			out = append(out, e)
		}
	}
	return out
}

// omit returns a copy of m without key.
func omit(m map[string]any, key string) map[string]any {
	out := maps.Clone(m)
	delete(out, key)
	return out
}
