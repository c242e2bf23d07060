package core

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"reflect"
	"slices"
	"strconv"
	"syscall"
	"time"

	"github.com/mikros-go/mikros/core/definition"
)

// ModulePath is the path under which the modules of this repository live.
const ModulePath = "github.com/mikros-go/mikros"

// builtinFeatures are the features of this repository, named so that an
// error can say which module to add. (features/errors is a library the
// kinds use, with no table of its own.)
var builtinFeatures = []string{"env", "logger", "metrics", "tracing"}

// service is one run of the lifecycle.
type service struct {
	cfg    config
	svc    any
	def    *definition.Definition
	route  *logRoute
	log    *slog.Logger
	health *Health
	mux    *http.ServeMux

	features []Feature       // enabled, in start order
	failed   map[string]bool // the enabled features whose Configure failed
	calls    CallObserver    // the features that observe calls, for the kinds
	kinds    []Kind          // in types order
	inject   []reflect.StructField
	fill     []fillField
	target   reflect.Value

	phases []Phase // configure, build and start, as they ran

	started   []started // what started, in order: what shutdown stops
	outer     context.Context
	stopAsked time.Time   // when the stop was requested during start
	pending   *kindResult // a kind whose Run returned before the service was ready
	stopping  bool
	admin     *adminServer
	secrets   *secrets        // the values read from the environment, kept out of every message
	running   map[string]bool // the kinds whose Run has not returned
	results   chan kindResult
	runCtx    context.Context // the kinds' Run context, canceled when shutdown begins
	cancelRun context.CancelFunc
}

// Run runs svc through the whole lifecycle and returns when it stopped: when
// a kind finished (a script's Run returned), a kind failed, or ctx ended
// (Main ends it on SIGTERM or SIGINT). The error joins every failure; it is
// a [definition.Problems] when the definition or the configuration is
// invalid, in which case nothing was started. [ExitCode] turns it into the
// process's exit status.
func Run(ctx context.Context, svc any, opts ...Option) error {
	type result struct {
		s   *service
		err error
	}
	// configure has no effect but its result: when ctx ends first, it is
	// left to finish on its own.
	done := make(chan result, 1)
	go func() {
		s, err := configure(svc, opts)
		done <- result{s, err}
	}()
	var r result
	select {
	case r = <-done:
	case <-ctx.Done():
		return &InterruptedError{Cause: context.Cause(ctx), configuring: true}
	}
	if r.err != nil {
		return r.err
	}
	return r.s.secrets.err(r.s.run(ctx))
}

// Check validates the definition and the environment exactly as [Run]
// would, and lets every enabled feature and every kind check its settings,
// without starting anything. svc may be nil to check a definition alone;
// the checks that need the service are then skipped.
func Check(svc any, opts ...Option) (*definition.Definition, error) {
	s, err := configure(svc, append(opts[:len(opts):len(opts)], WithLogOutput(io.Discard)))
	if s == nil {
		return nil, err
	}
	return s.def, err
}

