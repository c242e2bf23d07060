package logger_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
	"go.uber.org/zap"

	"github.com/mikros-go/mikros/core"
	"github.com/mikros-go/mikros/core/definition"
	"github.com/mikros-go/mikros/features/logger"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// identity is the top of every definition the tests parse.
const identity = `name    = "hello"
types   = ["script"]
version = "v1.2.3"
product = "demo"
`

func noEnv(string) (string, bool) { return "", false }

// parse parses identity followed by rest.
func parse(t *testing.T, rest string) *definition.Definition {
	t.Helper()
	def, err := definition.Parse("service.toml", []byte(identity+rest), definition.Options{LookupEnv: noEnv})
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return def
}

// setup returns what core would hand the feature for def.
func setup(def *definition.Definition, admin core.Mux) *core.Setup {
	return &core.Setup{Definition: def, Settings: def.Features["logger"].Settings, Admin: admin}
}

// started configures and starts a feature writing to out, for the
// definition identity+rest.
func started(t *testing.T, rest string, out io.Writer, admin core.Mux) *logger.Feature {
	t.Helper()
	f := logger.New(logger.WithOutput(out))
	if err := f.Configure(setup(parse(t, rest), admin)); err != nil {
		t.Fatalf("Configure: %v", err)
	}
	if err := f.Start(t.Context()); err != nil {
		t.Fatalf("Start: %v", err)
	}
	return f
}

// zapLogger returns the *zap.Logger f provides.
func zapLogger(t *testing.T, f *logger.Feature) *zap.Logger {
	t.Helper()
	for _, v := range f.Provide() {
		if l, ok := v.(*zap.Logger); ok {
			return l
		}
	}
	t.Fatal("Provide gave no *zap.Logger")
	return nil
}

var (
	// timeRE checks the time of a line: RFC 3339, UTC, milliseconds.
	timeRE      = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)
	jsonTimeRE  = regexp.MustCompile(`"time":"([^"]*)"`)
	consoleRE   = regexp.MustCompile(`(?m)^(\S+)\t`)
	callerRE    = regexp.MustCompile(`("caller":"|\t)([^"\t/]+/[a-z_]+\.go:\d+)`)
	stackRE     = regexp.MustCompile(`"stacktrace":"((?:[^"\\]|\\.)*)"`)
	stackTopRE  = regexp.MustCompile(`^github\.com/mikros-go/mikros/features/logger_test\.[A-Za-z]`)
	callerValRE = regexp.MustCompile(`^[^/]+/[a-z_]+_test\.go:\d+$`)
)

// normalise checks the values that change from run to run (time, caller,
// stack trace) and replaces them with placeholders.
func normalise(t *testing.T, out string) string {
	t.Helper()
	out = jsonTimeRE.ReplaceAllStringFunc(out, func(m string) string {
		if v := jsonTimeRE.FindStringSubmatch(m)[1]; !timeRE.MatchString(v) {
			t.Errorf("time %q is not RFC 3339 UTC with milliseconds", v)
		}
		return `"time":"<time>"`
	})
	if !strings.HasPrefix(out, "{") {
		out = consoleRE.ReplaceAllStringFunc(out, func(m string) string {
			if v := strings.TrimSuffix(m, "\t"); !timeRE.MatchString(v) {
				t.Errorf("time %q is not RFC 3339 UTC with milliseconds", v)
			}
			return "<time>\t"
		})
	}
	out = callerRE.ReplaceAllStringFunc(out, func(m string) string {
		sub := callerRE.FindStringSubmatch(m)
		if !callerValRE.MatchString(sub[2]) {
			t.Errorf("caller %q is not this test's file", sub[2])
		}
		return sub[1] + "<caller>"
	})
	return stackRE.ReplaceAllStringFunc(out, func(m string) string {
		var stack string
		if err := json.Unmarshal([]byte(stackRE.FindStringSubmatch(m)[0][len(`"stacktrace":`):]), &stack); err != nil {
			t.Errorf("stacktrace: %v", err)
		}
		if !stackTopRE.MatchString(stack) {
			t.Errorf("stacktrace does not start at the test:\n%s", stack)
		}
		return `"stacktrace":"<stack>"`
	})
}

