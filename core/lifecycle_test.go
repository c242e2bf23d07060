package core_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/mikros-go/mikros/core"
	"github.com/mikros-go/mikros/core/definition"
	"github.com/mikros-go/mikros/core/servicetest"
)

func TestMain(m *testing.M) {
	if mode := os.Getenv("CORE_TEST_MAIN"); mode != "" {
		mainProcess(mode) // the test binary plays a service; see signals_test.go
		return
	}
	goleak.VerifyTestMain(m)
}

const identity = `
name    = "svc"
version = "v1.0.0"
product = "demo"
`

func def(types string, rest ...string) string {
	return identity + "types = " + types + "\n" + strings.Join(rest, "\n")
}

func TestLifecycleOrder(t *testing.T) {
	tests := []struct {
		name     string
		features func(j *journal) []core.Feature
		kinds    func(j *journal) []core.Kind
		types    string
		enable   []string
		svc      func(j *journal) any
		want     []string
		wantCode int
	}{
		{
			name: "features by dependency then name, kinds in types order, reverse stop",
			features: func(j *journal) []core.Feature {
				return []core.Feature{
					&fakeFeature{name: "tracing", deps: []string{"logger"}, j: j},
					&fakeFeature{name: "metrics", j: j},
					&fakeFeature{name: "logger", j: j},
				}
			},
			kinds: func(j *journal) []core.Kind {
				return []core.Kind{&fakeKind{name: "b", j: j}, &fakeKind{name: "a", j: j}}
			},
			types:  `["b", "a"]`,
			enable: []string{"tracing", "metrics", "logger"},
			svc:    func(j *journal) any { return &hooked{j: j} },
			want: []string{
				"start logger", "start metrics", "start tracing",
				"start b", "start a", "OnStart",
				"run a", "run b",
				"stop a", "stop b", "OnStop",
				"stop tracing", "stop metrics", "stop logger",
			},
		},
		{
			name: "a failing feature start stops only what started",
			features: func(j *journal) []core.Feature {
				return []core.Feature{
					&fakeFeature{name: "a", j: j},
					&fakeFeature{name: "b", j: j, failStart: errBoom},
					&fakeFeature{name: "c", j: j},
				}
			},
			kinds:    func(j *journal) []core.Kind { return []core.Kind{&fakeKind{name: "k", j: j}} },
			types:    `["k"]`,
			enable:   []string{"a", "b", "c"},
			svc:      func(j *journal) any { return &hooked{j: j} },
			want:     []string{"start a", "start b", "stop a"},
			wantCode: core.ExitFailure,
		},
		{
			name:     "a failing kind start rolls back kinds and features, without OnStop",
			features: func(j *journal) []core.Feature { return []core.Feature{&fakeFeature{name: "f", j: j}} },
			kinds: func(j *journal) []core.Kind {
				return []core.Kind{&fakeKind{name: "one", j: j}, &fakeKind{name: "two", j: j, failStart: errBoom}, &fakeKind{name: "three", j: j}}
			},
			types:    `["one", "two", "three"]`,
			enable:   []string{"f"},
			svc:      func(j *journal) any { return &hooked{j: j} },
			want:     []string{"start f", "start one", "start two", "stop one", "stop f"},
			wantCode: core.ExitFailure,
		},
		{
			name:     "a failing OnStart stops the kinds and features but does not run OnStop",
			features: func(j *journal) []core.Feature { return []core.Feature{&fakeFeature{name: "f", j: j}} },
			kinds:    func(j *journal) []core.Kind { return []core.Kind{&fakeKind{name: "k", j: j}} },
			types:    `["k"]`,
			enable:   []string{"f"},
			svc:      func(j *journal) any { return &hooked{j: j, failStart: errBoom} },
			want:     []string{"start f", "start k", "OnStart", "stop k", "stop f"},
			wantCode: core.ExitFailure,
		},
		{
			name:     "a disabled feature never runs",
			features: func(j *journal) []core.Feature { return []core.Feature{&fakeFeature{name: "off", j: j}} },
			kinds:    func(j *journal) []core.Kind { return []core.Kind{&fakeKind{name: "k", j: j, finish: true}} },
			types:    `["k"]`,
			svc:      func(j *journal) any { return &hooked{j: j} },
			want:     []string{"start k", "OnStart", "run k", "stop k", "OnStop"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			j := &journal{}
			var tables []string
			for _, f := range tt.enable {
				tables = append(tables, fmt.Sprintf("[features.%s]\nenabled = true", f))
			}
			svc := servicetest.Start(t, tt.svc(j), def(tt.types, tables...),
				core.WithFeatures(tt.features(j)...), core.WithKinds(tt.kinds(j)...))
			err := svc.Stop()
			if got := core.ExitCode(err); got != tt.wantCode {
				t.Fatalf("exit code %d, want %d (err: %v)", got, tt.wantCode, err)
			}
			// Runs are concurrent with each other and with the stops
			// that end them: compare them as a set, the rest in order.
			gotRuns, got := splitRuns(j.list())
			wantRuns, want := splitRuns(tt.want)
			if !slices.Equal(got, want) || !slices.Equal(gotRuns, wantRuns) {
				t.Errorf("hooks ran in this order:\n  %s\nwant:\n  %s", strings.Join(j.list(), "\n  "), strings.Join(tt.want, "\n  "))
			}
		})
	}
}

