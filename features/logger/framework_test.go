package logger_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/mikros-go/mikros/core"
	"github.com/mikros-go/mikros/features/logger"
)

// TestFrameworkLinesCarryNoStack runs a service whose kind fails: core's
// "kind failed" line, at error level, names the failure without a stack of
// core's code, while the service's own error line keeps its stack.
func TestFrameworkLinesCarryNoStack(t *testing.T) {
	var out bytes.Buffer
	svc := &greeter{}
	kind := once{run: func(context.Context) error {
		svc.Slog.Error("the service's own failure")
		return errors.New("the port is gone")
	}}
	err := core.Run(context.Background(), svc,
		core.WithDefinition("service.toml", []byte(strings.ReplaceAll(greeterTOML, "%s", ""))),
		core.WithKinds(kind), core.WithFeatures(logger.New()),
		core.WithLogOutput(&out), core.WithLookupEnv(func(string) (string, bool) { return "", false }))
	if core.ExitCode(err) != core.ExitFailure {
		t.Fatalf("got %v", err)
	}
	for _, tt := range []struct {
		msg       string
		wantStack bool
	}{
		{`"msg":"kind failed"`, false},
		{`"msg":"the service's own failure"`, true},
	} {
		found := false
		for _, l := range strings.Split(out.String(), "\n") {
			if strings.Contains(l, tt.msg) {
				found = true
				if got := strings.Contains(l, `"stacktrace"`); got != tt.wantStack {
					t.Errorf("stacktrace %v, want %v: %s", got, tt.wantStack, l)
				}
			}
		}
		if !found {
			t.Errorf("no line with %s in\n%s", tt.msg, out.String())
		}
	}
}
