package main

import (
	"io"
	"strings"
	"testing"

	"github.com/mikros-go/mikros/core"
	"github.com/mikros-go/mikros/core/servicetest"
	mgrpc "github.com/mikros-go/mikros/kinds/grpc"
	mhttp "github.com/mikros-go/mikros/kinds/http"
)

// greeterWithEnv is the greeter with the environment field its doc comment
// shows how to add.
type greeterWithEnv struct {
	greeter

	Env struct {
		Greeting string `env:"GREETING" envDefault:"Hello"`
	} `mikros:"env"`
}

// uncomment turns the commented line "# key = ..." of [table] into a
// setting, failing the test when there is none.
func uncomment(t *testing.T, text, table, key string) string {
	t.Helper()
	lines := strings.Split(text, "\n")
	in := false
	for i, line := range lines {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "[") {
			in = trimmed == "["+table+"]"
			continue
		}
		rest, ok := strings.CutPrefix(trimmed, "# ")
		if name, _, isKey := strings.Cut(rest, "="); in && ok && isKey && strings.TrimSpace(name) == key {
			lines[i] = rest
			return strings.Join(lines, "\n")
		}
	}
	t.Fatalf("service.toml has no commented %s in [%s]", key, table)
	return ""
}

// check validates def for svc as the greeter's binary would with
// MIKROS_CHECK=1, in an environment holding env only.
func check(svc any, def string, env map[string]string) error {
	_, err := core.Check(svc,
		core.WithDefinition("service.toml", []byte(def)),
		core.WithKinds(mgrpc.New(), mhttp.New()),
		core.WithFeatures(features()...),
		core.WithLogOutput(io.Discard),
		servicetest.Env(env))
	return err
}

// TestServiceTOMLSettings checks that the settings service.toml shows are
// valid: a disabled feature's table is not checked at boot, so each is
// checked here enabled, as written and with its commented settings on.
func TestServiceTOMLSettings(t *testing.T) {
	for _, tc := range []struct {
		name      string
		enable    []string
		uncomment [][2]string // table, key
		svc       any
	}{
		{name: "as written", svc: &greeter{}},
		{name: "env", enable: []string{"env"}, svc: &greeter{}},
		{name: "env with a field", enable: []string{"env"}, uncomment: [][2]string{{"features.env", "optional"}}, svc: &greeterWithEnv{}},
		{name: "metrics", enable: []string{"metrics"}, svc: &greeter{}},
		{name: "metrics with buckets", enable: []string{"metrics"}, uncomment: [][2]string{{"features.metrics", "buckets"}}, svc: &greeter{}},
		{name: "tracing", enable: []string{"tracing"}, svc: &greeter{}},
		{name: "tracing sampling a ratio", enable: []string{"tracing"},
			uncomment: [][2]string{{"features.tracing", "sampler"}, {"features.tracing", "ratio"}}, svc: &greeter{}},
		{name: "all", enable: []string{"env", "metrics", "tracing"}, svc: &greeter{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var edits []edit
			for _, f := range tc.enable {
				edits = append(edits, enable(f))
			}
			def := definition(t, edits...)
			for _, u := range tc.uncomment {
				def = uncomment(t, def, u[0], u[1])
			}
			if err := check(tc.svc, def, nil); err != nil {
				t.Errorf("service.toml is not valid:\n%v\n\n%s", err, def)
			}
		})
	}
}

// TestEnvField runs the greeter with the environment field its doc comment
// shows: it needs [features.env] enabled (the boot fails naming the field
// otherwise), and then gets the declared variable.
func TestEnvField(t *testing.T) {
	err := check(&greeterWithEnv{}, definition(t), nil)
	if err == nil || !strings.Contains(err.Error(), "greeterWithEnv.Env") || !strings.Contains(err.Error(), "[features.env]") {
		t.Errorf("an env field with the feature disabled: error %v, want one that names the field and the feature", err)
	}

	def := uncomment(t, definition(t, enable("env")), "features.env", "optional")
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{nil, "Hello"},
		{map[string]string{"GREETING": "Hi"}, "Hi"},
	} {
		svc := &greeterWithEnv{}
		s := servicetest.Start(t, svc, def, servicetest.Env(tc.env),
			core.WithKinds(mgrpc.New(mgrpc.WithListener(listen(t))), mhttp.New(mhttp.WithListener(listen(t)))),
			core.WithFeatures(features()...))
		if err := s.Err(); err != nil {
			t.Fatal(err)
		}
		if svc.Env.Greeting != tc.want {
			t.Errorf("GREETING %v: the field holds %q, want %q", tc.env, svc.Env.Greeting, tc.want)
		}
		if err := s.Stop(); err != nil {
			t.Fatal(err)
		}
	}
}