// splitRuns separates the "run" entries, sorted, from the others.
func splitRuns(entries []string) (runs, rest []string) {
	for _, e := range entries {
		if strings.HasPrefix(e, "run ") {
			runs = append(runs, e)
		} else {
			rest = append(rest, e)
		}
	}
	slices.Sort(runs)
	return runs, rest
}

func TestStartDeadlineAbandonsAHangingHook(t *testing.T) {
	j := &journal{}
	release := make(chan struct{})
	defer close(release)
	begin := time.Now()
	svc := servicetest.Start(t, nil, def(`["k"]`, "[lifecycle]\nstart_timeout = \"100ms\"\nstop_timeout = \"1s\"", "[features.slow]\nenabled = true"),
		core.WithFeatures(&fakeFeature{name: "slow", j: j, hangStart: release}),
		core.WithKinds(&fakeKind{name: "k", j: j}))
	err := svc.Wait()
	if core.ExitCode(err) != core.ExitFailure {
		t.Fatalf("exit code %d, want 1: %v", core.ExitCode(err), err)
	}
	if took := time.Since(begin); took > 5*time.Second {
		t.Errorf("took %s; the start budget is 100ms", took)
	}
	if !strings.Contains(err.Error(), "feature slow start: did not return within its deadline") {
		t.Errorf("error does not name the slow hook: %v", err)
	}
	if !strings.Contains(svc.Logs(), "feature slow start: did not return within its deadline") {
		t.Errorf("log does not name the slow hook:\n%s", svc.Logs())
	}
}

func TestStopBudgetIsKept(t *testing.T) {
	t.Run("a kind's Stop that takes its whole deadline leaves the reserve to the rest", func(t *testing.T) {
		j := &journal{}
		svc := servicetest.Start(t, &hooked{j: j}, def(`["k"]`, "[lifecycle]\nstop_timeout = \"500ms\"", "[features.f]\nenabled = true"),
			core.WithFeatures(&fakeFeature{name: "f", j: j}),
			core.WithKinds(&fakeKind{name: "k", j: j, hangStop: true}))
		err := svc.Stop()
		if err == nil || !strings.Contains(err.Error(), "kind k stop: context deadline exceeded") {
			t.Errorf("the kind's own error was not kept: %v", err)
		}
		if got := j.list(); !slices.Contains(got, "OnStop") || !slices.Contains(got, "stop f") {
			t.Errorf("OnStop and the feature did not run: %v", got)
		}
	})
	t.Run("a Stop that ignores its deadline is abandoned and the process still exits within budget", func(t *testing.T) {
		j := &journal{}
		release := make(chan struct{})
		defer close(release)
		svc := servicetest.Start(t, &hooked{j: j}, def(`["k"]`, "[lifecycle]\nstop_timeout = \"200ms\"", "[features.f]\nenabled = true"),
			core.WithFeatures(&fakeFeature{name: "f", j: j}),
			core.WithKinds(&fakeKind{name: "k", j: j, deafStop: release}))
		begin := time.Now()
		err := svc.Stop()
		if took := time.Since(begin); took > 5*time.Second {
			t.Errorf("shutdown took %s; the budget is 200ms", took)
		}
		if err == nil || !strings.Contains(err.Error(), "kind k stop: did not return within its deadline") {
			t.Errorf("error does not name the kind's Stop: %v", err)
		}
		if got := j.list(); !slices.Contains(got, "OnStop") || !slices.Contains(got, "stop f") {
			t.Errorf("OnStop and the feature did not run after the kind overran: %v", got)
		}
		if core.ExitCode(err) != core.ExitFailure {
			t.Errorf("exit code %d, want 1", core.ExitCode(err))
		}
	})
}

