package native_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/mikros-go/mikros/core"
	"github.com/mikros-go/mikros/core/servicetest"
	"github.com/mikros-go/mikros/kinds/native"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const definition = `
name    = "worker"
types   = ["native"]
version = "v1.0.0"
product = "demo"

[lifecycle]
stop_timeout = "300ms"
`

type worker struct {
	run func(ctx context.Context) error
}

func (w *worker) Run(ctx context.Context) error { return w.run(ctx) }

func TestNative(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	tests := []struct {
		name     string
		run      func(ctx context.Context) error
		stop     bool
		wantCode int
		wantErr  string
	}{
		{name: "returns nil at stop", run: func(ctx context.Context) error { <-ctx.Done(); return nil }, stop: true},
		{name: "returns ctx.Err at stop", run: func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }, stop: true},
		{
			name:     "an early error stops the service with 1",
			run:      func(context.Context) error { return errors.New("queue gone") },
			wantCode: core.ExitFailure, wantErr: "kind native: queue gone",
		},
		{name: "an early nil stops the service with 0", run: func(context.Context) error { return nil }},
		{
			name:     "a loop that ignores the stop is abandoned at the budget",
			run:      func(context.Context) error { <-release; return nil },
			stop:     true,
			wantCode: core.ExitFailure, wantErr: "kind native: run did not return within the kinds' share of the stop budget; abandoned",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			svc := servicetest.Start(t, &worker{run: tt.run}, definition, core.WithKinds(native.New()))
			var err error
			begin := time.Now()
			if tt.stop {
				err = svc.Stop()
			} else {
				err = svc.Wait()
			}
			if took := time.Since(begin); took > 5*time.Second {
				t.Errorf("took %s, with a stop budget of 300ms", took)
			}
			if got := core.ExitCode(err); got != tt.wantCode {
				t.Fatalf("exit code %d, want %d: %v", got, tt.wantCode, err)
			}
			if tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q lacks %q", err, tt.wantErr)
			}
		})
	}
}

func TestWorkerAliasAndMissingRun(t *testing.T) {
	text := strings.Replace(definition, `["native"]`, `["worker"]`, 1)
	svc := servicetest.Start(t, &worker{run: func(ctx context.Context) error { <-ctx.Done(); return nil }}, text, core.WithKinds(native.New()))
	if err := svc.Stop(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(svc.Logs(), `types: \"worker\" is read as \"native\"; write \"native\"`) {
		t.Errorf("no warning for the worker alias:\n%s", svc.Logs())
	}
	_, err := servicetest.Run(t, &struct{}{}, definition, core.WithKinds(native.New()))
	if core.ExitCode(err) != core.ExitInvalid || !strings.Contains(err.Error(), "has no method Run") {
		t.Fatalf("got %v, want exit 2 naming the missing Run", err)
	}
}