// configure reads the definition and lets every module check its settings.
// It returns the service with its definition whenever the file could be
// parsed, and every problem found.
func configure(svc any, opts []Option) (*service, error) {
	start := time.Now()
	s := &service{svc: svc, health: NewHealth(), mux: http.NewServeMux(), running: map[string]bool{}, secrets: &secrets{}}
	for _, o := range opts {
		o(&s.cfg)
	}
	if s.cfg.health != nil {
		s.health = s.cfg.health
	}
	if s.cfg.lookupEnv == nil {
		s.cfg.lookupEnv = os.LookupEnv
	}
	s.cfg.lookupEnv = s.secrets.lookup(s.cfg.lookupEnv)
	if s.cfg.logOutput == nil {
		s.cfg.logOutput = os.Stderr
	}
	kindNames := make([]string, len(s.cfg.kinds))
	for i, k := range s.cfg.kinds {
		kindNames[i] = k.Name()
	}
	slices.Sort(kindNames)
	dopts := definition.Options{Kinds: kindNames, LookupEnv: s.cfg.lookupEnv, Aliases: map[string]string{}}
	for _, k := range s.cfg.kinds {
		if a, ok := k.(Aliased); ok {
			for _, alias := range a.Aliases() {
				dopts.Aliases[alias] = k.Name()
			}
		}
		if so, ok := k.(Solitary); ok && so.RunsAlone() {
			dopts.Alone = append(dopts.Alone, k.Name())
		}
	}
	var err error
	if s.cfg.defText != nil {
		s.def, err = definition.Parse(s.cfg.defFile, s.cfg.defText, dopts)
	} else {
		path := "service.toml"
		if p, ok := s.cfg.lookupEnv("MIKROS_CONFIG"); ok && p != "" {
			path = p
		}
		s.def, err = definition.Load(path, dopts)
	}
	if s.def == nil {
		return nil, s.secrets.err(err)
	}
	var problems definition.Problems
	errors.As(err, &problems)
	s.health.redact = s.secrets.redact

	level := new(slog.LevelVar)
	level.Set(ParseLevel(s.def.Log.Level))
	s.route = newLogRoute(stdHandler(s.cfg.logOutput, s.def.Log.Format, level).WithAttrs(LogFields(s.def)))
	s.log = slog.New(redactingHandler{&routedHandler{route: s.route}, s.secrets})
	s.mux.Handle("/livez", s.health)
	s.mux.Handle("/readyz", s.health)

	problems = append(problems, s.configureFeatures()...)
	problems = append(problems, s.configureKinds()...)
	var settings reflect.Value
	var ps definition.Problems
	settings, s.inject, s.fill, s.target, ps = serviceFields(svc, s.fillers())
	problems = append(problems, ps...)
	if svc != nil {
		problems = append(problems, decodeSettings(s.def, settings)...)
		problems = append(problems, fillFields(s.def, s.target, s.configured(s.fill))...)
	}
	s.secrets.problems(s.def.Warnings)
	if len(problems) > 0 {
		problems.Sort()
		s.secrets.problems(problems)
		return s, problems
	}
	for _, w := range s.def.Warnings {
		s.log.Warn(w.Error())
	}
	s.phases = append(s.phases, Phase{Name: "configure", Start: start, End: time.Now()})
	return s, nil
}

// fillers returns, by name, the linked features that fill fields: those
// enabled as [Filler], and nil for the others, so that a field tagged with
// the name of a disabled feature is reported as such.
func (s *service) fillers() map[string]Filler {
	fillers := map[string]Filler{}
	for _, f := range s.cfg.features {
		fillers[f.Name()] = nil
	}
	for _, f := range s.features {
		if fl, ok := f.(Filler); ok {
			fillers[f.Name()] = fl
		}
	}
	return fillers
}

// configured returns the fields whose feature configured: a feature whose
// Configure failed, already reported, is not asked to fill a field.
func (s *service) configured(fields []fillField) []fillField {
	if len(s.failed) == 0 {
		return fields
	}
	var ok []fillField
	for _, f := range fields {
		if !s.failed[f.name] {
			ok = append(ok, f)
		}
	}
	return ok
}

func (s *service) configureFeatures() definition.Problems {
	var problems definition.Problems
	linked := map[string]Feature{}
	for _, f := range s.cfg.features {
		linked[f.Name()] = f
	}
	enabled := map[string]Feature{}
	for _, name := range sortedNames(s.def.Features) {
		table := s.def.Features[name]
		path := "features." + name
		f, ok := linked[name]
		switch {
		case !ok && table.Enabled:
			problems = append(problems, s.def.Problem(path, "enabled, but this binary does not include the %s feature %s", name, howToAdd(name, linked)))
			continue
		case !ok:
			s.def.Warnings = append(s.def.Warnings, s.def.Problem(path, "this binary does not include the %s feature; the table is not checked", name))
			continue
		case !table.Enabled:
			continue
		}
		enabled[name] = f
		setup := s.setup(table.Settings, 0, nil)
		ps := configureModule(f, setup, path)
		if len(ps) > 0 {
			if s.failed == nil {
				s.failed = map[string]bool{}
			}
			s.failed[name] = true
		}
		problems = append(problems, ps...)
	}
	ordered, ps := order(enabled, s.def)
	s.features = ordered
	s.calls = callObserver(ordered)
	return append(problems, ps...)
}

