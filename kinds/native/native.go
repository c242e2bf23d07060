// Package native is the Mikros kind for long-running background services:
// workers, consumers, schedulers. The service's Run loops until the service
// is told to stop.
//
//	types = ["native"]
//
// The service has a method Run(ctx context.Context) error. ctx is canceled
// when shutdown begins (after the drain delay); Run must then return within
// the stop budget. Returning nil or ctx's error after that is a clean stop.
// Returning before shutdown stops the whole service: with an error, exit
// status 1; with nil, status 0 (the work is done). A panic in Run is logged
// with its stack, and the service stops with status 1.
//
// The kind has no settings: [services.native] accepts no key. The alias
// "worker", from other Mikros implementations, is read as "native".
package native

import (
	"context"
	"errors"

	"github.com/mikros-go/mikros/core"
)

// Service is what a native service implements.
type Service interface {
	// Run does the service's work until ctx is canceled.
	Run(ctx context.Context) error
}

// Kind runs a service's loop. The zero value is not usable; call New.
type Kind struct {
	svc Service
}

var (
	_ core.Kind       = (*Kind)(nil)
	_ core.Configurer = (*Kind)(nil)
)

// New returns the native kind, to pass to core.WithKinds.
func New() *Kind { return &Kind{} }

// Name returns "native".
func (*Kind) Name() string { return "native" }

// Aliases returns "worker", the native kind's name in files written for
// other Mikros implementations.
func (*Kind) Aliases() []string { return []string{"worker"} }

// Configure checks that [services.native] is empty and that the service has
// a Run method.
func (k *Kind) Configure(s *core.Setup) error {
	if err := s.Settings.Decode(&struct{}{}); err != nil {
		return err
	}
	svc, err := core.ServiceFor[Service](s, "native", "Run(ctx context.Context) error")
	k.svc = svc
	return err
}

// Run runs the service's loop. Once ctx is canceled, a context error from
// the loop counts as a clean stop.
func (k *Kind) Run(ctx context.Context) error {
	err := k.svc.Run(ctx)
	if ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		return nil
	}
	return err
}
