package main

import (
	"os"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/mikros-go/mikros/core"
	"github.com/mikros-go/mikros/core/servicetest"
	"github.com/mikros-go/mikros/features/logger"
	"github.com/mikros-go/mikros/kinds/script"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestHello runs the example with its own service.toml: it logs the
// greeting through the logger feature and exits 0.
func TestHello(t *testing.T) {
	text, err := os.ReadFile("service.toml")
	if err != nil {
		t.Fatal(err)
	}
	svc, err := servicetest.Run(t, &hello{}, string(text),
		core.WithKinds(script.New()), core.WithFeatures(logger.New()))
	if err != nil {
		t.Fatalf("exit %d: %v", core.ExitCode(err), err)
	}
	if !strings.Contains(svc.Logs(), `"msg":"Hello, Mikros"`) {
		t.Errorf("no greeting in the logs:\n%s", svc.Logs())
	}
}
