package core

import (
	"context"
	"io"
	"log/slog"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/mikros-go/mikros/core/definition"
)

// LogTimeFormat is how every Mikros log line writes its time: RFC 3339 in
// UTC, with milliseconds. The Rust implementation writes the same.
const LogTimeFormat = "2006-01-02T15:04:05.000Z07:00"

// LogFields returns the fields every log line of the service carries, in
// order: service.name, service.version, service.product, service.env,
// service.type (the kinds, comma-separated), then the [log.attributes]
// sorted by key. A feature that writes logs adds exactly these.
func LogFields(def *definition.Definition) []slog.Attr {
	attrs := []slog.Attr{
		slog.String("service.name", def.Name),
		slog.String("service.version", def.Version),
		slog.String("service.product", def.Product),
		slog.String("service.env", def.Env),
		slog.String("service.type", strings.Join(def.Kinds(), ",")),
	}
	keys := make([]string, 0, len(def.Log.Attributes))
	for k := range def.Log.Attributes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		attrs = append(attrs, slog.String(k, def.Log.Attributes[k]))
	}
	return attrs
}

// ParseLevel reads a [log] level: "debug", "info", "warn" or "error".
func ParseLevel(s string) slog.Level {
	switch s {
	case "debug":
		return slog.LevelDebug
	case "warn":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	}
	return slog.LevelInfo
}

// stdHandler is how core logs when no feature writes its logs: the standard
// library's handlers, set to the same layout as the logger feature (time,
// level, msg, then the service's fields).
func stdHandler(w io.Writer, format string, level slog.Leveler) slog.Handler {
	opts := &slog.HandlerOptions{
		Level: level,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if a.Value.Kind() == slog.KindDuration {
				return slog.String(a.Key, a.Value.Duration().String()) // "1.5s", as zap writes it
			}
			if len(groups) > 0 {
				return a
			}
			switch a.Key {
			case slog.TimeKey:
				if t, ok := a.Value.Any().(time.Time); ok {
					return slog.String(slog.TimeKey, t.UTC().Format(LogTimeFormat))
				}
			case slog.LevelKey:
				if l, ok := a.Value.Any().(slog.Level); ok {
					return slog.String(slog.LevelKey, strings.ToLower(l.String()))
				}
			}
			return a
		},
	}
	if format == "console" {
		return slog.NewTextHandler(w, opts)
	}
	return slog.NewJSONHandler(w, opts)
}

// logRoute is the handler every logger core hands out writes to in the
// end; the logger feature replaces it once it started.
type logRoute struct {
	base     atomic.Pointer[handlerBox]
	contexts atomic.Pointer[logContexts] // the started features that add fields from a context
}

// addContext makes every line logged with a context get lc's fields.
func (r *logRoute) addContext(lc LogContext) {
	var cs logContexts
	if old := r.contexts.Load(); old != nil {
		cs = append(cs, *old...)
	}
	cs = append(cs, lc)
	r.contexts.Store(&cs)
}

type handlerBox struct{ h slog.Handler }

func newLogRoute(h slog.Handler) *logRoute {
	r := &logRoute{}
	r.set(h)
	return r
}

func (r *logRoute) set(h slog.Handler) { r.base.Store(&handlerBox{h}) }

// routedHandler writes to whatever handler its route holds now, with the
// attributes and groups added by With applied on top.
type routedHandler struct {
	route *logRoute
	ops   []func(slog.Handler) slog.Handler
	cache atomic.Pointer[routedCache]
}

type routedCache struct {
	base *handlerBox
	h    slog.Handler
}

func (r *routedHandler) current() slog.Handler {
	base := r.route.base.Load()
	if c := r.cache.Load(); c != nil && c.base == base {
		return c.h
	}
	h := base.h
	for _, op := range r.ops {
		h = op(h)
	}
	r.cache.Store(&routedCache{base, h})
	return h
}

func (r *routedHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return r.current().Enabled(ctx, l)
}

func (r *routedHandler) Handle(ctx context.Context, rec slog.Record) error {
	if cs := r.route.contexts.Load(); cs != nil && ctx != nil {
		cs.add(ctx, &rec)
	}
	return r.current().Handle(ctx, rec)
}

func (r *routedHandler) with(op func(slog.Handler) slog.Handler) *routedHandler {
	ops := append(append([]func(slog.Handler) slog.Handler{}, r.ops...), op)
	return &routedHandler{route: r.route, ops: ops}
}

func (r *routedHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return r.with(func(h slog.Handler) slog.Handler { return h.WithAttrs(as) })
}

func (r *routedHandler) WithGroup(name string) slog.Handler {
	return r.with(func(h slog.Handler) slog.Handler { return h.WithGroup(name) })
}
