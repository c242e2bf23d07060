package main

import (
	"os"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/mikros-go/mikros/core"
	"github.com/mikros-go/mikros/core/servicetest"
	"github.com/mikros-go/mikros/features/logger"
	"github.com/mikros-go/mikros/kinds/native"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestTicker runs the example with a short interval, lets it tick, stops it
// as SIGTERM would, and checks it stopped cleanly.
func TestTicker(t *testing.T) {
	text, err := os.ReadFile("service.toml")
	if err != nil {
		t.Fatal(err)
	}
	def := strings.Replace(string(text), `interval = "1s"`, `interval = "10ms"`, 1)
	svc := servicetest.Start(t, &ticker{}, def, core.WithKinds(native.New()), core.WithFeatures(logger.New()))
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(svc.Logs(), `"msg":"tick"`) && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if err := svc.Stop(); err != nil {
		t.Fatalf("exit %d: %v", core.ExitCode(err), err)
	}
	for _, want := range []string{`"msg":"tick"`, `"msg":"worker stopping"`, `"msg":"service stopped in`} {
		if !strings.Contains(svc.Logs(), want) {
			t.Errorf("logs lack %s:\n%s", want, svc.Logs())
		}
	}
}

// TestIntervalIsValidated shows the settings' Validate method at work: a
// zero interval stops the boot with exit status 2.
func TestIntervalIsValidated(t *testing.T) {
	text, _ := os.ReadFile("service.toml")
	def := strings.Replace(string(text), `interval = "1s"`, `interval = "0s"`, 1)
	_, err := servicetest.Run(t, &ticker{}, def, core.WithKinds(native.New()), core.WithFeatures(logger.New()))
	if core.ExitCode(err) != core.ExitInvalid || !strings.Contains(err.Error(), "service: interval must be more than zero") {
		t.Fatalf("got %v", err)
	}
}
