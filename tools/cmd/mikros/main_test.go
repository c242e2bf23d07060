package main

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mikros-go/mikros/core/definition"
)

// directives are what a conformance case's leading comments ask for.
type directives struct {
	exit   string
	errors []string
	lines  []string
	env    map[string]string
	unset  []string
}

func readDirectives(t *testing.T, path string) directives {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d := directives{env: map[string]string{}}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "#") {
			break
		}
		key, value, ok := strings.Cut(strings.TrimSpace(strings.TrimPrefix(line, "#")), ":")
		if !ok {
			continue
		}
		value = strings.TrimSpace(value)
		switch key {
		case "expect":
			d.exit = strings.TrimPrefix(value, "exit ")
		case "expect-error":
			d.errors = append(d.errors, value)
		case "expect-line":
			d.lines = append(d.lines, value)
		case "env":
			k, v, _ := strings.Cut(value, "=")
			d.env[k] = v
		case "unset":
			d.unset = append(d.unset, value)
		default:
			t.Fatalf("%s: unknown directive %q", path, key)
		}
	}
	if d.exit != "0" && d.exit != "2" {
		t.Fatalf("%s: no `# expect: exit 0|2` directive", path)
	}
	return d
}

// setEnv applies a case's environment for the duration of the test.
func setEnv(t *testing.T, d directives) {
	for k, v := range d.env {
		t.Setenv(k, v)
	}
	for _, k := range d.unset {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
}

// TestConformance runs every case of the shared service.toml conformance
// suite, and this repository's own cases, through `mikros check`.
func TestConformance(t *testing.T) {
	files, err := filepath.Glob("testdata/conformance/*.toml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no conformance cases: %v", err)
	}
	own, _ := filepath.Glob("testdata/cases/*.toml")
	files = append(files, own...)
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			d := readDirectives(t, file)
			setEnv(t, d)
			var stdout, stderr bytes.Buffer
			code := run([]string{"check", file}, &stdout, &stderr)
			out := stderr.String()
			if want := map[string]int{"0": 0, "2": 2}[d.exit]; code != want {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, want, stdout.String(), out)
			}
			for _, e := range d.errors {
				if !strings.Contains(out, e) {
					t.Errorf("output lacks %q:\n%s", e, out)
				}
			}
			for _, l := range d.lines {
				if !strings.Contains(out, file+":"+l+":") {
					t.Errorf("output does not place a problem at line %s:\n%s", l, out)
				}
			}
			if code == 0 && !strings.Contains(stdout.String(), file+": valid:") {
				t.Errorf("no summary on stdout: %q", stdout.String())
			}
		})
	}
}

// TestConformanceCopyIsCurrent keeps this copy of the suite equal to the
// shared one and to core's, when they are beside the repository.
func TestConformanceCopyIsCurrent(t *testing.T) {
	files, _ := filepath.Glob("testdata/conformance/*")
	for _, other := range []string{"../../../../shared/conformance/service-toml", "../../../core/definition/testdata/conformance"} {
		if _, err := os.Stat(other); err != nil {
			continue
		}
		for _, f := range files {
			mine, _ := os.ReadFile(f)
			theirs, err := os.ReadFile(filepath.Join(other, filepath.Base(f)))
			if err == nil && !bytes.Equal(mine, theirs) {
				t.Errorf("%s differs from %s", f, filepath.Join(other, filepath.Base(f)))
			}
		}
	}
}

