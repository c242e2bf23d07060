package core

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mikros-go/mikros/core/definition"
)

// Redacted is what a value from the environment reads as in every message
// of a service: its log lines, its errors and problems, /readyz.
const Redacted = "[redacted]"

// minSecretLen is the length below which a value from the environment is
// not looked for in messages: shorter ones would erase digits and common
// words from every line, and no secret is that short.
const minSecretLen = 4

// secrets holds the values the service read from its environment, and
// takes them out of text. Core gives every module an environment that
// records what it reads (Setup.LookupEnv), and every message leaves
// through core: the log lines through its handler, errors through Run's
// error, problems through configure, readiness through /readyz. So a
// value from the environment never reaches output, whichever module put
// it in a message and however; no message needs to take care of it.
//
// The framework's own variables (MIKROS_*: ports, the deployment's name,
// the config path) are settings, not secrets, and are not recorded.
type secrets struct {
	mu     sync.RWMutex
	values []string // longest first, so that a value inside another is not cut first
}

// lookup returns a LookupEnv that records, through s, each value it
// returns.
func (s *secrets) lookup(next func(string) (string, bool)) func(string) (string, bool) {
	return func(name string) (string, bool) {
		v, ok := next(name)
		if ok && !strings.HasPrefix(name, "MIKROS_") {
			s.add(v)
		}
		return v, ok
	}
}

// add records v as a secret, in every form a message may write it in: as
// it is; quoted as Go (%q) and JSON quote it; escaped as in a URL's path
// or query; in upper and lower case; and, when it reads as a number or a
// duration, as Go writes that number or duration back (a setting decoded
// from "0042" is printed 42, from "90m" 1h30m0s).
func (s *secrets) add(v string) {
	if len(v) < minSecretLen {
		return
	}
	forms := []string{v, strings.Trim(strconv.Quote(v), `"`),
		url.PathEscape(v), url.QueryEscape(v), strings.ToUpper(v), strings.ToLower(v)}
	if j, err := json.Marshal(v); err == nil {
		forms = append(forms, strings.Trim(string(j), `"`))
	}
	t := strings.TrimSpace(v)
	if i, err := strconv.ParseInt(t, 0, 64); err == nil {
		forms = append(forms, strconv.FormatInt(i, 10))
	}
	if u, err := strconv.ParseUint(t, 0, 64); err == nil {
		forms = append(forms, strconv.FormatUint(u, 10))
	}
	if f, err := strconv.ParseFloat(t, 64); err == nil {
		forms = append(forms, strconv.FormatFloat(f, 'g', -1, 64), strconv.FormatFloat(f, 'f', -1, 64))
	}
	if d, err := time.ParseDuration(t); err == nil {
		forms = append(forms, d.String())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range forms {
		if len(f) >= minSecretLen && !slices.Contains(s.values, f) {
			s.values = append(s.values, f)
		}
	}
	slices.SortFunc(s.values, func(a, b string) int { return len(b) - len(a) })
}

// redact returns text with every recorded value replaced by [Redacted].
func (s *secrets) redact(text string) string {
	if s == nil {
		return text
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, v := range s.values {
		if strings.Contains(text, v) {
			text = strings.ReplaceAll(text, v, Redacted)
		}
	}
	return text
}

// any reports whether a value is recorded.
func (s *secrets) any() bool {
	if s == nil {
		return false
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.values) > 0
}

// attr returns a with every recorded value taken out of its text, and
// whether anything was. A number or duration that reads as a recorded
// value, and any other value (an error, a slice) whose text mentions one,
// becomes its redacted text; a bool or a time is left as it is.
func (s *secrets) attr(a slog.Attr) (slog.Attr, bool) {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		if t := v.String(); s.redact(t) != t {
			return slog.String(a.Key, s.redact(t)), true
		}
	case slog.KindAny, slog.KindInt64, slog.KindUint64, slog.KindFloat64, slog.KindDuration:
		// A number or a duration read from the environment is a secret
		// as much as its text: it is replaced when it is one.
		t := v.String()
		if v.Kind() == slog.KindAny {
			t = fmt.Sprint(v.Any())
		}
		if r := s.redact(t); r != t {
			return slog.String(a.Key, r), true
		}
	case slog.KindGroup:
		if out, changed := s.list(v.Group()); changed {
			return slog.Attr{Key: a.Key, Value: slog.GroupValue(out...)}, true
		}
	}
	return a, false
}

// list returns as redacted and whether anything in it was; as itself when
// nothing was.
func (s *secrets) list(as []slog.Attr) ([]slog.Attr, bool) {
	var out []slog.Attr
	for i, a := range as {
		r, changed := s.attr(a)
		if changed && out == nil {
			out = slices.Clone(as)
		}
		if out != nil {
			out[i] = r
		}
	}
	if out == nil {
		return as, false
	}
	return out, true
}

// attrs returns as redacted, or as itself when nothing in it was.
func (s *secrets) attrs(as []slog.Attr) []slog.Attr {
	if !s.any() {
		return as
	}
	out, _ := s.list(as)
	return out
}

// record returns rec with its message and attributes redacted.
func (s *secrets) record(rec slog.Record) slog.Record {
	if !s.any() {
		return rec
	}
	msg := s.redact(rec.Message)
	attrs := false // whether an attribute has something to redact
	rec.Attrs(func(a slog.Attr) bool {
		_, attrs = s.attr(a)
		return !attrs
	})
	if !attrs && msg == rec.Message {
		return rec // the common case: nothing to copy
	}
	as := make([]slog.Attr, 0, rec.NumAttrs())
	rec.Attrs(func(a slog.Attr) bool {
		as = append(as, a)
		return true
	})
	as, _ = s.list(as)
	out := slog.NewRecord(rec.Time, rec.Level, msg, rec.PC)
	out.AddAttrs(as...)
	return out
}

// err returns err with its text redacted; errors.Is and errors.As still
// see through it.
func (s *secrets) err(err error) error {
	if err == nil || !s.any() {
		return err
	}
	if text := s.redact(err.Error()); text != err.Error() {
		return &redactedError{text: text, err: err}
	}
	return err
}

// redactedError is an error whose text had values from the environment
// taken out.
type redactedError struct {
	text string
	err  error
}

func (e *redactedError) Error() string { return e.text }
func (e *redactedError) Unwrap() error { return e.err }

// problems redacts, in place, the message of every problem.
func (s *secrets) problems(ps definition.Problems) {
	if !s.any() {
		return
	}
	for i := range ps {
		ps[i].Message = s.redact(ps[i].Message)
	}
}

// redactingHandler is a handler whose records are redacted before next
// sees them.
type redactingHandler struct {
	next    slog.Handler
	secrets *secrets
}

func (h redactingHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.next.Enabled(ctx, l)
}

func (h redactingHandler) Handle(ctx context.Context, rec slog.Record) error {
	return h.next.Handle(ctx, h.secrets.record(rec))
}

func (h redactingHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return redactingHandler{h.next.WithAttrs(h.secrets.attrs(as)), h.secrets}
}

func (h redactingHandler) WithGroup(name string) slog.Handler {
	return redactingHandler{h.next.WithGroup(name), h.secrets}
}
