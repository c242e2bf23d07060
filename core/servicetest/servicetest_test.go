package servicetest

import (
	"context"
	"strings"
	"testing"

	"github.com/mikros-go/mikros/core"
)

func TestDedent(t *testing.T) {
	tests := []struct{ in, want string }{
		{"a = 1\nb = 2", "a = 1\nb = 2"},
		{"\n\t\ta = 1\n\t\t[t]\n\t\tb = 2\n", "a = 1\n[t]\nb = 2\n"},
		{"\n    a = 1\n      b = 2\n    c = 3", "a = 1\n  b = 2\nc = 3"},
		{"\n\ta = 1\n\n\tb = 2", "a = 1\n\nb = 2"},
		{"\n  a = 1\n b = 2", " a = 1\nb = 2"},
	}
	for _, tt := range tests {
		if got := dedent(tt.in); got != tt.want {
			t.Errorf("dedent(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// idle is a kind that runs until the service stops.
type idle struct{}

func (idle) Name() string { return "idle" }
func (idle) Run(ctx context.Context) error {
	<-ctx.Done()
	return nil
}

const definition = `
	name    = "svc"
	types   = ["idle"]
	version = "v1.0.0"
	product = "demo"
	envs    = ["SERVICETEST_VAR"]
`

func TestEnvIsHermetic(t *testing.T) {
	t.Setenv("SERVICETEST_VAR", "from the real environment")
	_, err := Run(t, nil, definition, core.WithKinds(idle{}))
	if core.ExitCode(err) != core.ExitInvalid || !strings.Contains(err.Error(), "SERVICETEST_VAR is not set") {
		t.Fatalf("the real environment leaked in: %v", err)
	}
	svc := Start(t, nil, definition, core.WithKinds(idle{}), Env(map[string]string{"SERVICETEST_VAR": "x"}))
	if svc.Health().State() != core.Ready {
		t.Fatalf("state %s, err %v", svc.Health().State(), svc.Err())
	}
	if err := svc.Stop(); err != nil {
		t.Fatal(err)
	}
	if got := svc.Hooks(); len(got) != 0 {
		t.Errorf("hooks %v, want none (idle has no hooks)", got)
	}
	if !strings.Contains(svc.Logs(), "service stopped in") {
		t.Errorf("logs not captured:\n%s", svc.Logs())
	}
}