func TestStopReserve(t *testing.T) {
	for budget, want := range map[time.Duration]time.Duration{
		time.Second: 200 * time.Millisecond, 30 * time.Second: 5 * time.Second, time.Minute: 5 * time.Second,
	} {
		if got := core.StopReserve(budget); got != want {
			t.Errorf("StopReserve(%s) = %s, want %s", budget, got, want)
		}
	}
}

func TestErrorsAreJoined(t *testing.T) {
	j := &journal{}
	stopA, stopB := errors.New("a failed to stop"), errors.New("b failed to stop")
	svc := servicetest.Start(t, nil, def(`["k"]`, "[features.a]\nenabled = true", "[features.b]\nenabled = true"),
		core.WithFeatures(&fakeFeature{name: "a", j: j, failStop: stopA}, &fakeFeature{name: "b", j: j, failStop: stopB}),
		core.WithKinds(&fakeKind{name: "k", j: j, finish: true, runErr: errBoom}))
	err := svc.Wait()
	for _, want := range []error{stopA, stopB, errBoom} {
		if !errors.Is(err, want) {
			t.Errorf("error does not wrap %q: %v", want, err)
		}
	}
}

func TestPanicInRunStopsCleanly(t *testing.T) {
	j := &journal{}
	svc := servicetest.Start(t, &hooked{j: j}, def(`["k"]`, "[features.f]\nenabled = true"),
		core.WithFeatures(&fakeFeature{name: "f", j: j}),
		core.WithKinds(&fakeKind{name: "k", j: j, panicRun: true}))
	err := svc.Wait()
	if core.ExitCode(err) != core.ExitFailure || !strings.Contains(err.Error(), "panic: boom") {
		t.Fatalf("got %v, want a panic error with exit 1", err)
	}
	if got := j.list(); !slices.Contains(got, "OnStop") || !slices.Contains(got, "stop f") {
		t.Errorf("stop hooks did not run after the panic: %v", got)
	}
	if !strings.Contains(svc.Logs(), `"stack":"goroutine`) {
		t.Errorf("panic logged without its stack:\n%s", svc.Logs())
	}
}

