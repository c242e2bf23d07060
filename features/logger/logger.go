package logger

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"slices"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/mikros-go/mikros/core"
	"github.com/mikros-go/mikros/core/definition"
)

// Name is the feature's name: its table is [features.logger].
const Name = "logger"

// Feature writes the service's logs with zap. Create it with [New] and pass
// it to core.WithFeatures; it runs when the definition enables it. The zero
// Feature writes to os.Stderr, as New does without options.
//
// A Feature holds the state of one run of the lifecycle: Configure, Start,
// then Stop. Its methods are called by core, from one goroutine at a time.
type Feature struct {
	out io.Writer

	setup    *core.Setup
	settings settings

	level   zap.AtomicLevel
	log     *zap.Logger
	handler slog.Handler
}

// Interface guards: the parts of core's lifecycle the feature takes part in.
var (
	_ core.Feature    = (*Feature)(nil)
	_ core.Configurer = (*Feature)(nil)
	_ core.Starter    = (*Feature)(nil)
	_ core.Provider   = (*Feature)(nil)
	_ core.LogHandler = (*Feature)(nil)
)

// Option adjusts a Feature made by [New].
type Option func(*Feature)

// WithOutput makes the feature write its lines to w instead of where core
// writes its own (core.WithLogOutput; os.Stderr by default).
// Lines are written whole, one Write call per line, and never two Writes at
// once, so w need not be safe for concurrent use. Tests pass a buffer.
func WithOutput(w io.Writer) Option {
	return func(f *Feature) { f.out = w }
}

// New returns the logger feature.
func New(opts ...Option) *Feature {
	f := &Feature{}
	for _, o := range opts {
		o(f)
	}
	return f
}

// Name returns "logger".
func (f *Feature) Name() string { return Name }

// settings is the [features.logger] table.
type settings struct {
	// Caller adds a "caller" field (package/file.go:line) to every line.
	Caller bool `toml:"caller"`
	// StacktraceLevel is the lowest level whose lines carry a stack trace.
	StacktraceLevel string `toml:"stacktrace_level"`
	// Sampling, when written, thins out repeated lines.
	Sampling *sampling `toml:"sampling"`
}

// sampling is the [features.logger.sampling] table: each second, for each
// level and message, the first Initial lines are written, then every
// Thereafter-th; Thereafter = 0 drops the rest of that second's lines.
type sampling struct {
	Initial    int `toml:"initial"`
	Thereafter int `toml:"thereafter"`
}

// Defaults of the [features.logger] table.
const (
	defaultStacktraceLevel = "error"
	defaultInitial         = 100
	defaultThereafter      = 100
)

// levels are the level names the settings accept, lowest first.
var levels = []string{"debug", "info", "warn", "error"}

// Configure decodes [features.logger] strictly and checks its values. It
// keeps s for Start and has no other effect. The error, when there is one,
// is a [definition.Problems] with every problem at its key.
func (f *Feature) Configure(s *core.Setup) error {
	st := settings{StacktraceLevel: defaultStacktraceLevel}
	if s.Settings.Has("sampling") {
		st.Sampling = &sampling{Initial: defaultInitial, Thereafter: defaultThereafter}
	}
	var problems definition.Problems
	if err := s.Settings.Decode(&st); err != nil {
		if !errors.As(err, &problems) {
			return err
		}
	}
	if !slices.Contains(levels, st.StacktraceLevel) {
		problems = append(problems, s.Settings.Problem("stacktrace_level",
			"%q is not a level (debug, info, warn or error)", st.StacktraceLevel))
	}
	if sp := st.Sampling; sp != nil {
		if sp.Initial < 1 {
			problems = append(problems, s.Settings.Problem("sampling.initial",
				"must be at least 1, not %d", sp.Initial))
		}
		if sp.Thereafter < 0 {
			problems = append(problems, s.Settings.Problem("sampling.thereafter",
				"must be 0 (drop the rest) or more, not %d", sp.Thereafter))
		}
	}
	if len(problems) > 0 {
		problems.Sort()
		return problems
	}
	f.setup, f.settings = s, st
	return nil
}

// Start builds the zap logger from the definition's log table and the
// feature's settings, and mounts the level at /loglevel on the admin
// listener. It fails only when Configure did not succeed first.
func (f *Feature) Start(context.Context) error {
	s := f.setup
	if s == nil || s.Definition == nil {
		return errors.New("not configured")
	}
	def := s.Definition
	f.level = zap.NewAtomicLevelAt(zapLevel(core.ParseLevel(def.Log.Level)))
	stackLevel, _ := zapcore.ParseLevel(f.settings.StacktraceLevel)

	out := f.out
	if out == nil {
		out = s.LogOutput
	}
	if out == nil {
		out = os.Stderr
	}
	zc := zapcore.NewCore(newEncoder(def.Log.Format, f.settings.Caller), zapcore.Lock(zapcore.AddSync(unsynced{out})), f.level)
	if sp := f.settings.Sampling; sp != nil {
		zc = zapcore.NewSamplerWithOptions(zc, time.Second, sp.Initial, sp.Thereafter)
	}
	zc = zc.With(fields(core.LogFields(def)))

	errOut := zapcore.Lock(os.Stderr)
	opts := []zap.Option{zap.AddStacktrace(stackLevel), zap.ErrorOutput(errOut)}
	if f.settings.Caller {
		opts = append(opts, zap.AddCaller())
	}
	f.log = zap.New(zc, opts...)
	f.handler = &handler{core: zc, caller: f.settings.Caller, stackLevel: stackLevel, errOut: errOut}

	if s.Admin != nil {
		s.Admin.Handle("/loglevel", levelHandler{level: f.level})
	}
	return nil
}

// Provide returns the *zap.Logger and its *zap.SugaredLogger, for service
// fields such as
//
//	Log *zap.Logger `mikros:"feature"`
//
// Both write lines with the service's fields and at the level of /loglevel.
// Provide returns nil before Start.
func (f *Feature) Provide() []any {
	if f.log == nil {
		return nil
	}
	return []any{f.log, f.log.Sugar()}
}

// LogHandler returns the slog.Handler that core routes its *slog.Logger
// through once the feature started. Its lines have the layout of the zap
// logger's, carry the service's fields, and follow /loglevel. It returns
// nil before Start.
func (f *Feature) LogHandler() slog.Handler {
	return f.handler
}

// unsynced hides the Sync method of an output such as *os.File. Lines are
// written whole, one Write per line, with nothing buffered, so there is
// nothing to flush; fsync on a log file would only cost the stop a disk
// flush (milliseconds) for no line saved.
type unsynced struct{ io.Writer }