// TestUsage expects help asked for on stdout with exit status 0, and a
// command line that is not understood answered on stderr with exit status 2.
func TestUsage(t *testing.T) {
	const (
		top   = "usage: mikros <command> [arguments]"
		check = "usage: mikros check [FILE]"
	)
	tests := []struct {
		args   []string
		code   int
		stdout string // the start of stdout; nothing on stderr
		stderr string // part of stderr; nothing on stdout
	}{
		{args: []string{"-h"}, code: 0, stdout: top},
		{args: []string{"-help"}, code: 0, stdout: top},
		{args: []string{"--help"}, code: 0, stdout: top},
		{args: []string{"help"}, code: 0, stdout: top},
		{args: []string{"help", "help"}, code: 0, stdout: top},
		{args: []string{"help", "check"}, code: 0, stdout: check},
		{args: []string{"--help", "check"}, code: 0, stdout: check},
		{args: []string{"check", "-h"}, code: 0, stdout: check},
		{args: []string{"check", "--help"}, code: 0, stdout: check},
		{args: []string{"check", "service.toml", "-help"}, code: 0, stdout: check},

		{args: nil, code: 2, stderr: "mikros: no command given\n\n" + top},
		{args: []string{"lint"}, code: 2, stderr: `mikros: unknown command "lint"` + "\n\n" + top},
		{args: []string{"--version"}, code: 2, stderr: `mikros: unknown command "--version"`},
		{args: []string{"help", "lint"}, code: 2, stderr: `mikros help: unknown command "lint"` + "\n\n" + top},
		{args: []string{"help", "check", "lint"}, code: 2, stderr: "mikros help: one command at most"},
		{args: []string{"check", "a", "b"}, code: 2, stderr: "mikros check: one FILE at most, not 2\n\n" + check},
		{args: []string{"check", "-v"}, code: 2, stderr: "mikros check: unknown flag -v\n\n" + check},
		{args: []string{"check", "testdata/nope.toml"}, code: 2, stderr: "testdata/nope.toml: cannot read"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(append([]string{"mikros"}, tt.args...), " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(tt.args, &stdout, &stderr)
			if code != tt.code {
				t.Errorf("exit %d, want %d", code, tt.code)
			}
			if tt.stdout != "" && (!strings.HasPrefix(stdout.String(), tt.stdout) || stderr.Len() > 0) {
				t.Errorf("stdout %q, stderr %q; want stdout to start with %q, nothing on stderr", stdout.String(), stderr.String(), tt.stdout)
			}
			if tt.stderr != "" && (!strings.Contains(stderr.String(), tt.stderr) || stdout.Len() > 0) {
				t.Errorf("stdout %q, stderr %q; want %q on stderr, nothing on stdout", stdout.String(), stderr.String(), tt.stderr)
			}
		})
	}
}

// TestAgreesWithServices checks that a service binary in check mode
// (MIKROS_CHECK=1) and `mikros check` say the same about the service's own
// definition, as it is and after a typo.
func TestAgreesWithServices(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the examples")
	}
	for _, example := range []string{"script", "native", "greeter"} {
		t.Run(example, func(t *testing.T) {
			dir := filepath.Join("..", "..", "..", "examples", example)
			if _, err := os.Stat(dir); err != nil {
				t.Skipf("examples not beside the tools module: %v", err)
			}
			bin := filepath.Join(t.TempDir(), example)
			build := exec.Command("go", "build", "-o", bin, ".")
			build.Dir = dir
			if out, err := build.CombinedOutput(); err != nil {
				t.Fatalf("build: %v\n%s", err, out)
			}
			text, err := os.ReadFile(filepath.Join(dir, "service.toml"))
			if err != nil {
				t.Fatal(err)
			}
			typo := bytes.Replace(text, []byte("product "), []byte("prodcut "), 1)
			if bytes.Equal(typo, text) {
				t.Fatal("could not make a typo in the example's service.toml")
			}
			for name, content := range map[string][]byte{"as is": text, "with a typo": typo} {
				file := filepath.Join(t.TempDir(), "service.toml")
				if err := os.WriteFile(file, content, 0o644); err != nil {
					t.Fatal(err)
				}
				svc := exec.Command(bin)
				svc.Env = append(os.Environ(), "MIKROS_CHECK=1", "MIKROS_CONFIG="+file)
				var svcOut, svcErr bytes.Buffer
				svc.Stdout, svc.Stderr = &svcOut, &svcErr
				_ = svc.Run()
				var toolOut, toolErr bytes.Buffer
				code := run([]string{"check", file}, &toolOut, &toolErr)
				if got := svc.ProcessState.ExitCode(); got != code || svcOut.String() != toolOut.String() || svcErr.String() != toolErr.String() {
					t.Errorf("%s: the service and mikros check disagree:\nservice (exit %d):\n%s%s\nmikros check (exit %d):\n%s%s",
						name, got, svcOut.String(), svcErr.String(), code, toolOut.String(), toolErr.String())
				}
				if name == "with a typo" && (code != 2 || !strings.Contains(toolErr.String(), `did you mean "product"?`)) {
					t.Errorf("the typo was not reported: exit %d\n%s", code, toolErr.String())
				}
			}
		})
	}
}

// TestCheckReadsABoundedFile checks a file far larger than a definition may
// be: mikros check reads no more of it than the limit and one byte, and
// reports it as one problem.
func TestCheckReadsABoundedFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "service.toml")
	big := strings.Repeat("# a comment line of a file that never ends\n", 4*definition.MaxSize/43)
	if err := os.WriteFile(path, []byte(big), 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{"check", path}, &stdout, &stderr); code != 2 {
		t.Fatalf("exit %d, want 2; stderr:\n%s", code, stderr.String())
	}
	if got := strings.Count(stderr.String(), "\n"); got != 1 || !strings.Contains(stderr.String(), "too large") {
		t.Errorf("want one problem saying the file is too large, got:\n%s", stderr.String())
	}
}