func TestDrainDelayKeepsServingNotReady(t *testing.T) {
	j := &journal{}
	k := &fakeKind{name: "k", j: j}
	svc := servicetest.Start(t, nil, def(`["k"]`, "[lifecycle]\ndrain_delay = \"300ms\""), core.WithKinds(k))
	if got := get(t, svc.AdminURL()+"/readyz"); got != 200 {
		t.Fatalf("/readyz = %d before shutdown, want 200", got)
	}
	done := make(chan error, 1)
	go func() { done <- svc.Stop() }()
	if !svc.WaitState(core.Draining, 2*time.Second) {
		t.Fatal("service never began draining")
	}
	if got := get(t, svc.AdminURL()+"/readyz"); got != 503 {
		t.Errorf("/readyz = %d while draining, want 503", got)
	}
	if got := get(t, svc.AdminURL()+"/livez"); got != 200 {
		t.Errorf("/livez = %d while draining, want 200", got)
	}
	if slices.Contains(j.list(), "stop k") {
		t.Errorf("kind stopped before the drain delay ended")
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func get(t *testing.T, url string) int {
	t.Helper()
	client := &http.Client{Timeout: 2 * time.Second}
	resp, err := client.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	client.CloseIdleConnections()
	return resp.StatusCode
}

func TestAdminProbesFollowTheState(t *testing.T) {
	svc := servicetest.Start(t, nil, def(`["k"]`), core.WithKinds(&fakeKind{name: "k", j: &journal{}}))
	for path, want := range map[string]int{"/livez": 200, "/readyz": 200, "/nope": 404} {
		if got := get(t, svc.AdminURL()+path); got != want {
			t.Errorf("GET %s = %d, want %d", path, got, want)
		}
	}
}

func TestPortInUseFailsTheBoot(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	lk := listenerKind{&fakeKind{name: "k", j: &journal{}}}
	_ = lk
	err = core.Run(context.Background(), nil,
		core.WithDefinition("service.toml", []byte(def(`["k"]`, "[admin]\naddress = \"127.0.0.1\"", fmt.Sprintf("port = %d", port)))),
		core.WithKinds(&fakeKind{name: "k", j: &journal{}}),
		core.WithLogOutput(io.Discard),
		servicetest.Env(nil))
	if core.ExitCode(err) != core.ExitFailure || !strings.Contains(err.Error(), fmt.Sprint(port)) {
		t.Fatalf("got %v (exit %d), want exit 1 naming port %d", err, core.ExitCode(err), port)
	}
}

func TestConfigureProblems(t *testing.T) {
	type settings struct {
		Size int `toml:"size"`
	}
	type withSettings struct {
		S settings `mikros:"settings"`
	}
	tests := []struct {
		name  string
		svc   any
		text  string
		kinds []core.Kind
		feats []core.Feature
		want  []string
	}{
		{
			name: "feature enabled but not linked",
			text: def(`["k"]`, "[features.tracing]\nenabled = true", "[features.ratelimit]\nenabled = true"),
			want: []string{
				"service.toml:8:11: features.ratelimit: enabled, but this binary does not include the ratelimit feature",
				"service.toml:6:11: features.tracing: enabled, but this binary does not include the tracing feature (go get github.com/mikros-go/mikros/features/tracing",
			},
		},
		{
			name:  "unknown key in a feature's table, and in a kind's",
			text:  def(`["k"]`, "[features.f]\nenabled = true\nlevle = \"x\"", "[services.k]\nspeed = 1"),
			feats: []core.Feature{&fakeFeature{name: "f"}},
			want: []string{
				`service.toml:8:1: features.f: unknown key "levle" (did you mean "level"?)`,
				`service.toml:10:1: services.k: unknown key "speed"`,
			},
		},
		{
			name:  "missing dependency",
			text:  def(`["k"]`, "[features.f]\nenabled = true"),
			feats: []core.Feature{&fakeFeature{name: "f", deps: []string{"g"}}, &fakeFeature{name: "g"}},
			want:  []string{"features.f: needs the g feature; enable it with [features.g] enabled = true"},
		},
		{
			name:  "dependency cycle",
			text:  def(`["k"]`, "[features.f]\nenabled = true", "[features.g]\nenabled = true"),
			feats: []core.Feature{&fakeFeature{name: "f", deps: []string{"g"}}, &fakeFeature{name: "g", deps: []string{"f"}}},
			want:  []string{"features f, g depend on each other in a cycle"},
		},
		{
			name: "a port on a kind that does not listen",
			text: def(`["k:8080"]`),
			want: []string{"service.toml:5:1: types: kind k does not listen on a port"},
		},
		{
			name:  "two kinds on one port",
			text:  def(`["l1:9000", "l2:9000"]`),
			kinds: []core.Kind{listenerKind{&fakeKind{name: "l1"}}, listenerKind{&fakeKind{name: "l2"}}},
			want:  []string{"types: port 9000 is also the port of kind l1"},
		},
		{
			name: "service settings without a field to hold them",
			svc:  &struct{}{},
			text: def(`["k"]`, "[service]\nsize = 1"),
			want: []string{"service.toml:6:2: service: the service has no field tagged mikros:\"settings\""},
		},
		{
			name: "service settings of the wrong type",
			svc:  &withSettings{},
			text: def(`["k"]`, "[service]\nsize = \"big\""),
			want: []string{`service.toml:7:1: service.size: must be an integer, not a string ("big")`},
		},
		{
			name: "definition and module problems together",
			text: def(`["k"]`, "version2 = 1", "[features.nope]\nenabled = true"),
			want: []string{`unknown key "version2"`, "features.nope: enabled"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			kinds := tt.kinds
			if kinds == nil {
				kinds = []core.Kind{&fakeKind{name: "k"}}
			}
			err := core.Run(context.Background(), tt.svc,
				core.WithDefinition("service.toml", []byte(tt.text)),
				core.WithKinds(kinds...), core.WithFeatures(tt.feats...),
				core.WithLogOutput(io.Discard), servicetest.Env(nil))
			if core.ExitCode(err) != core.ExitInvalid {
				t.Fatalf("exit code %d, want 2: %v", core.ExitCode(err), err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
}

// logFeature provides a value for injection.
type token struct{ value string }

func TestInjection(t *testing.T) {
	type good struct {
		Token *token                 `mikros:"feature"`
		Def   *definition.Definition `mikros:"feature"`
		Hlth  *core.Health           `mikros:"feature"`
	}
	type missing struct {
		Clock *time.Location `mikros:"feature"`
	}
	type badTag struct {
		X int `mikros:"inject"`
	}
	text := def(`["k"]`, "[features.f]\nenabled = true")
	feats := func() core.Option {
		return core.WithFeatures(&fakeFeature{name: "f", j: &journal{}, provide: []any{&token{"t"}}})
	}
	t.Run("fields are set", func(t *testing.T) {
		svc := &good{}
		s := servicetest.Start(t, svc, text, feats(), core.WithKinds(&fakeKind{name: "k", j: &journal{}}))
		if err := s.Stop(); err != nil {
			t.Fatal(err)
		}
		if svc.Token == nil || svc.Token.value != "t" || svc.Def == nil || svc.Def.Name != "svc" || svc.Hlth == nil {
			t.Errorf("fields not injected: %+v", svc)
		}
	})
	for name, tc := range map[string]struct {
		svc  any
		want string
	}{
		"nothing provides the type": {&missing{}, "service field missing.Clock: no enabled feature provides a *time.Location"},
		"unknown tag":               {&badTag{}, `service field badTag.X: unknown tag mikros:"inject"`},
	} {
		t.Run(name, func(t *testing.T) {
			j := &journal{}
			s := servicetest.Start(t, tc.svc, text, feats(), core.WithKinds(&fakeKind{name: "k", j: j}))
			err := s.Wait()
			if core.ExitCode(err) != core.ExitInvalid || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v (exit %d), want exit 2 with %q", err, core.ExitCode(err), tc.want)
			}
			if slices.Contains(j.list(), "start k") {
				t.Error("a kind started despite the wiring problem")
			}
		})
	}
}

func TestCheckStartsNothing(t *testing.T) {
	j := &journal{}
	var out, errOut strings.Builder
	code := core.RunCheck(&hooked{j: j}, &out, &errOut,
		core.WithDefinition("service.toml", []byte(def(`["k"]`, "[features.f]\nenabled = true"))),
		core.WithFeatures(&fakeFeature{name: "f", j: j}), core.WithKinds(&fakeKind{name: "k", j: j}),
		servicetest.Env(nil))
	if code != 0 || !strings.Contains(out.String(), "service.toml: valid: svc v1.0.0, types k, features f") {
		t.Fatalf("code %d, stdout %q, stderr %q", code, out.String(), errOut.String())
	}
	if len(j.list()) != 0 {
		t.Errorf("check ran hooks: %v", j.list())
	}
	out.Reset()
	code = core.RunCheck(nil, &out, &errOut,
		core.WithDefinition("service.toml", []byte(def(`["kk"]`))), core.WithKinds(&fakeKind{name: "k"}), servicetest.Env(nil))
	if code != 2 || !strings.Contains(errOut.String(), `service.toml:5:1: types: unknown kind "kk"`) {
		t.Fatalf("code %d, stderr %q", code, errOut.String())
	}
}

type byValue struct {
	Log *time.Location `mikros:"feature"`
}

func TestServicePassedByValue(t *testing.T) {
	_, err := servicetest.Run(t, byValue{}, def(`["k"]`), core.WithKinds(&fakeKind{name: "k", j: &journal{}, finish: true}))
	if core.ExitCode(err) != core.ExitInvalid || !strings.Contains(err.Error(), "pass a pointer (&byValue{})") {
		t.Fatalf("got %v", err)
	}
}
