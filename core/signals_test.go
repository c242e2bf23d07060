package core_test

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mikros-go/mikros/core"
)

// hangingStop is a kind that runs until stopped and whose Stop takes far
// longer than any test waits.
type hangingStop struct{}

func (hangingStop) Name() string { return "k" }
func (hangingStop) Run(ctx context.Context) error {
	<-ctx.Done()
	return nil
}
func (hangingStop) Stop(context.Context) error {
	time.Sleep(time.Minute)
	return nil
}

// mainProcess runs core.Main in this process, which a test started.
func mainProcess(mode string) {
	text := def(`["k"]`, "[lifecycle]\nstop_timeout = \"1m\"")
	switch mode {
	case "invalid":
		text = def(`["k"]`, "colour = \"blue\"")
	case "slowstart":
		core.Main(slowStart{}, core.WithDefinition("service.toml", []byte(text)), core.WithKinds(&fakeKind{name: "k", j: &journal{}}))
	case "clean":
		core.Main(nil, core.WithDefinition("service.toml", []byte(text)), core.WithKinds(&fakeKind{name: "k", j: &journal{}}))
	}
	core.Main(nil, core.WithDefinition("service.toml", []byte(text)), core.WithKinds(hangingStop{}))
}

// startMain starts the test binary as a service in mode and waits until it
// logged that it started.
func startMain(t *testing.T, mode string, env ...string) (*exec.Cmd, *strings.Builder) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), append(env, "CORE_TEST_MAIN="+mode)...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	out := &strings.Builder{}
	started := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stderr)
		once := false
		for sc.Scan() {
			out.WriteString(sc.Text() + "\n")
			if !once && strings.Contains(sc.Text(), "service started in") {
				once = true
				close(started)
			}
		}
	}()
	select {
	case <-started:
	case <-time.After(10 * time.Second):
		t.Fatalf("the service did not start:\n%s", out)
	}
	return cmd, out
}

func exitCode(t *testing.T, cmd *exec.Cmd, within time.Duration) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
		return cmd.ProcessState.ExitCode()
	case <-time.After(within):
		t.Fatalf("the process did not exit within %s", within)
		return -1
	}
}

func TestSignals(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	t.Run("SIGTERM stops cleanly with 0", func(t *testing.T) {
		cmd, _ := startMain(t, "clean")
		_ = cmd.Process.Signal(syscall.SIGTERM)
		if code := exitCode(t, cmd, 10*time.Second); code != 0 {
			t.Errorf("exit status %d, want 0", code)
		}
	})
	t.Run("a second signal exits at once with 1", func(t *testing.T) {
		cmd, _ := startMain(t, "hang")
		_ = cmd.Process.Signal(syscall.SIGTERM)
		time.Sleep(200 * time.Millisecond) // the stop hook now hangs for a minute
		_ = cmd.Process.Signal(syscall.SIGINT)
		if code := exitCode(t, cmd, 10*time.Second); code != 1 {
			t.Errorf("exit status %d, want 1", code)
		}
	})
	t.Run("an invalid definition exits 2 with the problem on stderr", func(t *testing.T) {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "CORE_TEST_MAIN=invalid")
		out, _ := cmd.CombinedOutput()
		if code := cmd.ProcessState.ExitCode(); code != 2 || !strings.Contains(string(out), `service.toml:6:1: unknown key "colour"`) {
			t.Errorf("exit status %d, output:\n%s", code, out)
		}
	})
	t.Run("MIKROS_CHECK=1 validates and starts nothing", func(t *testing.T) {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "CORE_TEST_MAIN=hang", "MIKROS_CHECK=1")
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "service.toml: valid: svc v1.0.0, types k") || strings.Contains(string(out), "started") {
			t.Errorf("err %v, output:\n%s", err, out)
		}
	})
	for _, tt := range []struct {
		value string
		code  int
		want  string
	}{
		{"yes", 0, "service.toml: valid"},
		{"ON", 0, "service.toml: valid"},
		{"yess", 2, `MIKROS_CHECK="yess": write 1 to check`},
		{"2", 2, `MIKROS_CHECK="2"`},
	} {
		t.Run("MIKROS_CHECK="+tt.value, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), "CORE_TEST_MAIN=hang", "MIKROS_CHECK="+tt.value)
			out, _ := cmd.CombinedOutput()
			if code := cmd.ProcessState.ExitCode(); code != tt.code || !strings.Contains(string(out), tt.want) || strings.Contains(string(out), "started") {
				t.Errorf("exit status %d, output:\n%s", code, out)
			}
		})
	}
	t.Run("SIGTERM while starting exits 3 and says so", func(t *testing.T) {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "CORE_TEST_MAIN=slowstart")
		var out strings.Builder
		cmd.Stderr = &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill() })
		time.Sleep(500 * time.Millisecond) // OnStart now waits for its context
		_ = cmd.Process.Signal(syscall.SIGTERM)
		if code := exitCode(t, cmd, 10*time.Second); code != core.ExitInterrupted {
			t.Errorf("exit status %d, want %d:\n%s", code, core.ExitInterrupted, out.String())
		}
		if !strings.Contains(out.String(), "stop requested while starting") || strings.Contains(out.String(), "abandoned") {
			t.Errorf("output:\n%s", out.String())
		}
	})
}

// slowStart is a service whose OnStart waits for its context.
type slowStart struct{}

func (slowStart) OnStart(ctx context.Context) error {
	<-ctx.Done()
	return ctx.Err()
}
