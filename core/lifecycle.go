package core

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/mikros-go/mikros/core/definition"
)

// stage is a part of the shutdown. The stages stop in this order and,
// within a stage, what started stops in the reverse of its start order.
type stage int

const (
	stageKinds    stage = iota // the kinds' Stop; then their Run is awaited
	stageService               // the service's OnStop
	stageFeatures              // the features' Stop, telemetry flushed last
	stageAdmin                 // the admin listener, so that probes answer to the end
)

// started is one thing that started, recorded in start order: exactly these
// are stopped at shutdown.
type started struct {
	name   string                      // the stop hook's name: "kind http stop", "service OnStop"…
	stage  stage                       // when it stops
	module any                         // the feature or kind, if it is one
	stop   func(context.Context) error // nil when there is nothing to call
}

// record notes that a feature or kind started (or, without a Start, was
// reached), so that shutdown stops it.
func (s *service) record(name string, st stage, module any) {
	e := started{name: name + " stop", stage: st, module: module}
	if sp, ok := module.(Stopper); ok {
		e.stop = sp.Stop
	}
	s.started = append(s.started, e)
}

// startedFeatures returns the features that started, in start order.
func (s *service) startedFeatures() []Feature {
	var fs []Feature
	for _, e := range s.started {
		if f, ok := e.module.(Feature); ok && e.stage == stageFeatures {
			fs = append(fs, f)
		}
	}
	return fs
}

// kindResult is what a kind's Run returned.
type kindResult struct {
	kind string
	err  error
}

// run builds, starts and runs the configured service, then shuts it down.
// ctx ending (a signal, the caller) stops it at any point: during build and
// start, what started is stopped and the error is an [InterruptedError].
func (s *service) run(ctx context.Context) error {
	s.outer = ctx
	startCtx, cancel := context.WithTimeout(ctx, s.def.Lifecycle.StartTimeout)
	defer cancel()
	t := time.Now()
	err := s.build(startCtx)
	s.phases = append(s.phases, Phase{Name: "build", Start: t, End: time.Now(), Err: err})
	if err == nil {
		t = time.Now()
		err = s.start(startCtx)
		if err == nil {
			err = s.serve(startCtx)
		}
		s.phases = append(s.phases, Phase{Name: "start", Start: t, End: time.Now(), Err: err})
	}
	cancel()
	s.recordStartup(ctx)
	if ctx.Err() != nil && err != nil {
		return s.interrupted(ctx, err)
	}
	if err != nil {
		s.log.Error("start failed; stopping what started", "error", err.Error())
		return errors.Join(err, s.shutdown(time.Now(), false))
	}
	if s.pending == nil {
		s.health.set(Ready)
		took := func(i int) time.Duration { return s.phases[i].End.Sub(s.phases[i].Start) }
		s.log.Info(fmt.Sprintf("service started in %s: configure %s, build %s, start %s",
			ms(s.phases[2].End.Sub(s.phases[0].Start)), ms(took(0)), ms(took(1)), ms(took(2))))
		for _, k := range s.kinds {
			if _, ok := k.(ServeNotifier); !ok {
				s.running[k.Name()] = true
				go s.runKind(s.runCtx, k)
			}
		}
	}

	var runErr error
	external := false
	if r := s.pending; r != nil {
		runErr = s.finished(*r)
	} else {
		select {
		case <-ctx.Done():
			external = true
			s.log.Info("stopping", "reason", context.Cause(ctx).Error())
		case r := <-s.results:
			runErr = s.finished(r)
		}
	}
	begin := time.Now()
	return errors.Join(runErr, s.shutdown(begin, external))
}

