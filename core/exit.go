package core

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"slices"
	"strings"
	"syscall"

	"github.com/mikros-go/mikros/core/definition"
)

// Exit statuses of a Mikros service.
const (
	// ExitOK: the service ran and stopped cleanly.
	ExitOK = 0
	// ExitFailure: a start, a run or a shutdown failed.
	ExitFailure = 1
	// ExitInvalid: the definition or the configuration is invalid; nothing
	// was started.
	ExitInvalid = 2
	// ExitInterrupted: a signal (or the caller) stopped the service while
	// it was starting, before it was ready; what had started was stopped
	// cleanly. A failure while stopping makes it ExitFailure.
	ExitInterrupted = 3
)

// ExitCode returns the exit status for an error returned by [Run] or
// [Check].
func ExitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var problems definition.Problems
	if errors.As(err, &problems) {
		return ExitInvalid
	}
	if _, ok := interrupted(err); ok {
		return ExitInterrupted
	}
	return ExitFailure
}

// interrupted returns err as an *InterruptedError when that is all it is:
// not joined with a failure. Redaction may have wrapped it.
func interrupted(err error) (*InterruptedError, bool) {
	if r, ok := err.(*redactedError); ok {
		err = r.err
	}
	ie, ok := err.(*InterruptedError)
	return ie, ok
}

// Main runs svc as the process's service and exits with its status. It
// reads the definition from MIKROS_CONFIG (./service.toml by default).
//
// SIGTERM and SIGINT begin the shutdown; a second one exits at once with
// status 1. With MIKROS_CHECK=1 (or true, yes, on) in the environment, Main
// only validates the definition and the environment, as [RunCheck] does,
// and exits 0 or 2; a value it does not know exits 2 before anything
// starts.
//
// Main leaves the command line alone: the service may parse its own flags.
func Main(svc any, opts ...Option) {
	v, _ := os.LookupEnv("MIKROS_CHECK")
	check, err := checkMode(v)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(ExitInvalid)
	}
	if check {
		os.Exit(RunCheck(svc, os.Stdout, os.Stderr, opts...))
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGTERM, os.Interrupt)
	go func() {
		sig := <-sigs
		cancel(fmt.Errorf("received %s", signalName(sig)))
		sig = <-sigs
		fmt.Fprintf(os.Stderr, "received %s again: exiting now\n", signalName(sig))
		os.Exit(ExitFailure)
	}()
	err = Run(ctx, svc, opts...)
	var problems definition.Problems
	if errors.As(err, &problems) {
		fmt.Fprintln(os.Stderr, problems.Error())
	}
	if ie, ok := interrupted(err); ok && ie.configuring {
		fmt.Fprintln(os.Stderr, ie.Error()) // no log line says it: there was no logger yet
	}
	os.Exit(ExitCode(err))
}

// checkMode reads MIKROS_CHECK: "1", "true", "yes" or "on" ask for a
// check; "", "0", "false", "no" or "off" for a run. Any other value is an
// error, so that a misspelled request to check never starts the service.
func checkMode(v string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "1", "true", "yes", "on":
		return true, nil
	case "", "0", "false", "no", "off":
		return false, nil
	}
	return false, fmt.Errorf("MIKROS_CHECK=%q: write 1 to check the definition without starting the service, or 0 (or leave it unset) to run it", v)
}

func signalName(sig os.Signal) string {
	switch sig {
	case syscall.SIGTERM:
		return "SIGTERM"
	case os.Interrupt:
		return "SIGINT"
	}
	return sig.String()
}

// RunCheck validates as [Check] does and reports like a compiler: the
// problems and warnings on stderr, one per line; on stdout, a summary when
// the definition is valid. It returns the exit status: 0 valid, 2 invalid.
func RunCheck(svc any, stdout, stderr io.Writer, opts ...Option) int {
	def, err := Check(svc, opts...)
	if def != nil {
		for _, w := range def.Warnings {
			fmt.Fprintln(stderr, "warning: "+w.Error())
		}
	}
	if err != nil {
		fmt.Fprintln(stderr, err.Error())
		return ExitCode(err)
	}
	var enabled []string
	for _, name := range sortedNames(def.Features) {
		if def.Features[name].Enabled {
			enabled = append(enabled, name)
		}
	}
	features := "none"
	if len(enabled) > 0 {
		features = strings.Join(enabled, ", ")
	}
	fmt.Fprintf(stdout, "%s: valid: %s %s, types %s, features %s\n", def.File, def.Name, def.Version, strings.Join(def.Kinds(), ", "), features)
	return ExitOK
}

// panicked turns a recovered panic into an error and logs it with its
// stack.
func panicked(name string, r any, log *slog.Logger) error {
	err := fmt.Errorf("%s: panic: %v", name, r)
	log.Error(err.Error(), "stack", string(debug.Stack()))
	return err
}

func sortedNames[V any](m map[string]V) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

func joinNames(names []string) string { return strings.Join(names, ", ") }