// golden compares got with testdata/name.golden.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to write it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs:\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

func TestLayout(t *testing.T) {
	tests := []struct {
		name string
		def  string // after identity
		log  func(z *zap.Logger, s *slog.Logger)
	}{
		{
			name: "json-info",
			log: func(z *zap.Logger, _ *slog.Logger) {
				z.Info("user signed in", zap.String("user", "ada"), zap.Int("attempt", 2))
				z.Debug("not written at info")
			},
		},
		{
			name: "json-attributes",
			def: `
[log.attributes]
team   = "platform"
region = "eu-west-1"
`,
			log: func(z *zap.Logger, _ *slog.Logger) {
				z.Warn("disk almost full", zap.Float64("used", 0.93))
			},
		},
		{
			name: "json-debug",
			def: `
[log]
level = "debug"
`,
			log: func(z *zap.Logger, s *slog.Logger) {
				z.Debug("cache miss", zap.String("key", "user:1"), zap.Duration("took", 1500*time.Microsecond))
				s.Debug("cache miss", "key", "user:1", "took", 1500*time.Microsecond)
			},
		},
		{
			name: "json-error-stacktrace",
			log: func(z *zap.Logger, s *slog.Logger) {
				z.Warn("no stack below error")
				z.Error("request failed", zap.Error(errors.New("connection reset")))
				s.Error("request failed", "error", errors.New("connection reset"))
			},
		},
		{
			name: "json-stacktrace-level-warn",
			def: `
[features.logger]
stacktrace_level = "warn"
`,
			log: func(z *zap.Logger, s *slog.Logger) {
				z.Info("no stack below warn")
				z.Warn("slow query")
				s.Warn("slow query")
			},
		},
		{
			name: "json-caller",
			def: `
[features.logger]
caller = true
`,
			log: func(z *zap.Logger, s *slog.Logger) {
				z.Info("with caller")
				s.Info("with caller")
			},
		},
		{
			name: "json-slog-groups",
			log: func(_ *zap.Logger, s *slog.Logger) {
				s.With("request_id", "r-1").WithGroup("http").With("method", "GET").
					Info("request", "status", 200, slog.Group("timing", "total", 2*time.Second), slog.Group("empty"))
				s.WithGroup("unused").Info("no attributes, no group")
				s.Info("inline", slog.Group("", "a", 1, "b", true))
			},
		},
		{
			name: "json-sampling",
			def: `
[features.logger.sampling]
initial    = 2
thereafter = 0
`,
			log: func(z *zap.Logger, s *slog.Logger) {
				for i := range 5 {
					z.Info("repeated", zap.Int("i", i))
				}
				for i := range 5 {
					s.Info("repeated through slog", "i", i)
				}
			},
		},
		{
			name: "console",
			def: `
[log]
format = "console"
`,
			log: func(z *zap.Logger, s *slog.Logger) {
				z.Info("user signed in", zap.String("user", "ada"))
				s.Info("user signed in", "user", "ada")
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			f := started(t, tt.def, &out, nil)
			tt.log(zapLogger(t, f), slog.New(f.LogHandler()))
			golden(t, tt.name, normalise(t, out.String()))
		})
	}
}