// interrupted stops what started after ctx ended during build or start,
// and says so. The hook that was running when the stop came, and any hook
// that then failed because its context was canceled, is not a failure: the
// error is an [InterruptedError] unless stopping failed or a hook failed
// for another reason.
func (s *service) interrupted(ctx context.Context, startErr error) error {
	cause := context.Cause(ctx)
	s.log.Info("stop requested while starting; stopping what started", "reason", cause.Error())
	begin := s.stopAsked
	if begin.IsZero() {
		begin = time.Now()
	}
	var errs []error
	for _, e := range unjoin(startErr) {
		if !errors.Is(e, context.Canceled) && !errors.Is(e, errInterrupted) {
			errs = append(errs, e)
		}
	}
	errs = append(errs, s.shutdown(begin, false))
	if err := errors.Join(errs...); err != nil {
		return errors.Join(&InterruptedError{Cause: cause}, err)
	}
	return &InterruptedError{Cause: cause}
}

// unjoin returns the errors joined in err, or err alone.
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// InterruptedError is what [Run] returns when its context ended (a signal
// in [Main]) before the service was ready, and what had started stopped
// cleanly. [ExitCode] makes it [ExitInterrupted].
type InterruptedError struct {
	// Cause is why the context ended, such as "received SIGTERM".
	Cause error

	configuring bool // while the definition was read: nothing was logged
}

func (e *InterruptedError) Error() string {
	return "stopped before it was ready: " + e.Cause.Error()
}

// errInterrupted marks a start hook that was not run, or not waited for,
// because the stop was requested.
var errInterrupted = errors.New("the stop was requested")

// serve runs the kinds that tell when they serve ([ServeNotifier]), and
// waits until every one of them does, within the start deadline. A kind
// whose Run returns first is kept in s.pending: the service then never
// turns ready, and shuts down. The other kinds run once the service is
// ready (runOthers).
func (s *service) serve(ctx context.Context) error {
	runCtx, cancelRun := context.WithCancel(context.WithoutCancel(ctx))
	s.runCtx, s.cancelRun = runCtx, cancelRun
	s.results = make(chan kindResult, len(s.kinds))
	for _, k := range s.kinds {
		if _, ok := k.(ServeNotifier); ok {
			s.running[k.Name()] = true
			go s.runKind(runCtx, k)
		}
	}
	for _, k := range s.kinds {
		n, ok := k.(ServeNotifier)
		if !ok {
			continue
		}
		select {
		case <-n.Serving():
		case r := <-s.results:
			s.pending = &r
			return nil
		case <-ctx.Done():
			if s.outer.Err() != nil {
				s.noteStop()
				return errInterrupted
			}
			return fmt.Errorf("kind %s: did not begin serving within start_timeout (%s)", k.Name(), s.def.Lifecycle.StartTimeout)
		}
	}
	return nil
}

// runKind runs one kind's Run and reports its result; a panic is an error.
func (s *service) runKind(ctx context.Context, k Kind) {
	var err error
	defer func() {
		if r := recover(); r != nil {
			err = panicked("kind "+k.Name()+" run", r, s.log)
		}
		s.results <- kindResult{k.Name(), err}
	}()
	err = k.Run(ctx)
}

// finished records that a kind's Run returned.
func (s *service) finished(r kindResult) error {
	delete(s.running, r.kind)
	if r.err != nil {
		err := fmt.Errorf("kind %s: %w", r.kind, r.err)
		s.log.Error("kind failed", "kind", r.kind, "error", r.err.Error())
		return err
	}
	if s.stopping {
		s.log.Info("kind stopped", "kind", r.kind)
	} else {
		s.log.Info("kind finished", "kind", r.kind)
	}
	return nil
}

