package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
)

// runFunc runs the command args[0] with arguments args[1:] in directory dir,
// writing its output to stdout and stderr. It exists so that tests can
// replace the real command runner.
type runFunc func(ctx context.Context, dir string, stdout, stderr io.Writer, args []string) error

// runCommand is the runFunc that executes commands with the environment of
// mono itself.
func runCommand(ctx context.Context, dir string, stdout, stderr io.Writer, args []string) error {
	cmd := newCommand(ctx, dir, nil, args)
	cmd.Stdout = stdout
	cmd.Stderr = stderr
	return cmd.Run()
}

// newCommand returns the command args[0] with arguments args[1:], to run in
// directory dir with environment env (nil meaning mono's own). The command
// is killed if ctx is done before it completes.
func newCommand(ctx context.Context, dir string, env []string, args []string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Dir = dir
	cmd.Env = env
	return cmd
}

// goCommand runs a go command in dir for mono's own purposes, with the
// environment returned by goEnv, and returns its standard output. A failure
// is returned as an error that carries the command's standard error.
func goCommand(ctx context.Context, dir string, env []string, args ...string) ([]byte, error) {
	var stdout, stderr bytes.Buffer
	cmd := newCommand(ctx, dir, env, append([]string{"go"}, args...))
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return stdout.Bytes(), fmt.Errorf("go %s: %s", strings.Join(args, " "), msg)
	}
	return stdout.Bytes(), nil
}

// goEnv returns the environment for go commands that mono runs itself: its
// own environment with the given KEY=value overrides, and with -mod and
// -modfile removed from GOFLAGS, since those would change how the go
// command treats go.mod and go.sum behind mono's back.
func goEnv(overrides ...string) []string {
	env := os.Environ()
	env = append(env, "GOFLAGS="+sanitizeGOFLAGS(os.Getenv("GOFLAGS")))
	// Later entries override earlier ones for the same key.
	return append(env, overrides...)
}

// sanitizeGOFLAGS removes the -mod and -modfile flags from a GOFLAGS value.
func sanitizeGOFLAGS(flags string) string {
	var kept []string
	for _, f := range strings.Fields(flags) {
		name, _, _ := strings.Cut(strings.TrimLeft(f, "-"), "=")
		if name == "mod" || name == "modfile" {
			continue
		}
		kept = append(kept, f)
	}
	return strings.Join(kept, " ")
}

// oneLine joins the lines of s with "; " so that a multi-line message fits
// on the single line of a reported problem.
func oneLine(s string) string {
	var lines []string
	for l := range strings.Lines(s) {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "; ")
}

// commandLine formats args for display, quoting the arguments that a shell
// would not take as single words.
func commandLine(args []string) string {
	quoted := make([]string, len(args))
	for i, a := range args {
		if a == "" || strings.ContainsAny(a, " \t\n\"'\\$`*?;&|<>()") {
			a = strconv.Quote(a)
		}
		quoted[i] = a
	}
	return strings.Join(quoted, " ")
}
