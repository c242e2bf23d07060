// Package script is the Mikros kind for one-shot services: the service's Run
// runs once, and the process exits with its result.
//
// A script service lists the kind alone in its definition:
//
//	types = ["script"]
//
// and has a method Run(ctx context.Context) error. Run's error makes the exit
// status 1, nil makes it 0. SIGTERM or SIGINT cancels ctx; a Run that then
// returns early is reported as stopped before it finished (exit 1). A panic
// in Run is logged with its stack (exit 1). In every case the service's
// OnStop hook and the features' stop hooks run before the process exits.
//
// The kind has no settings: [services.script] accepts no key.
package script

import (
	"context"
	"errors"
	"fmt"

	"github.com/mikros-go/mikros/core"
)

// Service is what a script service implements.
type Service interface {
	// Run does the script's work. ctx is canceled when the process is told
	// to stop.
	Run(ctx context.Context) error
}

// Kind runs a service once. The zero value is not usable; call New.
type Kind struct {
	svc Service
}

var (
	_ core.Kind       = (*Kind)(nil)
	_ core.Configurer = (*Kind)(nil)
)

// New returns the script kind, to pass to core.WithKinds.
func New() *Kind { return &Kind{} }

// Name returns "script".
func (*Kind) Name() string { return "script" }

// RunsAlone reports true: a service that runs once cannot also serve.
func (*Kind) RunsAlone() bool { return true }

// Configure checks that [services.script] is empty and that the service has
// a Run method.
func (k *Kind) Configure(s *core.Setup) error {
	if err := s.Settings.Decode(&struct{}{}); err != nil {
		return err
	}
	svc, err := core.ServiceFor[Service](s, "script", "Run(ctx context.Context) error")
	k.svc = svc
	return err
}

// Run runs the service's Run once and returns its error. When ctx was
// canceled and Run returned because of it, the error says the script was
// stopped before it finished.
func (k *Kind) Run(ctx context.Context) error {
	err := k.svc.Run(ctx)
	if err != nil && ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		return fmt.Errorf("stopped before it finished: %w", err)
	}
	return err
}
