// Command native is a background worker: it logs a tick every interval
// until it is told to stop, then stops cleanly.
//
//	cd examples/native && go run .
//	# Ctrl-C or SIGTERM: the worker stops within the stop budget.
package main

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/mikros-go/mikros/core"
	"github.com/mikros-go/mikros/features/logger"
	"github.com/mikros-go/mikros/kinds/native"
)

// ticker is the service.
type ticker struct {
	Log      *slog.Logger `mikros:"feature"`
	Settings settings     `mikros:"settings"`
}

// settings is the [service] table of service.toml.
type settings struct {
	Interval time.Duration `toml:"interval"`
}

// Validate checks the settings at boot.
func (s settings) Validate() error {
	if s.Interval <= 0 {
		return errors.New("interval must be more than zero")
	}
	return nil
}

// Run ticks until ctx is canceled at shutdown.
func (t *ticker) Run(ctx context.Context) error {
	tick := time.NewTicker(t.Settings.Interval)
	defer tick.Stop()
	for n := 1; ; n++ {
		select {
		case <-ctx.Done():
			t.Log.Info("worker stopping", "ticks", n-1)
			return nil
		case <-tick.C:
			t.Log.Info("tick", "n", n)
		}
	}
}

func main() {
	core.Main(&ticker{Settings: settings{Interval: time.Second}},
		core.WithKinds(native.New()),
		core.WithFeatures(logger.New()))
}
