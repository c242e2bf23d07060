package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestParseArgs(t *testing.T) {
	tests := []struct {
		args    []string
		want    invocation
		wantErr string
	}{
		{args: []string{"list"}, want: invocation{command: "list"}},
		{args: []string{"check"}, want: invocation{command: "check"}},
		{args: []string{"test"}, want: invocation{command: "test"}},
		{
			args: []string{"test", "./core/", "kinds/script", "--", "-run", "X", "--", "-v"},
			want: invocation{command: "test", dirs: []string{"core", "kinds/script"},
				rest: []string{"-run", "X", "--", "-v"}, dashes: true},
		},
		{
			args: []string{"each", "--", "go", "mod", "tidy"},
			want: invocation{command: "each", rest: []string{"go", "mod", "tidy"}, dashes: true},
		},
		{args: []string{"standalone", "core"}, want: invocation{command: "standalone", dirs: []string{"core"}}},
		{args: []string{"tidy"}, want: invocation{command: "tidy"}},
		{
			args: []string{"tidy", "core", "-check", "kinds/script/"},
			want: invocation{command: "tidy", dirs: []string{"core", "kinds/script"}, check: true},
		},
		{args: []string{"tidy", "--check"}, want: invocation{command: "tidy", check: true}},
		{args: nil, wantErr: "no command given"},
		{args: []string{"lint"}, wantErr: `unknown command "lint"`},
		{args: []string{"list", "core"}, wantErr: "list takes no arguments"},
		{args: []string{"check", "--"}, wantErr: "check takes no arguments"},
		{args: []string{"each", "go", "version"}, wantErr: "each needs a command after --"},
		{args: []string{"each", "--"}, wantErr: "each needs a command after --"},
		{args: []string{"test", "-run", "X"}, wantErr: "test: unknown flag -run"},
		{args: []string{"standalone", "--", "-v"}, wantErr: "standalone takes no arguments after --"},
		{args: []string{"standalone", "-check"}, wantErr: "standalone: unknown flag -check"},
		{args: []string{"tidy", "-diff"}, wantErr: "tidy: unknown flag -diff"},
		{args: []string{"tidy", "--", "core"}, wantErr: "tidy takes no arguments after --"},
	}
	for _, tt := range tests {
		got, err := parseArgs(tt.args)
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("parseArgs(%q) error = %v, want %q", tt.args, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("parseArgs(%q) = %+v, %v; want %+v", tt.args, got, err, tt.want)
		}
	}
}

// TestRunUsage expects help asked for on stdout with exit status 0, and a
// command line that is not understood answered on stderr with exit status 2.
func TestRunUsage(t *testing.T) {
	for _, args := range [][]string{{"-h"}, {"-help"}, {"--help"}, {"help"}} {
		var stdout, stderr bytes.Buffer
		if code := run(t.Context(), args, &stdout, &stderr); code != exitOK {
			t.Errorf("run(%q) = %d, want %d", args, code, exitOK)
		}
		if !strings.HasPrefix(stdout.String(), "usage: go run ./tools/cmd/mono") || stderr.Len() > 0 {
			t.Errorf("run(%q): stdout\n%s\nstderr\n%s\nwant the usage on stdout only", args, &stdout, &stderr)
		}
	}
	for _, args := range [][]string{nil, {"frobnicate"}, {"list", "extra"}} {
		var stdout, stderr bytes.Buffer
		if code := run(t.Context(), args, &stdout, &stderr); code != exitUsage {
			t.Errorf("run(%q) = %d, want %d", args, code, exitUsage)
		}
		if !strings.Contains(stderr.String(), "usage: go run ./tools/cmd/mono") {
			t.Errorf("run(%q) printed no usage; stderr:\n%s", args, &stderr)
		}
		if stdout.Len() > 0 {
			t.Errorf("run(%q) wrote to stdout:\n%s", args, &stdout)
		}
	}
}