// TestSlogMatchesZap logs the same line through zap and through the slog
// handler and expects the same bytes, once the time is normalised.
func TestSlogMatchesZap(t *testing.T) {
	when := time.Date(2026, 11, 25, 9, 30, 0, 123456789, time.FixedZone("CET", 3600))
	err := errors.New("connection reset")
	tests := []struct {
		name string
		zap  func(z *zap.Logger)
		slog func(s *slog.Logger)
	}{
		{
			name: "scalars",
			zap: func(z *zap.Logger) {
				z.Info("values", zap.String("s", "x"), zap.Int64("i", -3), zap.Uint64("u", 7), zap.Float64("f", 1.5),
					zap.Bool("b", true), zap.Duration("d", 90*time.Second), zap.Time("t", when))
			},
			slog: func(s *slog.Logger) {
				s.Info("values", "s", "x", "i", -3, slog.Uint64("u", 7), "f", 1.5, "b", true, "d", 90*time.Second, "t", when)
			},
		},
		{
			name: "error",
			zap:  func(z *zap.Logger) { z.Warn("failed", zap.Error(err)) },
			slog: func(s *slog.Logger) { s.Warn("failed", "error", err) },
		},
		{
			name: "group",
			zap: func(z *zap.Logger) {
				z.Info("request", zap.Dict("http", zap.String("method", "GET"), zap.Int("status", 200)))
			},
			slog: func(s *slog.Logger) {
				s.Info("request", slog.Group("http", "method", "GET", "status", 200))
			},
		},
		{
			name: "with",
			zap: func(z *zap.Logger) {
				z.With(zap.String("request_id", "r-1"), zap.Namespace("db")).Info("query", zap.Int("rows", 3))
			},
			slog: func(s *slog.Logger) {
				s.With("request_id", "r-1").WithGroup("db").Info("query", "rows", 3)
			},
		},
		{
			name: "any",
			zap:  func(z *zap.Logger) { z.Info("any", zap.Any("tags", []string{"a", "b"})) },
			slog: func(s *slog.Logger) { s.Info("any", "tags", []string{"a", "b"}) },
		},
		{
			name: "error-level",
			zap:  func(z *zap.Logger) { z.Error("broken") },
			slog: func(s *slog.Logger) { s.Error("broken") },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var zapOut, slogOut bytes.Buffer
			tt.zap(zapLogger(t, started(t, "", &zapOut, nil)))
			tt.slog(slog.New(started(t, "", &slogOut, nil).LogHandler()))
			z, s := normalise(t, zapOut.String()), normalise(t, slogOut.String())
			if z != s {
				t.Errorf("lines differ:\nzap:  %s\nslog: %s", z, s)
			}
			if strings.Count(z, "\n") != 1 {
				t.Errorf("want one line, got:\n%s", z)
			}
		})
	}
}

func TestLevelEndpoint(t *testing.T) {
	defer goleak.VerifyNone(t)

	var out bytes.Buffer
	mux := http.NewServeMux()
	f := started(t, "", &out, mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	z, s := zapLogger(t, f), slog.New(f.LogHandler())

	call := func(method, contentType, body string) string {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), method, srv.URL+"/loglevel", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s /loglevel: %s: %s", method, resp.Status, b)
		}
		return strings.TrimSpace(string(b))
	}
	logBoth := func(msg string) {
		z.Debug(msg)
		s.Debug(msg)
	}

	const form = "application/x-www-form-urlencoded"
	steps := []struct {
		method, contentType, body, reply string
		written                          bool
	}{
		{http.MethodGet, "", "", `{"level":"info"}`, false},
		{http.MethodPut, "application/json", `{"level":"debug"}`, `{"level":"debug"}`, true},
		{http.MethodGet, "", "", `{"level":"debug"}`, true},
		{http.MethodPut, form, "level=warn", `{"level":"warn"}`, false},
		{http.MethodPut, "", `{"level":"debug"}`, `{"level":"debug"}`, true},
	}
	for i, st := range steps {
		if got := call(st.method, st.contentType, st.body); got != st.reply {
			t.Errorf("step %d: %s /loglevel = %s, want %s", i, st.method, got, st.reply)
		}
		out.Reset()
		logBoth("debug line")
		want := 0
		if st.written {
			want = 2 // one through zap, one through slog
		}
		if n := strings.Count(out.String(), `"msg":"debug line"`); n != want {
			t.Errorf("step %d: %d debug lines written, want %d", i, n, want)
		}
	}
}