// shutdown stops everything that started, within the stop budget that
// began at begin: readiness off, the drain delay (when the stop came from
// outside), then the stages in order, each what started in reverse: the
// kinds' Stop, the kinds' Run awaited, OnStop, the features' Stop, and the
// admin listener last.
//
// The budget is cut so that no part can take another's time:
//
//   - the kinds (their Stop and the wait for their Run) end by stop_timeout
//     less [StopReserve];
//   - OnStop ends by stop_timeout less half the reserve;
//   - the features have the rest, so that they always have half the
//     reserve, and the tracing flush happens whatever came before.
//
// Within a stage, each hook's share is an equal part of what is left of
// the stage when it is called: a hook that returns early leaves its time to
// the next. Every hook is called, even with a context already done, and
// none is waited for beyond its share.
func (s *service) shutdown(begin time.Time, drain bool) error {
	budget := s.def.Lifecycle.StopTimeout
	end := begin.Add(budget)
	reserve := StopReserve(budget)
	kindsEnd := end.Add(-reserve)
	serviceEnd := end.Add(-reserve / 2)
	s.stopping = true
	s.health.set(Draining)
	if d := s.def.Lifecycle.DrainDelay; drain && d > 0 && s.anyKindStarted() {
		s.log.Info("draining", "delay", d.String())
		sleepUntil(minTime(begin.Add(d), kindsEnd))
	}
	if s.cancelRun != nil {
		s.cancelRun()
	}
	var errs []error
	errs = append(errs, s.stopStage(stageKinds, kindsEnd)...)
	errs = append(errs, s.awaitRuns(kindsEnd))
	errs = append(errs, s.stopStage(stageService, serviceEnd)...)
	errs = append(errs, s.stopStage(stageFeatures, end)...)
	s.health.set(Stopped)
	s.closeAdmin(end)
	err := errors.Join(errs...)
	if err != nil {
		s.log.Error(fmt.Sprintf("service stopped in %s, with errors", ms(time.Since(begin))), "error", err.Error())
	} else {
		s.log.Info(fmt.Sprintf("service stopped in %s", ms(time.Since(begin))))
	}
	return err
}

// anyKindStarted reports whether a kind started, and so may be serving.
func (s *service) anyKindStarted() bool {
	for _, e := range s.started {
		if e.stage == stageKinds {
			return true
		}
	}
	return false
}

// stopStage stops, in reverse of their start, the started hooks of stage
// st, by stageEnd.
func (s *service) stopStage(st stage, stageEnd time.Time) []error {
	var hooks []started
	for i := len(s.started) - 1; i >= 0; i-- {
		if e := s.started[i]; e.stage == st && e.stop != nil {
			hooks = append(hooks, e)
		}
	}
	var errs []error
	for i, e := range hooks {
		share := time.Until(stageEnd) / time.Duration(len(hooks)-i)
		errs = append(errs, s.stopHook(e.name, e.stop, time.Now().Add(max(share, 0))))
	}
	return errs
}

// awaitRuns waits, until the kinds' share of the budget ends, for the Run
// of every kind still running, and names those it stops waiting for.
func (s *service) awaitRuns(until time.Time) error {
	var errs []error
	timer := time.NewTimer(max(time.Until(until), 0))
	defer timer.Stop()
	for len(s.running) > 0 {
		// A Run that returned is taken before the deadline is looked at,
		// so that it is never reported as abandoned.
		select {
		case r := <-s.results:
			errs = append(errs, s.finished(r))
			continue
		default:
		}
		select {
		case r := <-s.results:
			errs = append(errs, s.finished(r))
		case <-timer.C:
			select { // a Run that returned as the timer fired is not abandoned
			case r := <-s.results:
				errs = append(errs, s.finished(r))
				continue
			default:
			}
			err := fmt.Errorf("kind %s: run did not return within the kinds' share of the stop budget; abandoned",
				joinNames(sortedNames(s.running)))
			s.log.Error(err.Error())
			errs = append(errs, err)
			clear(s.running)
		}
	}
	return errors.Join(errs...)
}

// StopReserve is the part of the stop budget that the kinds may not use,
// kept for OnStop and the features: a fifth of stop_timeout, at most five
// seconds. The features always have half of it, whatever OnStop does.
func StopReserve(stopTimeout time.Duration) time.Duration {
	return definition.Lifecycle{StopTimeout: stopTimeout}.StopReserve()
}

// forceWindow is the last part of a stop hook's share, after its context
// ended, in which what it returns once forced is still heard: a fifth of
// the share, at most a second.
func forceWindow(share time.Duration) time.Duration {
	return min(share/5, time.Second)
}