func TestRunInFixture(t *testing.T) {
	t.Setenv("GOPROXY", "off")
	root := copyFixture(t, "good")
	t.Chdir(filepath.Join(root, "core", "config")) // the root is found from a subdirectory

	var stdout, stderr bytes.Buffer
	if code := run(t.Context(), []string{"list"}, &stdout, &stderr); code != exitOK {
		t.Fatalf("list = %d; stderr:\n%s", code, &stderr)
	}
	wantList := "" +
		"bench            github.com/mikros-go/mikros/bench            (unreleased)\n" +
		"core             github.com/mikros-go/mikros/core             v0.1.0\n" +
		"examples/script  github.com/mikros-go/mikros/examples/script  (unreleased)\n" +
		"features/logger  github.com/mikros-go/mikros/features/logger  v0.2.0\n" +
		"kinds/script     github.com/mikros-go/mikros/kinds/script     v1.0.0-rc.1\n" +
		"tools            github.com/mikros-go/mikros/tools            (unreleased)\n"
	if stdout.String() != wantList || stderr.Len() > 0 {
		t.Errorf("list printed\n%s\nwant\n%s\nstderr:\n%s", &stdout, wantList, &stderr)
	}

	stdout.Reset()
	stderr.Reset()
	if code := run(t.Context(), []string{"check"}, &stdout, &stderr); code != exitOK || stdout.Len() > 0 {
		t.Errorf("check = %d; stdout:\n%s\nstderr:\n%s", code, &stdout, &stderr)
	}

	stdout.Reset()
	stderr.Reset()
	if code := run(t.Context(), []string{"tidy", "-check", "kinds/script"}, &stdout, &stderr); code != exitOK ||
		stdout.String() != "==> kinds/script\nunchanged\n" {
		t.Errorf("tidy -check kinds/script = %d; stdout:\n%s\nstderr:\n%s", code, &stdout, &stderr)
	}

	stdout.Reset()
	stderr.Reset()
	if code := run(t.Context(), []string{"each", "nope", "--", "true"}, &stdout, &stderr); code != exitUsage ||
		!strings.Contains(stderr.String(), "nope is not a module of the workspace") {
		t.Errorf("each nope = %d; stderr:\n%s", code, &stderr)
	}
}

// fakeRun records the commands it is asked to run. It fails them in the
// directories that end in one of failDirs, except go list, and has go list
// find no packages in the directories that end in one of emptyDirs.
type fakeRun struct {
	failDirs, emptyDirs []string
	calls               []string
}

func (f *fakeRun) run(_ context.Context, dir string, stdout, _ io.Writer, args []string) error {
	dir = filepath.ToSlash(dir)
	in := func(dirs []string) bool {
		return slices.ContainsFunc(dirs, func(d string) bool { return strings.HasSuffix(dir, "/"+d) })
	}
	cmd := strings.Join(args, " ")
	f.calls = append(f.calls, dir+": "+cmd)
	switch {
	case cmd == "go list ./..." && in(f.emptyDirs):
		return nil
	case cmd == "go list ./...":
		io.WriteString(stdout, "example.com/pkg\n")
		return nil
	}
	io.WriteString(stdout, "output of "+args[0]+"\n")
	if in(f.failDirs) {
		return errors.New("exit status 1")
	}
	return nil
}

func fixtureModules(dirs ...string) []*Module {
	var mods []*Module
	for _, d := range dirs {
		mods = append(mods, &Module{Dir: d, InWork: true, InTree: true})
	}
	return mods
}

func TestCmdEach(t *testing.T) {
	mods := fixtureModules("core", "features/logger", "kinds/script")
	f := &fakeRun{failDirs: []string{"core", "kinds/script"}}
	var stdout, stderr bytes.Buffer
	code := cmdEach(t.Context(), "/repo", mods, []string{"go", "mod", "tidy"}, &stdout, &stderr, f.run)
	if code != exitFailure {
		t.Errorf("cmdEach() = %d, want %d", code, exitFailure)
	}
	wantCalls := []string{
		"/repo/core: go mod tidy",
		"/repo/features/logger: go mod tidy",
		"/repo/kinds/script: go mod tidy",
	}
	if !slices.Equal(f.calls, wantCalls) {
		t.Errorf("ran %q, want %q", f.calls, wantCalls)
	}
	wantOut := "==> core\noutput of go\n==> features/logger\noutput of go\n==> kinds/script\noutput of go\n"
	if stdout.String() != wantOut {
		t.Errorf("stdout =\n%s\nwant\n%s", &stdout, wantOut)
	}
	if want := `go mod tidy failed in 2 of 3 modules: core, kinds/script`; !strings.Contains(stderr.String(), want) {
		t.Errorf("stderr lacks %q:\n%s", want, &stderr)
	}

	f = &fakeRun{}
	if code := cmdEach(t.Context(), "/repo", mods, []string{"true"}, io.Discard, io.Discard, f.run); code != exitOK {
		t.Errorf("cmdEach() = %d with no failure, want %d", code, exitOK)
	}
}