func TestConfigureProblems(t *testing.T) {
	tests := []struct {
		name string
		def  string // after identity, whose last line is 4
		want []definition.Problem
	}{
		{
			name: "unknown key",
			def: `
[features.logger]
enabled = true
levle   = "debug"
`,
			want: []definition.Problem{{File: "service.toml", Line: 8, Col: 1, Path: "features.logger", Message: `unknown key "levle"`}},
		},
		{
			name: "stacktrace level",
			def: `
[features.logger]
enabled          = true
stacktrace_level = "fatal"
`,
			want: []definition.Problem{{File: "service.toml", Line: 8, Col: 1, Path: "features.logger.stacktrace_level", Message: `"fatal" is not a level (debug, info, warn or error)`}},
		},
		{
			name: "stacktrace level type",
			def: `
[features.logger]
stacktrace_level = 3
`,
			want: []definition.Problem{{File: "service.toml", Line: 7, Col: 1, Path: "features.logger.stacktrace_level", Message: "must be a string, not an integer (3)"}},
		},
		{
			name: "sampling",
			def: `
[features.logger]
caller = "yes"

[features.logger.sampling]
initial    = 0
thereafter = -1
`,
			want: []definition.Problem{
				{File: "service.toml", Line: 7, Col: 1, Path: "features.logger.caller", Message: `must be a boolean, not a string ("yes")`},
				{File: "service.toml", Line: 10, Col: 1, Path: "features.logger.sampling.initial", Message: "must be at least 1, not 0"},
				{File: "service.toml", Line: 11, Col: 1, Path: "features.logger.sampling.thereafter", Message: "must be 0 (drop the rest) or more, not -1"},
			},
		},
		{
			name: "valid",
			def: `
[features.logger]
enabled          = true
caller           = true
stacktrace_level = "warn"
sampling         = { initial = 10, thereafter = 0 }
`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := logger.New().Configure(setup(parse(t, tt.def), nil))
			var got definition.Problems
			if err != nil && !errors.As(err, &got) {
				t.Fatalf("Configure = %v, want definition.Problems", err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("Configure = %v, want %v", err, definition.Problems(tt.want))
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("problem %d:\ngot:  %#v\nwant: %#v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestStartBeforeConfigure(t *testing.T) {
	f := logger.New()
	if err := f.Start(t.Context()); err == nil {
		t.Error("Start before Configure succeeded")
	}
	if f.Provide() != nil || f.LogHandler() != nil {
		t.Error("an unstarted feature provides values")
	}
}

// TestStackMatchesZap checks that a stack trace written through slog has
// the frames and the format of one written through zap.
func TestStackMatchesZap(t *testing.T) {
	var out bytes.Buffer
	f := started(t, "", &out, nil)
	zapLogger(t, f).Error("boom")
	slog.New(f.LogHandler()).Error("boom")

	var stacks []string
	for line := range strings.Lines(out.String()) {
		var v struct{ Stacktrace string }
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			t.Fatal(err)
		}
		// The two calls are on different lines of this function.
		first, rest, _ := strings.Cut(v.Stacktrace, "\n")
		file, _, _ := strings.Cut(rest, ":")
		_, rest, _ = strings.Cut(rest, "\n")
		stacks = append(stacks, first+"\n"+file+":N\n"+rest)
	}
	if len(stacks) != 2 {
		t.Fatalf("want 2 lines, got:\n%s", out.String())
	}
	if !strings.HasPrefix(stacks[0], "github.com/mikros-go/mikros/features/logger_test.TestStackMatchesZap\n") {
		t.Errorf("zap's stack does not start at the test:\n%s", stacks[0])
	}
	if stacks[0] != stacks[1] {
		t.Errorf("stacks differ:\nzap:\n%s\nslog:\n%s", stacks[0], stacks[1])
	}
}
