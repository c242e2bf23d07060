package logger

import (
	"context"
	"log/slog"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/mikros-go/mikros/core"
)

// handler is the slog.Handler core routes its logger through. It writes
// through the zap logger's core, so that a line logged through slog and one
// logged through zap come out alike: same encoder, same service fields,
// same level, same sampling.
//
// slog groups become nested objects, as zap namespaces and slog's own
// JSONHandler write them: WithGroup("http") then "status" gives
// {"http":{"status":200}}. A group is written only when it has attributes.
type handler struct {
	// core writes the lines; it holds the service's fields and every
	// attribute added by WithAttrs.
	core zapcore.Core
	// groups are the groups opened by WithGroup that no attribute was added
	// to yet; they are written only if the record has attributes.
	groups     []string
	caller     bool
	stackLevel zapcore.Level
	errOut     zapcore.WriteSyncer
}

func (h *handler) Enabled(_ context.Context, l slog.Level) bool {
	return h.core.Enabled(zapLevel(l))
}

func (h *handler) Handle(_ context.Context, r slog.Record) error {
	ce := h.core.Check(zapcore.Entry{Level: zapLevel(r.Level), Time: r.Time, Message: r.Message}, nil)
	if ce == nil {
		return nil
	}
	ce.ErrorOutput = h.errOut
	if h.caller && r.PC != 0 {
		frame, _ := runtime.CallersFrames([]uintptr{r.PC}).Next()
		ce.Caller = zapcore.EntryCaller{Defined: frame.PC != 0, PC: frame.PC, File: frame.File, Line: frame.Line, Function: frame.Function}
	}
	if ce.Level >= h.stackLevel && !framework(r.PC) {
		ce.Stack = stackFrom(r.PC)
	}
	fs := make([]zapcore.Field, 0, r.NumAttrs()+len(h.groups))
	r.Attrs(func(a slog.Attr) bool {
		fs = appendAttr(fs, a)
		return true
	})
	ce.Write(inGroups(h.groups, fs)...)
	return nil
}

func (h *handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	fs := fields(attrs)
	if len(fs) == 0 {
		return h
	}
	c := *h
	c.core = h.core.With(inGroups(h.groups, fs))
	c.groups = nil
	return &c
}

func (h *handler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	c := *h
	c.groups = append(slices.Clip(h.groups), name)
	return &c
}

// inGroups puts fs inside the groups, unless there is nothing to put.
func inGroups(groups []string, fs []zapcore.Field) []zapcore.Field {
	if len(groups) == 0 || len(fs) == 0 {
		return fs
	}
	out := make([]zapcore.Field, 0, len(groups)+len(fs))
	for _, g := range groups {
		out = append(out, zap.Namespace(g))
	}
	return append(out, fs...)
}

// fields converts slog attributes to zap fields.
func fields(attrs []slog.Attr) []zapcore.Field {
	fs := make([]zapcore.Field, 0, len(attrs))
	for _, a := range attrs {
		fs = appendAttr(fs, a)
	}
	return fs
}

// appendAttr appends a's zap field to fs. Like slog's own handlers, it
// drops empty attributes and empty groups, and writes the attributes of a
// group without a key inline. An error becomes the field zap.Error writes.
func appendAttr(fs []zapcore.Field, a slog.Attr) []zapcore.Field {
	a.Value = a.Value.Resolve()
	if a.Equal(slog.Attr{}) {
		return fs
	}
	v := a.Value
	switch v.Kind() {
	case slog.KindString:
		return append(fs, zap.String(a.Key, v.String()))
	case slog.KindInt64:
		return append(fs, zap.Int64(a.Key, v.Int64()))
	case slog.KindUint64:
		return append(fs, zap.Uint64(a.Key, v.Uint64()))
	case slog.KindFloat64:
		return append(fs, zap.Float64(a.Key, v.Float64()))
	case slog.KindBool:
		return append(fs, zap.Bool(a.Key, v.Bool()))
	case slog.KindDuration:
		return append(fs, zap.Duration(a.Key, v.Duration()))
	case slog.KindTime:
		return append(fs, zap.Time(a.Key, v.Time()))
	case slog.KindGroup:
		inner := fields(v.Group())
		switch {
		case len(inner) == 0:
			return fs
		case a.Key == "":
			return append(fs, inner...)
		}
		return append(fs, zap.Object(a.Key, object(inner)))
	}
	if err, ok := v.Any().(error); ok {
		return append(fs, zap.NamedError(a.Key, err))
	}
	return append(fs, zap.Any(a.Key, v.Any()))
}

// object writes fields as the members of a JSON object.
type object []zapcore.Field

func (o object) MarshalLogObject(enc zapcore.ObjectEncoder) error {
	for _, f := range o {
		f.AddTo(enc)
	}
	return nil
}

// zapLevel maps a slog level to zap's: each of slog's four levels to its
// namesake, a level between two to the lower one, and anything above error
// to error (a slog line never panics or exits).
func zapLevel(l slog.Level) zapcore.Level {
	switch {
	case l < slog.LevelInfo:
		return zapcore.DebugLevel
	case l < slog.LevelWarn:
		return zapcore.InfoLevel
	case l < slog.LevelError:
		return zapcore.WarnLevel
	}
	return zapcore.ErrorLevel
}

// stackFrom returns the stack of the calling goroutine as zap writes
// stacks (function, then tab, file:line; one frame after the other, without
// the outermost runtime frame), starting at the frame of pc, the code that
// logged. Without pc, or when pc
// is not on the stack, it starts at stackFrom's caller.
// frameworkPackages are the import path prefixes of the framework's own
// modules: core, its kinds and features.
var frameworkPackages = []string{
	core.ModulePath + "/core",
	core.ModulePath + "/kinds/",
	core.ModulePath + "/features/",
}

// framework reports whether the line was logged by the framework's own
// code. Such a line names what failed (a port in use, a hook that
// overran) and where in the definition; a stack of the framework's code
// would tell an operator nothing more, and makes an ordinary failure look
// like a crash. A kind that reports a panic adds the panic's stack itself.
func framework(pc uintptr) bool {
	if pc == 0 {
		return false
	}
	fn := runtime.FuncForPC(pc)
	if fn == nil {
		return false
	}
	if file, _ := fn.FileLine(pc); strings.HasSuffix(file, "_test.go") {
		return false // a test of the framework logs as a service does
	}
	name := fn.Name()
	for _, p := range frameworkPackages {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

func stackFrom(pc uintptr) string {
	pcs := make([]uintptr, 64)
	for {
		n := runtime.Callers(2, pcs)
		if n < len(pcs) {
			pcs = pcs[:n]
			break
		}
		pcs = make([]uintptr, 2*len(pcs))
	}
	if i := slices.Index(pcs, pc); i >= 0 {
		pcs = pcs[i:]
	}
	b := make([]byte, 0, 1024)
	frames := runtime.CallersFrames(pcs)
	// The last frame is runtime.main or runtime.goexit, which zap leaves
	// out as noise.
	for f, more := frames.Next(); more; f, more = frames.Next() {
		if len(b) > 0 {
			b = append(b, '\n')
		}
		b = append(b, f.Function...)
		b = append(b, "\n\t"...)
		b = append(b, f.File...)
		b = append(b, ':')
		b = strconv.AppendInt(b, int64(f.Line), 10)
	}
	return string(b)
}
