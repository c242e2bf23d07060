package env

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"

	cenv "github.com/caarlos0/env/v11"

	"github.com/mikros-go/mikros/core"
	"github.com/mikros-go/mikros/core/definition"
)

// Name is the feature's name: its table is [features.env], and the service
// field it fills is tagged `mikros:"env"`.
const Name = "env"

// Feature loads the service's environment into the struct of the field
// tagged `mikros:"env"`. Create it with [New] and pass it to
// core.WithFeatures; it runs when the definition enables it.
//
// A Feature holds the state of one run of the lifecycle: Configure, then
// Fill. Its methods are called by core, from one goroutine at a time.
type Feature struct {
	setup    *core.Setup
	optional []string
}

// Interface guards: the parts of core's lifecycle the feature takes part in.
var (
	_ core.Feature    = (*Feature)(nil)
	_ core.Configurer = (*Feature)(nil)
	_ core.Filler     = (*Feature)(nil)
)

// New returns the env feature.
func New() *Feature { return &Feature{} }

// Name returns "env".
func (f *Feature) Name() string { return Name }

// settings is the [features.env] table.
type settings struct {
	// Optional names the variables the service reads that may be unset.
	Optional []string `toml:"optional"`
}

// Configure decodes [features.env] strictly and checks its optional list:
// names like DATABASE_URL, each once, none also in envs. It keeps s for
// Fill and has no other effect. The error, when there is one, is a
// [definition.Problems] with every problem at its key.
func (f *Feature) Configure(s *core.Setup) error {
	var st settings
	var problems definition.Problems
	if err := s.Settings.Decode(&st); err != nil {
		if !errors.As(err, &problems) {
			return err
		}
	}
	decoded := len(problems) == 0
	var optional []string
	for _, name := range st.Optional {
		switch {
		case name == "" && !decoded:
			// An element that did not decode, already reported.
		case !isEnvName(name):
			hint := `, like "WORKERS"`
			if up := strings.ToUpper(name); isEnvName(up) {
				hint = fmt.Sprintf("; did you mean %q?", up)
			}
			problems = append(problems, s.Settings.Problem("optional",
				"%q is not a variable name (uppercase letters, digits and '_'%s)", name, hint))
		case slices.Contains(optional, name):
			problems = append(problems, s.Settings.Problem("optional", "%s is listed more than once", name))
		case s.Definition != nil && slices.Contains(s.Definition.Envs, name):
			problems = append(problems, s.Settings.Problem("optional",
				"%s is also in envs, which requires it to be set; list it in one of the two", name))
		default:
			optional = append(optional, name)
		}
	}
	if len(problems) > 0 {
		problems.Sort()
		return problems
	}
	f.setup, f.optional = s, optional
	return nil
}

// Fill loads the environment into the struct target points to: target is a
// pointer to the field tagged `mikros:"env"`, so a field of type Env gives
// an *Env (a field of type *Env, an **Env, whose struct Fill allocates when
// it is nil).
//
// Every variable the struct reads must be declared: in envs when the
// service cannot run without it, in [features.env] optional when it may be
// unset. Values are read with the Setup's LookupEnv, for the declared
// variables only.
//
// The error, when there is one, is a [definition.Problems] naming every
// variable that is undeclared, missing or invalid, with its field; the
// value of a variable marked secret is never part of it.
func (f *Feature) Fill(target any) error {
	s := f.setup
	if s == nil || s.Definition == nil {
		return errors.New("not configured: Configure must succeed before Fill")
	}
	v, err := f.structOf(target)
	if err != nil {
		return err
	}
	lookupEnv := s.LookupEnv
	if lookupEnv == nil {
		lookupEnv = os.LookupEnv // core's default
	}
	vars, problems := walk(v)
	if len(problems) == 0 {
		problems = append(problems, crossCheck(v, vars)...)
	}
	environ := map[string]string{}
	for i := range vars {
		p := &vars[i]
		switch {
		case slices.Contains(s.Definition.Envs, p.key):
			p.declared = declaredInEnvs
		case slices.Contains(f.optional, p.key):
			p.declared = declaredOptional
			if p.required && !p.hasDefault {
				problems = append(problems, s.Settings.Problem("optional",
					"%s is required by field %s; declare it in envs instead, which makes it required at boot", p.key, p.path))
			}
		default:
			problems = append(problems, f.undeclared(p))
			continue
		}
		if value, ok := lookupEnv(p.key); ok {
			environ[p.key] = value
		}
	}
	failed := false
	if len(problems) == 0 {
		if cenv.ParseWithOptions(v.Addr().Interface(), cenv.Options{Environment: environ}) == nil {
			return nil
		}
		failed = true
	}
	// An error of the library names a field but not its path, which is
	// ambiguous in nested structs, and its message may quote the value:
	// every declared variable is checked again on its own, so that each
	// problem names its variable and is written here.
	for _, p := range vars {
		if p.declared == undeclared || !p.supported {
			continue
		}
		if err := check(p, environ); err != nil {
			if p.declared == declaredInEnvs && unsetOrEmpty(err) {
				// The definition reports it, at envs: every variable
				// there is required, set and non-empty.
				continue
			}
			problems = append(problems, f.invalid(p, environ, err))
		}
	}
	if failed && len(problems) == 0 && f.envsMissing(vars, environ) {
		return nil // reported by the definition
	}
	if failed && len(problems) == 0 {
		problems = append(problems, definition.Problem{Path: "type " + typeName(v.Type()),
			Message: "could not be loaded from the environment, for a reason no single variable explains"})
	}
	problems.Sort()
	return problems.Err()
}

