package script_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"go.uber.org/goleak"

	"github.com/mikros-go/mikros/core"
	"github.com/mikros-go/mikros/core/servicetest"
	"github.com/mikros-go/mikros/kinds/script"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const definition = `
name    = "job"
types   = ["script"]
version = "v1.0.0"
product = "demo"
`

// job is a script service whose Run does what the test says.
type job struct {
	run     func(ctx context.Context) error
	stopped atomic.Bool
}

func (j *job) Run(ctx context.Context) error    { return j.run(ctx) }
func (j *job) OnStop(ctx context.Context) error { j.stopped.Store(true); return nil }

func TestScript(t *testing.T) {
	tests := []struct {
		name     string
		run      func(ctx context.Context) error
		stop     bool // stop the service while Run runs
		wantCode int
		wantErr  string
		wantLog  string
	}{
		{name: "success exits 0", run: func(context.Context) error { return nil }},
		{
			name:     "an error exits 1",
			run:      func(context.Context) error { return errors.New("disk full") },
			wantCode: core.ExitFailure, wantErr: "kind script: disk full",
		},
		{
			name:     "a panic exits 1 with its stack logged",
			run:      func(context.Context) error { panic("out of range") },
			wantCode: core.ExitFailure, wantErr: "kind script run: panic: out of range", wantLog: `"stack":"goroutine`,
		},
		{
			name:     "a stop cancels Run, which did not finish",
			run:      func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() },
			stop:     true,
			wantCode: core.ExitFailure, wantErr: "stopped before it finished: context canceled",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			j := &job{run: tt.run}
			svc := servicetest.Start(t, j, definition, core.WithKinds(script.New()))
			var err error
			if tt.stop {
				err = svc.Stop()
			} else {
				err = svc.Wait()
			}
			if got := core.ExitCode(err); got != tt.wantCode {
				t.Fatalf("exit code %d, want %d: %v", got, tt.wantCode, err)
			}
			if tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q lacks %q", err, tt.wantErr)
			}
			if tt.wantLog != "" && !strings.Contains(svc.Logs(), tt.wantLog) {
				t.Errorf("logs lack %q:\n%s", tt.wantLog, svc.Logs())
			}
			if !j.stopped.Load() {
				t.Error("OnStop did not run")
			}
		})
	}
}

func TestScriptConfiguration(t *testing.T) {
	tests := []struct {
		name string
		svc  any
		text string
		want string
	}{
		{"service without Run", &struct{}{}, definition, `service.toml:2:1: types: kind script: the service (*struct {}) has no method Run(ctx context.Context) error`},
		{"settings the kind does not have", &job{}, definition + "[services.script]\nretries = 3\n", `service.toml:6:1: services.script: unknown key "retries"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := servicetest.Run(t, tt.svc, tt.text, core.WithKinds(script.New()))
			if core.ExitCode(err) != core.ExitInvalid || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v (exit %d), want exit 2 with %q", err, core.ExitCode(err), tt.want)
			}
		})
	}
}

func TestCheckWithoutService(t *testing.T) {
	if _, err := core.Check(nil, core.WithDefinition("service.toml", []byte(definition)), core.WithKinds(script.New()), servicetest.Env(nil)); err != nil {
		t.Fatal(err)
	}
}