// setup makes the Setup a module's Configure gets: one place, so that
// features and kinds see the same service the same way. calls is only for
// kinds.
func (s *service) setup(settings definition.Section, port int, calls CallObserver) *Setup {
	return &Setup{Definition: s.def, Settings: settings, Port: port, Service: s.svc, Logger: s.log,
		LogOutput: s.cfg.logOutput, LookupEnv: s.cfg.lookupEnv, Admin: s.adminMux(), Health: s.health, Calls: calls}
}

// adminMux is where modules mount admin handlers: nil when the service
// has no admin listener, so that a feature that needs one can say so.
func (s *service) adminMux() Mux {
	if s.def.Admin == nil && s.cfg.adminLn == nil {
		return nil
	}
	return s.mux
}

// howToAdd says how to link a feature that is missing from the binary.
func howToAdd(name string, linked map[string]Feature) string {
	if name == "errors" {
		return "(features/errors is the error model the kinds use: it is always on and has nothing to enable; remove this table)"
	}
	if slices.Contains(builtinFeatures, name) {
		return fmt.Sprintf("(go get %s/features/%s and pass %s.New() to core.WithFeatures)", ModulePath, name, name)
	}
	names := sortedNames(linked)
	if len(names) == 0 {
		return "(add the module that provides it and pass it to core.WithFeatures)"
	}
	return fmt.Sprintf("(features in this binary: %s; add the module that provides %s and pass it to core.WithFeatures)", joinNames(names), name)
}

func (s *service) configureKinds() definition.Problems {
	var problems definition.Problems
	linked := map[string]Kind{}
	for _, k := range s.cfg.kinds {
		linked[k.Name()] = k
	}
	ports := map[int]string{}
	if a := s.def.Admin; a != nil && s.cfg.adminLn == nil {
		ports[a.Port] = "the admin listener"
	}
	for _, t := range s.def.Types {
		k, ok := linked[t.Kind]
		if !ok {
			continue // reported by the definition
		}
		port := t.Port
		if l, ok := k.(Listener); ok {
			if port == 0 {
				port = l.DefaultPort()
			}
			if other, taken := ports[port]; taken && port != 0 {
				problems = append(problems, s.portProblem(t, "port %d is also the port of %s", port, other))
			}
			ports[port] = "kind " + t.Kind
		} else if port != 0 {
			problems = append(problems, s.portProblem(t, "kind %s does not listen on a port", t.Kind))
		}
		setup := s.setup(s.def.Services[t.Kind], port, s.calls)
		problems = append(problems, configureModule(k, setup, "services."+t.Kind)...)
		s.kinds = append(s.kinds, k)
	}
	return problems
}

// portProblem places a problem about a kind's port where the port was set.
func (s *service) portProblem(t definition.Type, format string, args ...any) definition.Problem {
	switch t.PortFrom {
	case "types", "":
		return s.def.Problem("types", format, args...)
	case "services." + t.Kind + ".port":
		return s.def.Problem(t.PortFrom, format, args...)
	}
	return definition.Problem{Path: t.PortFrom, Message: fmt.Sprintf(format, args...)}
}

// configureModule runs a module's Configure; a module without one accepts
// no settings.
func configureModule(m any, setup *Setup, path string) definition.Problems {
	var err error
	if c, ok := m.(Configurer); ok {
		err = c.Configure(setup)
	} else {
		err = setup.Settings.Decode(&struct{}{})
	}
	if err != nil {
		return asProblems(err, setup.Definition, path)
	}
	return nil
}