// unsetOrEmpty reports whether err says a variable is not set or empty.
func unsetOrEmpty(err error) bool {
	var notSet cenv.VarIsNotSetError
	var empty cenv.EmptyVarError
	return errors.As(err, &notSet) || errors.As(err, &empty)
}

// envsMissing reports whether a variable of envs that the struct reads is
// unset or empty, which the definition reports.
func (f *Feature) envsMissing(vars []variable, environ map[string]string) bool {
	for _, p := range vars {
		if p.declared == declaredInEnvs && environ[p.key] == "" {
			return true
		}
	}
	return false
}

// structOf returns the struct target points to, allocating it when target
// points to a nil pointer to a struct.
func (f *Feature) structOf(target any) (reflect.Value, error) {
	rv := reflect.ValueOf(target)
	if rv.Kind() == reflect.Pointer && !rv.IsNil() {
		e := rv.Elem()
		if e.Kind() == reflect.Pointer && e.Type().Elem().Kind() == reflect.Struct {
			if e.IsNil() {
				e.Set(reflect.New(e.Type().Elem()))
			}
			e = e.Elem()
		}
		if e.Kind() == reflect.Struct {
			return e, nil
		}
	}
	what := "nil"
	if target != nil {
		what = reflect.TypeOf(target).String()
	}
	return reflect.Value{}, f.setup.Definition.Problem("features.env",
		"the field tagged mikros:\"env\" must be a struct (or a pointer to one) whose fields are tagged env:\"NAME\"; Fill was given %s", what)
}

// undeclared is the problem of a variable the struct reads that the
// definition does not declare.
func (f *Feature) undeclared(p *variable) definition.Problem {
	def := f.setup.Definition
	near := ""
	if s := nearest(p.key, append(slices.Clone(def.Envs), f.optional...)); s != "" {
		near = fmt.Sprintf("; did you mean %s?", s)
	}
	if p.required && !p.hasDefault {
		return def.Problem("envs", "%s is read by field %s but not declared; add it to envs%s", p.key, p.path, near)
	}
	return f.setup.Settings.Problem("optional",
		"%s is read by field %s but not declared; add it to optional in [features.env], or to envs if it must be set%s", p.key, p.path, near)
}

// at places a problem about a declared variable where it is declared.
func (f *Feature) at(p variable, format string, args ...any) definition.Problem {
	if p.declared == declaredOptional {
		return f.setup.Settings.Problem("optional", format, args...)
	}
	return f.setup.Definition.Problem("envs", format, args...)
}

// invalid is the problem of a declared variable that the library could not
// load into its field. It is written from the library's structured error,
// never from its message, which may quote the value.
func (f *Feature) invalid(p variable, environ map[string]string, err error) definition.Problem {
	head := fmt.Sprintf("%s (field %s)", p.key, p.path)
	var (
		notSet   cenv.VarIsNotSetError
		empty    cenv.EmptyVarError
		fileErr  cenv.LoadFileContentError
		parseErr cenv.ParseError
	)
	switch {
	case errors.As(err, &notSet):
		return f.at(p, "%s is required but not set", head)
	case errors.As(err, &empty):
		if _, set := environ[p.key]; !set {
			return f.at(p, "%s is not set, and the field is tagged notEmpty", head)
		}
		return f.at(p, "%s is set but empty, and the field is tagged notEmpty", head)
	case errors.As(err, &fileErr):
		if p.secret {
			return f.at(p, "%s: cannot read the file it names (%s); the name is secret and not shown", head, fileReason(fileErr.Err))
		}
		return f.at(p, "%s: cannot read the file %q it names: %v", head, fileErr.Filename, fileErr.Err)
	case errors.As(err, &parseErr):
		return f.at(p, "%s: %s", head, describe(p, environ, parseErr.Err))
	}
	return f.at(p, "%s: cannot be read as %s", head, p.field.Type)
}
