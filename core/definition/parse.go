package definition

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

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
	// Aliases maps other names of kinds, as files written for other
	// Mikros implementations spell them, to the kinds' names; each is read
	// as its kind, with a warning. The kinds declare them (core.Aliased).
	Aliases map[string]string
	// Alone are the kinds that must be the only kind in types. The kinds
	// declare it (core.Solitary).
	Alone []string
}

// Defaults of the [lifecycle] table.
const (
	DefaultStartTimeout = 15 * time.Second
	DefaultStopTimeout  = 30 * time.Second
)

// topKeys are the keys a definition may have at its top level.
var topKeys = []string{
	"name", "types", "version", "product", "language", "envs",
	"log", "lifecycle", "admin", "features", "services", "clients", "service",
	"tests", "runtime",
}

// Load reads the definition from the file at path and parses it. It reads
// at most [MaxSize]+1 bytes: a longer file is a problem, whatever it is.
func Load(path string, opts Options) (*Definition, error) {
	text, err := readFile(path)
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
//
// A text longer than [MaxSize] or nested deeper than [MaxDepth] is one
// problem, found before the text is parsed. Within those limits, Parse's
// time and memory grow in proportion to the text's length.
func Parse(file string, text []byte, opts Options) (*Definition, error) {
	return parse(file, text, opts, limits{MaxSize, MaxDepth})
}

// parse is Parse within lim, which tests lift.
func parse(file string, text []byte, opts Options, lim limits) (*Definition, error) {
	str := string(text)
	p := newParser(file, str, opts)
	if problem, ok := lim.check(p.def.src, len(text)); !ok {
		return nil, Problems{problem}
	}
	var raw map[string]any
	if _, err := toml.Decode(str, &raw); err != nil {
		return nil, Problems{syntaxProblem(p.def.src, err)}
	}
	return p.read(raw)
}

func newParser(file, text string, opts Options) *parser {
	if opts.LookupEnv == nil {
		opts.LookupEnv = os.LookupEnv
	}
	p := &parser{
		opts: opts,
		def:  &Definition{File: file, src: newSource(file, text)},
	}
	p.d = &decoder{src: p.def.src, file: file}
	return p
}

// read checks raw, the tree the TOML parser made of the text.
func (p *parser) read(raw map[string]any) (*Definition, error) {
	p.parse(raw)
	p.d.problems.Sort()
	p.def.Warnings.Sort()
	return p.def, p.d.problems.Err()
}

func syntaxProblem(src *source, err error) Problem {
	var pe toml.ParseError
	if !errors.As(err, &pe) {
		return Problem{File: src.file, Message: "syntax: " + tidy(err.Error())}
	}
	// The parser's own column is off for an error at the start of a line,
	// and its line is the last one of a multi-line token; the offset at
	// which the error starts is right.
	line, col := src.position(pe.Position.Start)
	if pe.Position.Start == 0 && pe.Position.Line > 1 {
		line, col = pe.Position.Line, 0
	}
	return Problem{File: src.file, Line: line, Col: col, Message: "syntax: " + tidy(pe.Message)}
}

// tidy makes a message from another package read like ours: lowercase,
// without a closing period. A word that is all capitals keeps them.
func tidy(msg string) string {
	msg = strings.TrimSuffix(strings.TrimSpace(msg), ".")
	r, n := utf8.DecodeRuneInString(msg)
	if next, _ := utf8.DecodeRuneInString(msg[n:]); unicode.IsUpper(r) && !unicode.IsUpper(next) {
		msg = string(unicode.ToLower(r)) + msg[n:]
	}
	return msg
}

type parser struct {
	opts Options
	def  *Definition
	d    *decoder
	// written are the kind names written in types, aliases resolved, even
	// those that have another problem; unknown are those reported as not a
	// kind of the binary, or not a kind name (lowercased).
	written, unknown []string
	// declared are the names in envs; missing, those of them not set or
	// set but empty, which the problem about envs names.
	declared, missing map[string]bool
	// hints is what did-you-mean hints that compare the file's names with
	// the file's names may still cost (see suggestWithin).
	hints int
}

func top(key string) at {
	s := steps(key)
	return at{s, s, nil}
}

func (p *parser) warn(a at, format string, args ...any) {
	line, col := p.def.src.locate(a.loc.names())
	p.def.Warnings = append(p.def.Warnings, Problem{
		File: p.def.File, Line: line, Col: col,
		Path: a.path.String(), Message: fmt.Sprintf(format, args...),
	})
}

func (p *parser) parse(raw map[string]any) {
	p.hints = hintBudget
	for _, k := range sortedKeys(raw) {
		if !slices.Contains(topKeys, k) {
			p.d.problem(at{nil, steps(k), nil}, "unknown key %q%s", k, didYouMean(k, topKeys[:len(topKeys)-1]))
		}
	}
	def := p.def
	def.Name = p.identity(raw, "name", true, func(s string) string {
		if isName(s) {
			return ""
		}
		msg := fmt.Sprintf("%q must be lowercase kebab-case: a letter, then letters, digits or '-', at most 63 in all", s)
		if fix := kebab(s); fix != s && isName(fix) {
			msg += fmt.Sprintf(" (did you mean %q?)", fix)
		}
		return msg
	})
	def.Version = p.identity(raw, "version", true, func(s string) string {
		if !isSemver(s) {
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
			return fmt.Sprintf("%q is not a language Mikros runs (go, rust%s)", s, alsoDidYouMean(strings.ToLower(s), []string{"go", "rust"}))
		}
		return ""
	})
	p.types(raw)
	p.envs(raw)
	p.framework(raw)
	p.tables(raw)
}

// kebab is the kebab-case form of a name written in another case, for a
// hint.
func kebab(s string) string {
	return strings.NewReplacer("_", "-", " ", "-", ".", "-").Replace(snake(strings.TrimSpace(s)))
}

// identity reads a top-level string key and checks it with valid, which
// returns what is wrong or "".
func (p *parser) identity(raw map[string]any, key string, required bool, valid func(string) string) string {
	v, ok := raw[key]
	if !ok {
		if required {
			p.d.problem(at{steps(key), nil, nil}, "required, but not written")
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

// element is the place of the i-th entry of the array at a: its path is
// the array's, its place the entry's.
func element(a at, i int) at {
	return at{a.path, a.loc.add(strconv.Itoa(i)), nil}
}

func (p *parser) types(raw map[string]any) {
	a := top("types")
	v, ok := raw["types"]
	if !ok {
		p.d.problem(at{a.path, nil, nil}, "required, but not written (for example types = [\"native\"])")
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
	for i, item := range items {
		e := element(a, i)
		s, ok := item.(string)
		if !ok {
			p.d.problem(e, "every entry must be a string like \"grpc:7070\", not %s", typeName(item))
			continue
		}
		kind, portText, hasPort := strings.Cut(s, ":")
		if canon, ok := p.opts.Aliases[kind]; ok {
			p.warn(e, "%q is read as %q; write %q", kind, canon, canon)
			kind = canon
		}
		if !isKindName(kind) {
			p.unknown = append(p.unknown, strings.ToLower(kind))
			p.d.problem(e, "%q is not a kind name (lowercase, like \"grpc\" or \"grpc:7070\"%s)", s, alsoDidYouMean(strings.ToLower(kind), p.opts.Kinds))
			continue
		}
		p.written = append(p.written, kind)
		t := Type{Kind: kind}
		portOK := true
		if hasPort {
			port, ok := parsePort(portText)
			switch {
			case portText == "":
				p.d.problem(e, "%q has no port after ':' (write %q or \"%s:8080\")", s, kind, kind)
			case !ok && isDigits(portText):
				p.d.problem(e, "%q: %s is not a port number (1-65535)", s, portText)
			case !ok:
				p.d.problem(e, "%q: %q is not a port number (1-65535)", s, portText)
			}
			t.Port, t.PortFrom, portOK = port, "types", ok
		}
		if p.opts.Kinds != nil && !slices.Contains(p.opts.Kinds, kind) {
			p.unknown = append(p.unknown, kind)
			p.d.problem(e, "unknown kind %q (kinds in this binary: %s%s)", kind, strings.Join(p.opts.Kinds, ", "), alsoDidYouMean(kind, p.opts.Kinds))
			continue
		}
		if !portOK {
			continue
		}
		if seen[kind] {
			p.d.problem(e, "kind %q is listed more than once", kind)
			continue
		}
		seen[kind] = true
		p.def.Types = append(p.def.Types, t)
	}
	for _, k := range p.opts.Alone {
		if seen[k] && len(p.def.Types) > 1 {
			p.d.problem(a, "kind %s runs alone: it cannot be listed with %s",
				k, strings.Join(without(p.def.Kinds(), k), ", "))
			break
		}
	}
}

// parsePort reads a port number written in decimal digits only.
func parsePort(s string) (int, bool) {
	if !isDigits(s) || len(s) > 5 {
		return 0, false
	}
	port, err := strconv.Atoi(s)
	return port, err == nil && port >= 1 && port <= 65535
}

func isDigits(s string) bool {
	for i := range len(s) {
		if !isDigit(s[i]) {
			return false
		}
	}
	return s != ""
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
	var unset, empty []string
	p.declared, p.missing = map[string]bool{}, map[string]bool{}
	for i, item := range items {
		e := element(a, i)
		name, ok := item.(string)
		if !ok {
			p.d.problem(e, "every entry must be a string, not %s", typeName(item))
			continue
		}
		if !isEnvName(name) {
			hint := `, like "DATABASE_URL"`
			if up := strings.ToUpper(name); isEnvName(up) {
				hint = fmt.Sprintf("; did you mean %q?", up)
			}
			p.d.problem(e, "%q is not a variable name (uppercase letters, digits and '_'%s)", name, hint)
			continue
		}
		if p.declared[name] {
			p.d.problem(e, "%s is listed more than once", name)
			continue
		}
		p.declared[name] = true
		p.def.Envs = append(p.def.Envs, name)
		if val, ok := p.opts.LookupEnv(name); !ok {
			unset = append(unset, name)
			p.missing[name] = true
		} else if val == "" {
			empty = append(empty, name)
			p.missing[name] = true
		}
	}
	// Each missing variable is reported here only: a value that uses it
	// is left out of its table (see interpolate), so that it is not
	// reported again there.
	if len(unset) > 0 {
		p.d.problem(a, "%s %s not set (set %s in the service's environment: every variable in envs is required)",
			strings.Join(unset, ", "), plural(len(unset), "is", "are"), plural(len(unset), "it", "them"))
	}
	if len(empty) > 0 {
		p.d.problem(a, "%s %s set but empty (give %s a value: every variable in envs is required)",
			strings.Join(empty, ", "), plural(len(empty), "is", "are"), plural(len(empty), "it", "them"))
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// framework reads the tables the framework owns, and the MIKROS_*
// variables that adjust them.
func (p *parser) framework(raw map[string]any) {
	def := p.def
	levels, formats := []string{"debug", "info", "warn", "error"}, []string{"json", "console"}
	def.Log = Log{Level: "info", Format: "json"}
	p.table(raw, "log", &def.Log)
	if !slices.Contains(levels, def.Log.Level) {
		p.d.problem(top("log").child("level"), "%q is not a level (debug, info, warn, error%s)", def.Log.Level, alsoDidYouMean(strings.ToLower(def.Log.Level), levels))
	}
	if !slices.Contains(formats, def.Log.Format) {
		p.d.problem(top("log").child("format"), "%q is not a format (json, console%s)", def.Log.Format, alsoDidYouMean(strings.ToLower(def.Log.Format), formats))
	}

	def.Lifecycle = Lifecycle{StartTimeout: DefaultStartTimeout, StopTimeout: DefaultStopTimeout}
	p.table(raw, "lifecycle", &def.Lifecycle)
	lc := top("lifecycle")
	if d := def.Lifecycle.StartTimeout; d <= 0 {
		p.d.problem(lc.child("start_timeout"), "must be more than zero, not %s", d)
	}
	if d := def.Lifecycle.StopTimeout; d <= 0 {
		p.d.problem(lc.child("stop_timeout"), "must be more than zero, not %s", d)
	}
	if d, stop := def.Lifecycle.DrainDelay, def.Lifecycle.StopTimeout; d < 0 {
		p.d.problem(lc.child("drain_delay"), "must not be negative, not %s", d)
	} else if stop > 0 && d >= stop {
		p.d.problem(lc.child("drain_delay"), "%s leaves no time to stop: it must be less than stop_timeout (%s)", d, stop)
	} else if r := def.Lifecycle.StopReserve(); d > 0 && d >= stop-r {
		p.d.problem(lc.child("drain_delay"), "%s leaves the kinds no time to stop: stop_timeout (%s) keeps %s for OnStop and the features, so drain_delay must be less than %s", d, stop, r, stop-r)
	}

	_, adminEnv := p.opts.LookupEnv("MIKROS_ADMIN_PORT")
	if v, ok := raw["admin"]; ok {
		a := top("admin")
		def.Admin = &Admin{}
		p.table(raw, "admin", def.Admin)
		if m, ok := v.(map[string]any); ok {
			port, written := m["port"]
			n, isInt := port.(int64)
			switch {
			case !written && !adminEnv:
				p.d.problem(at{a.child("port").path, a.loc, nil}, "required, but not written (or set MIKROS_ADMIN_PORT)")
			case isInt && (n < 1 || n > 65535):
				p.d.problem(a.child("port"), "%d is not a port number (1-65535)", n)
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
	port, ok := parsePort(v)
	if !ok {
		p.d.problems = append(p.d.problems, Problem{File: p.def.File, Path: name, Message: fmt.Sprintf("%q is not a port number (1-65535)", v)})
	}
	return port, ok
}

// table decodes the top-level table key into v, strictly.
func (p *parser) table(raw map[string]any, key string, v any) {
	if val, ok := raw[key]; ok {
		p.d.value(val, reflectValue(v), top(key))
	}
}

// misspeltEnabled reports a feature table without enabled whose boolean
// key is a misspelling of it ("enabeld = true"): the feature would stay
// off, and its owner, which decodes the table only when it is on, would
// never say why.
func (p *parser) misspeltEnabled(a at, m map[string]any) {
	for _, k := range sortedKeys(m) {
		if _, ok := m[k].(bool); ok && suggest(k, []string{"enabled"}) != "" {
			p.d.problem(a.child(k), "unknown key %q (did you mean \"enabled\"?): without enabled = true the feature is off", k)
		}
	}
}

// tables reads the tables that belong to features, kinds, clients and the
// service, and resolves "${NAME}" in their strings.
func (p *parser) tables(raw map[string]any) {
	def := p.def
	def.Features = map[string]FeatureTable{}
	features := p.tableOfTables(raw, "features")
	for _, name := range sortedKeys(features) {
		a := features[name]
		m := a.values
		ft := FeatureTable{}
		if v, ok := m["enabled"]; ok {
			if b, ok := v.(bool); ok {
				ft.Enabled = b
			} else {
				p.d.problem(a.at.child("enabled"), "must be true or false, not %s", typeName(v))
			}
			m = omit(m, "enabled")
		} else {
			p.misspeltEnabled(a.at, m)
		}
		ft.Settings = p.section(a.at, m)
		def.Features[name] = ft
	}

	p.services(raw)

	def.Clients = map[string]Section{}
	clients := p.tableOfTables(raw, "clients")
	for _, name := range sortedKeys(clients) {
		a := clients[name]
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

// services reads the [services.<kind>] tables, and the aliases of other
// Mikros implementations: [runtime.<kind>], and the kind worker for native.
func (p *parser) services(raw map[string]any) {
	def := p.def
	def.Services = map[string]Section{}
	type table struct {
		kind, written string
		located
	}
	var tables []table
	for _, key := range []string{"services", "runtime"} {
		m := p.tableOfTables(raw, key)
		for _, name := range sortedKeys(m) {
			kind := name
			if canon, ok := p.opts.Aliases[name]; ok {
				kind = canon
			}
			tables = append(tables, table{kind, key + "." + name, m[name]})
		}
	}
	// The canonical [services.<kind>] first, so that a duplicate is
	// reported at its alias.
	slices.SortStableFunc(tables, func(a, b table) int {
		return cmpBool(a.written != "services."+a.kind, b.written != "services."+b.kind)
	})
	written := map[string]string{}
	byKind := map[string]located{}
	for _, t := range tables {
		canon := "services." + t.kind
		if prev, dup := written[t.kind]; dup {
			p.d.problem(t.at, "both [%s] and [%s] are written; keep [%s]", t.written, prev, canon)
			continue
		}
		written[t.kind] = t.written
		if t.written != canon {
			p.warn(t.at, "[%s] is read as [%s]; write [%s]", t.written, canon, canon)
			t.at = at{steps("services", t.kind), t.at.loc, nil}
		}
		byKind[t.kind] = t.located
	}

	inTypes := map[string]bool{}
	for _, k := range p.written {
		inTypes[k] = true
	}
	for _, kind := range sortedKeys(byKind) {
		a := byKind[kind]
		if !inTypes[kind] {
			// A table for a kind close to one that types misspells is
			// that kind's table: the problem is in types, which says so.
			if p.suggest(kind, p.unknown) != "" {
				continue
			}
			hint := "add it to types, or remove this table"
			if s := p.suggest(kind, p.written); s != "" {
				hint = fmt.Sprintf("did you mean [services.%s]?", s)
			}
			p.d.problem(a.at, "kind %q is not in types (%s)", kind, hint)
			continue
		}
		// The port may come from the environment, like any setting.
		sec := p.section(a.at, a.values)
		if v, ok := sec.values["port"]; ok {
			port := a.at.child("port")
			fromEnv := sec.FromEnv("port")
			sec.values = omit(sec.values, "port")
			if fromEnv {
				delete(sec.at.env.kids, "port")
				if len(sec.at.env.kids) == 0 {
					sec.at.env = nil
				}
			}
			var n int64
			valid := false
			if text, ok := v.(string); ok && fromEnv {
				number, ok := parsePort(text)
				n, valid = int64(number), ok
				if !ok {
					p.d.problem(port, "the value from the environment is not a port number (1-65535)")
				}
			} else {
				number, isInt := v.(int64)
				switch {
				case !isInt:
					p.d.problem(port, "must be a port number (1-65535), not %s", typeName(v))
				case number < 1 || number > 65535:
					p.d.problem(port, "%d is not a port number (1-65535)", number)
				default:
					n, valid = number, true
				}
			}
			for i := range def.Types {
				if valid && def.Types[i].Kind == kind && def.Types[i].Port == 0 {
					def.Types[i].Port, def.Types[i].PortFrom = int(n), port.loc.String()
				}
			}
		}
		def.Services[kind] = sec
	}
	for i, t := range def.Types {
		name := PortVariable(t.Kind)
		if v, ok := p.opts.LookupEnv(name); ok {
			if port, ok := p.envPort(name, v); ok {
				def.Types[i].Port, def.Types[i].PortFrom = port, name
			}
		}
	}
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
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
	for _, name := range sortedKeys(m) {
		a := top(key).child(name)
		t, ok := m[name].(map[string]any)
		if !ok {
			p.d.problem(a, "must be a table ([%s.%s]), not %s", key, name, typeName(m[name]))
			continue
		}
		out[name] = located{a, t}
	}
	return out
}

// section makes a Section of values, resolving "${NAME}" in its strings.
func (p *parser) section(a at, values map[string]any) Section {
	v, marks, _, _ := p.interpolate(values, a)
	a.env = marks
	return Section{at: a, values: v.(map[string]any), src: p.def.src, file: p.def.File}
}

// interpolate returns v with every "${NAME}" (and mikros Go's "NAME@env")
// in its strings replaced by the variable's value, the marks of the values
// that came from the environment (nil when none did), whether anything
// changed (v is returned as it is when nothing did), and whether v uses a
// variable of envs that is not set, or empty. Such a value is left out of
// its table (an array, entirely), as if it were not written: the problem
// about envs is the one report of the missing variable, and the value's
// owner sees its default rather than an empty string. Only variables
// declared in envs may be used.
func (p *parser) interpolate(v any, a at) (out any, marks *envMark, changed, unset bool) {
	switch t := v.(type) {
	case string:
		if name, ok := oldRef(t); ok {
			p.warn(a, "%q is read as \"${%s}\"; write \"${%s}\"", t, name, name)
			t = "${" + name + "}"
		}
		if !strings.Contains(t, "${") {
			return t, nil, false, false
		}
		s, unclosed := expandRefs(t, func(ref, name string) string {
			if name == "" {
				p.d.problem(a, "%q names no variable (write \"${NAME}\")", ref)
				return ""
			}
			if !isEnvName(name) {
				hint := ""
				if up := strings.ToUpper(strings.TrimSpace(name)); isEnvName(up) {
					hint = fmt.Sprintf("; did you mean \"${%s}\"?", up)
				}
				p.d.problem(a, "%q is not a variable reference (the name is uppercase letters, digits and '_'%s)", ref, hint)
				return ""
			}
			if !p.declared[name] {
				hint := "add it to envs"
				if s := p.suggest(name, p.def.Envs); s != "" {
					hint = fmt.Sprintf("did you mean %s?", s)
				}
				p.d.problem(a, "%s is used here but not declared in envs (%s)", name, hint)
				return ""
			}
			unset = unset || p.missing[name]
			val, _ := p.opts.LookupEnv(name)
			return val
		})
		if unclosed {
			p.d.problem(a, "a \"${\" is not closed (write \"${NAME}\")")
		}
		return s, &envMark{fromEnv: true}, true, unset
	case map[string]any:
		// A table or an array is copied only when a value in it changes.
		m := t
		for _, k := range sortedKeys(t) {
			e, em, ch, un := p.interpolate(t[k], a.child(k))
			if !ch {
				continue
			}
			if !changed {
				m, changed = maps.Clone(t), true
			}
			if un {
				delete(m, k)
				continue
			}
			m[k] = e
			marks = marks.with(k, em)
		}
		return m, marks, changed, false
	case []any:
		s := t
		for i, e := range t {
			k := strconv.Itoa(i)
			e, em, ch, un := p.interpolate(e, a.child(k))
			if un {
				return nil, nil, true, true
			}
			if !ch {
				continue
			}
			if !changed {
				s, changed = slices.Clone(t), true
			}
			s[i] = e
			marks = marks.with(k, em)
		}
		return s, marks, changed, false
	case []map[string]any:
		s := t
		for i, e := range t {
			k := strconv.Itoa(i)
			e, em, ch, _ := p.interpolate(e, a.child(k))
			if !ch {
				continue
			}
			if !changed {
				s, changed = slices.Clone(t), true
			}
			s[i] = e.(map[string]any)
			marks = marks.with(k, em)
		}
		return s, marks, changed, false
	}
	return v, nil, false, false
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

// PortVariable returns the environment variable that sets kind's port:
// MIKROS_<KIND>_PORT, with '-' in the kind's name written '_'.
func PortVariable(kind string) string {
	return "MIKROS_" + strings.ToUpper(strings.ReplaceAll(kind, "-", "_")) + "_PORT"
}
