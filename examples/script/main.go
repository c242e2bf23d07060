// Command script is the smallest Mikros service: a one-shot script that
// logs a greeting and exits 0.
//
//	cd examples/script && go run .
package main

import (
	"context"
	"log/slog"

	"github.com/mikros-go/mikros/core"
	"github.com/mikros-go/mikros/features/logger"
	"github.com/mikros-go/mikros/kinds/script"
)

// hello is the service. Core fills the fields tagged mikros.
type hello struct {
	// Log is the service's logger; with the logger feature enabled it
	// writes through zap.
	Log *slog.Logger `mikros:"feature"`
	// Settings holds the [service] table of service.toml.
	Settings settings `mikros:"settings"`
}

// settings is the service's own part of service.toml.
type settings struct {
	Greeting string `toml:"greeting"`
	Name     string `toml:"name"`
}

// Run is the script's work.
func (h *hello) Run(context.Context) error {
	h.Log.Info(h.Settings.Greeting+", "+h.Settings.Name, "greeting", h.Settings.Greeting)
	return nil
}

func main() {
	core.Main(&hello{Settings: settings{Greeting: "Hello", Name: "world"}},
		core.WithKinds(script.New()),
		core.WithFeatures(logger.New()))
}