func TestCmdTest(t *testing.T) {
	mods := fixtureModules("core", "examples/native", "tools")
	f := &fakeRun{failDirs: []string{"tools"}, emptyDirs: []string{"examples/native"}}
	var stdout, stderr bytes.Buffer
	code := cmdTest(t.Context(), "/repo", mods, []string{"-run", "X"}, &stdout, &stderr, f.run)
	if code != exitFailure {
		t.Errorf("cmdTest() = %d, want %d", code, exitFailure)
	}
	wantCalls := []string{
		"/repo/core: go list ./...",
		"/repo/core: go vet ./...",
		"/repo/core: go test -race -count=1 ./... -run X",
		"/repo/examples/native: go list ./...",
		"/repo/tools: go list ./...",
		"/repo/tools: go vet ./...",
		"/repo/tools: go test -race -count=1 ./... -run X",
	}
	if !slices.Equal(f.calls, wantCalls) {
		t.Errorf("ran %q, want %q", f.calls, wantCalls)
	}
	wantOut := "==> core\n" +
		"$ go vet ./...\noutput of go\n" +
		"$ go test -race -count=1 ./... -run X\noutput of go\n" +
		"==> examples/native\n" +
		"no Go packages; nothing to do\n" +
		"==> tools\n" +
		"$ go vet ./...\noutput of go\n" +
		"$ go test -race -count=1 ./... -run X\noutput of go\n" +
		"==> summary\n" +
		"ok    core\n" +
		"ok    examples/native\n" +
		"FAIL  tools (go vet, go test)\n"
	if stdout.String() != wantOut {
		t.Errorf("stdout =\n%s\nwant\n%s", &stdout, wantOut)
	}
	if want := "mono test: 1 of 3 modules failed: tools"; !strings.Contains(stderr.String(), want) {
		t.Errorf("stderr lacks %q:\n%s", want, &stderr)
	}
}

func TestCmdTestInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	f := &fakeRun{}
	code := cmdTest(ctx, "/repo", fixtureModules("core"), nil, io.Discard, io.Discard, f.run)
	if code != exitFailure || slices.ContainsFunc(f.calls, func(c string) bool { return strings.Contains(c, "go test") }) {
		t.Errorf("cmdTest() after cancellation = %d and ran %q; want failure and no test run", code, f.calls)
	}
}

func TestSelectModules(t *testing.T) {
	r := &Repo{Modules: append(fixtureModules("core", "kinds/script"), &Module{Dir: "bench", InTree: true})}
	tests := []struct {
		dirs    []string
		want    []string
		wantErr bool
	}{
		{dirs: nil, want: []string{"core", "kinds/script"}},
		{dirs: []string{"kinds/script", "core", "kinds/script"}, want: []string{"kinds/script", "core"}},
		{dirs: []string{"bench"}, wantErr: true},
		{dirs: []string{"kinds"}, wantErr: true},
	}
	for _, tt := range tests {
		mods, err := selectModules(r, tt.dirs)
		if (err != nil) != tt.wantErr {
			t.Errorf("selectModules(%q) error = %v, want error: %v", tt.dirs, err, tt.wantErr)
			continue
		}
		var got []string
		for _, m := range mods {
			got = append(got, m.Dir)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("selectModules(%q) = %q, want %q", tt.dirs, got, tt.want)
		}
	}
}