// recordStartup hands the phases that ran to the started features that
// record them.
func (s *service) recordStartup(ctx context.Context) {
	ctx = context.WithoutCancel(ctx)
	phases := slices.Clone(s.phases)
	for i := range phases {
		phases[i].Err = s.secrets.err(phases[i].Err) // a span's status is a message too
	}
	for _, f := range s.startedFeatures() {
		if r, ok := f.(StartupRecorder); ok {
			func() {
				defer func() {
					if v := recover(); v != nil {
						_ = panicked("feature "+f.Name()+" RecordStartup", v, s.log)
					}
				}()
				r.RecordStartup(ctx, phases)
			}()
		}
	}
}

// build starts the enabled features in order and fills the service's
// feature fields.
func (s *service) build(ctx context.Context) error {
	provided := []providedValue{{"core", s.log}, {"core", s.health}, {"core", s.def}}
	for _, f := range s.features {
		name := f.Name()
		if st, ok := f.(Starter); ok {
			if err := s.startHook(ctx, "build", "feature "+name+" start", st.Start); err != nil {
				return err
			}
		}
		s.record("feature "+name, stageFeatures, f)
		if lh, ok := f.(LogHandler); ok {
			s.route.set(lh.LogHandler())
		}
		if lc, ok := f.(LogContext); ok {
			s.route.addContext(lc)
		}
		if c, ok := f.(Checker); ok {
			s.health.addCheck("feature "+name, c)
		}
		if p, ok := f.(Provider); ok {
			for _, v := range p.Provide() {
				provided = append(provided, providedValue{"feature " + name, v})
			}
		}
	}
	if problems := injectFeatures(s.target, s.inject, provided); len(problems) > 0 {
		return problems
	}
	return nil
}

// start binds the admin listener, starts the kinds in order, and runs
// OnStart.
func (s *service) start(ctx context.Context) error {
	if err := s.serveAdmin(); err != nil {
		return err
	}
	for _, k := range s.kinds {
		if st, ok := k.(Starter); ok {
			if err := s.startHook(ctx, "start", "kind "+k.Name()+" start", st.Start); err != nil {
				return s.portHint(k, err)
			}
		}
		s.record("kind "+k.Name(), stageKinds, k)
		if c, ok := k.(Checker); ok {
			s.health.addCheck("kind "+k.Name(), c)
		}
	}
	if h, ok := s.svc.(OnStarter); ok {
		if err := s.startHook(ctx, "start", "service OnStart", h.OnStart); err != nil {
			return err
		}
	}
	if h, ok := s.svc.(OnStopper); ok {
		s.started = append(s.started, started{name: "service OnStop", stage: stageService, stop: h.OnStop})
	}
	return nil
}

// serveAdmin binds the admin listener, when there is one, and serves the
// health probes and what features mounted.
func (s *service) serveAdmin() error {
	ln := s.cfg.adminLn
	if ln == nil {
		a := s.def.Admin
		if a == nil {
			return nil
		}
		addr := net.JoinHostPort(a.Address, strconv.Itoa(a.Port))
		var err error
		if ln, err = net.Listen("tcp", addr); err != nil {
			return fmt.Errorf("admin listener: %w", err)
		}
	}
	s.admin = newAdminServer(ln, s.mux)
	s.admin.start()
	s.started = append(s.started, started{name: "admin listener close", stage: stageAdmin, stop: s.admin.stop})
	s.log.Info("admin listening", "address", ln.Addr().String())
	return nil
}

// portHint adds to a listening kind's failed Start, when its port is in
// use, where the port came from and how to move it. The kind's error
// names the address already.
func (s *service) portHint(k Kind, err error) error {
	if _, ok := k.(Listener); !ok || !errors.Is(err, syscall.EADDRINUSE) {
		return err
	}
	var t definition.Type
	for _, e := range s.def.Types {
		if e.Kind == k.Name() {
			t = e
		}
	}
	from := "is the kind's default"
	if t.PortFrom != "" {
		from = "comes from " + t.PortFrom
	}
	return fmt.Errorf("%w (the port %s: free it, or move the kind with %s)",
		err, from, definition.PortVariable(k.Name()))
}