// stopHook runs one stop hook on its own goroutine. Its context ends a
// little before until (see forceWindow), and it is waited for until until;
// then it is abandoned, named in the log, and its error says so.
func (s *service) stopHook(name string, fn func(context.Context) error, until time.Time) error {
	begin := time.Now()
	share := until.Sub(begin)
	ctx, cancel := context.WithDeadline(context.Background(), until.Add(-forceWindow(share)))
	defer cancel()
	done := s.call(name, fn, ctx)
	timer := time.NewTimer(max(share, 0))
	defer timer.Stop()
	var err error
	select {
	case err = <-done:
	case <-timer.C:
		err = fmt.Errorf("%s: did not return within its deadline (%s); abandoned", name, ms(time.Since(begin)))
		s.log.Error(err.Error())
	}
	s.observe("shutdown", name, begin, err)
	return err
}

// closeAdmin closes the admin listener, last: it waits for the probes and
// scrapes in flight until end, and never longer. It is core's own, not a
// module's hook: it is neither observed nor abandoned, as it returns once
// its context is done.
func (s *service) closeAdmin(end time.Time) {
	for _, e := range s.started {
		if e.stage == stageAdmin && e.stop != nil {
			ctx, cancel := context.WithDeadline(context.Background(), end)
			_ = e.stop(ctx)
			cancel()
		}
	}
}

// startHook runs one build or start hook on its own goroutine under ctx,
// the start deadline. When the deadline passes first, the hook is
// abandoned, named in the log, and its error says so. When the stop is
// requested (the service's context ends), the hook is told through its
// context and given StopReserve to return: if it returns nil, it started,
// and shutdown stops it.
func (s *service) startHook(ctx context.Context, phase, name string, fn func(context.Context) error) error {
	begin := time.Now()
	if ctx.Err() != nil {
		if s.outer.Err() != nil {
			s.noteStop()
			return fmt.Errorf("%s: not run: %w", name, errInterrupted)
		}
		err := fmt.Errorf("%s: not run: the %s budget was spent", name, phase)
		s.log.Error(err.Error())
		s.observe(phase, name, begin, err)
		return err
	}
	done := s.call(name, fn, ctx)
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		if s.outer.Err() == nil {
			err = fmt.Errorf("%s: did not return within its deadline (%s); abandoned", name, ms(time.Since(begin)))
			s.log.Error(err.Error())
			break
		}
		s.noteStop()
		grace := time.NewTimer(StopReserve(s.def.Lifecycle.StopTimeout))
		select {
		case err = <-done:
		case <-grace.C:
			err = fmt.Errorf("%s: did not return once the stop was requested; abandoned", name)
			s.log.Error(err.Error())
		}
		grace.Stop()
	}
	s.observe(phase, name, begin, err)
	return err
}

// noteStop records when the stop was first seen during start: the stop
// budget counts from there.
func (s *service) noteStop() {
	if s.stopAsked.IsZero() {
		s.stopAsked = time.Now()
	}
}

// call runs fn(ctx) on its own goroutine and delivers its error, named, on
// the channel returned; a panic is an error too, logged with its stack.
func (s *service) call(name string, fn func(context.Context) error, ctx context.Context) <-chan error {
	done := make(chan error, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				done <- panicked(name, r, s.log)
			}
		}()
		if err := fn(ctx); err != nil {
			done <- fmt.Errorf("%s: %w", name, err)
			return
		}
		done <- nil
	}()
	return done
}

// observe tells the observer (WithObserver) that a hook ran.
func (s *service) observe(phase, name string, begin time.Time, err error) {
	if s.cfg.observer != nil {
		s.cfg.observer(Event{Phase: phase, Hook: name, Took: time.Since(begin), Err: err})
	}
}

// sleepUntil sleeps until t.
func sleepUntil(t time.Time) {
	if d := time.Until(t); d > 0 {
		time.Sleep(d)
	}
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// ms rounds a duration for humans.
func ms(d time.Duration) time.Duration {
	switch {
	case d > time.Second:
		return d.Round(time.Millisecond)
	case d > time.Millisecond:
		return d.Round(100 * time.Microsecond)
	}
	return d.Round(time.Microsecond)
}
