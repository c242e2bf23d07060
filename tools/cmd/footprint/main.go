// Command footprint measures what a minimal Mikros service costs a
// machine: the size of the script example's binary and the modules it
// links, how long it takes from exec to exit next to a Go hello world built
// the same way, and how long the idle native example takes from SIGTERM to
// exit. It prints a Markdown report for BENCHMARKS.md.
//
//	go run ./tools/cmd/footprint            # from the repository root
//	go run ./tools/cmd/footprint -n 300     # more runs
//
// It fails when the binary is over its size budget (-max-mib, 6 by default)
// or links a module a script service must not; the times are reported, not
// judged, since a shared machine makes them vary.
//
// Binaries are built as for production: go build -trimpath -ldflags="-s -w".
// Exec-to-exit runs alternate between the two binaries, so that both see the
// same machine.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// forbidden are module path prefixes a script service must not link.
var forbidden = []string{
	"google.golang.org/grpc", "google.golang.org/protobuf", "github.com/golang/protobuf",
	"go.opentelemetry.io/", "github.com/prometheus/",
}

const helloWorld = `package main

import "fmt"

func main() { fmt.Println("hello, world") }
`

// netHTTPFloor is a hello world that links net/http, as zap (and so the
// logger feature) does: the start-up cost of the standard library's
// net/http and crypto initialisation, which no service using zap avoids.
const netHTTPFloor = `package main

import (
	"fmt"
	"net/http"
	"os"
)

func main() {
	fmt.Println("hello, world")
	if len(os.Args) > 99 {
		_ = http.ListenAndServe(os.Args[1], nil)
	}
}
`

func main() {
	runs := flag.Int("n", 200, "exec-to-exit runs of each binary")
	stops := flag.Int("stops", 20, "SIGTERM-to-exit runs of the native example")
	maxSize := flag.Float64("max-mib", 6, "fail when the script example's binary is larger (MiB); 0 turns the check off")
	flag.Parse()
	if err := run(*runs, *stops, *maxSize); err != nil {
		fmt.Fprintln(os.Stderr, "footprint:", err)
		os.Exit(1)
	}
}

func run(runs, stops int, maxSize float64) error {
	root, err := repoRoot()
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "footprint")
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(tmp) }()

	script := filepath.Join(tmp, "script")
	native := filepath.Join(tmp, "native")
	hello := filepath.Join(tmp, "hello")
	for _, b := range []struct{ dir, out string }{
		{filepath.Join(root, "examples/script"), script},
		{filepath.Join(root, "examples/native"), native},
	} {
		if err := build(b.dir, b.out, nil); err != nil {
			return err
		}
	}
	floor := filepath.Join(tmp, "floor")
	for _, p := range []struct{ src, out string }{{helloWorld, hello}, {netHTTPFloor, floor}} {
		if err := buildSource(tmp, p.src, p.out); err != nil {
			return err
		}
	}

	goVersion, _ := exec.Command("go", "env", "GOVERSION").Output()
	fmt.Printf("Measured %s with %s on %s, %d cores.\n\n", time.Now().UTC().Format("2006-01-02"), strings.TrimSpace(string(goVersion)), hostName(), numCPU())

	fmt.Println("### Binary of examples/script")
	fmt.Println()
	size := fileSize(script)
	fmt.Printf("| binary | size |\n|---|---|\n| examples/script | %.2f MiB (%d bytes) |\n| Go hello world linking net/http | %.2f MiB |\n| Go hello world | %.2f MiB |\n\n",
		mib(size), size, mib(fileSize(floor)), mib(fileSize(hello)))
	if maxSize > 0 && mib(size) > maxSize {
		return fmt.Errorf("examples/script is %.2f MiB, over the %.2f MiB budget", mib(size), maxSize)
	}
	mods, err := modules(script)
	if err != nil {
		return err
	}
	var bad []string
	for _, m := range mods {
		for _, f := range forbidden {
			if strings.HasPrefix(m, f) {
				bad = append(bad, m)
			}
		}
	}
	fmt.Printf("Modules linked (`go version -m`): %s.\n", strings.Join(mods, ", "))
	if len(bad) > 0 {
		return fmt.Errorf("examples/script links %s, which a script service must not", strings.Join(bad, ", "))
	} else {
		fmt.Println("No gRPC, protobuf, OpenTelemetry or Prometheus module.")
		fmt.Println()
	}

	fmt.Println("### exec → exit")
	fmt.Println()
	scriptDir := filepath.Join(root, "examples/script")
	var tScript, tHello, tFloor []time.Duration
	for i := 0; i < runs; i++ {
		for _, r := range []struct {
			bin, dir string
			into     *[]time.Duration
		}{{script, scriptDir, &tScript}, {hello, tmp, &tHello}, {floor, tmp, &tFloor}} {
			d, err := timeRun(r.bin, r.dir)
			if err != nil {
				return err
			}
			*r.into = append(*r.into, d)
		}
	}
	ms, mh, mf := median(tScript), median(tHello), median(tFloor)
	fmt.Printf("| binary | median | p90 | ratio to hello world | runs |\n|---|---|---|---|---|\n")
	fmt.Printf("| examples/script | %s | %s | **%.2f×** | %d |\n", round(ms), round(pct(tScript, 90)), float64(ms)/float64(mh), runs)
	fmt.Printf("| Go hello world linking net/http | %s | %s | %.2f× | %d |\n", round(mf), round(pct(tFloor, 90)), float64(mf)/float64(mh), runs)
	fmt.Printf("| Go hello world | %s | %s | 1× | %d |\n\n", round(mh), round(pct(tHello, 90)), runs)
	fmt.Printf("Above the net/http floor, Mikros (definition, lifecycle, logger, four log lines) costs %s, %.2f× the floor.\n\n",
		round(ms-mf), float64(ms)/float64(mf))

	fmt.Println("### SIGTERM → exit of the idle native example")
	fmt.Println()
	var tStop []time.Duration
	for i := 0; i < stops; i++ {
		d, err := timeStop(native, filepath.Join(root, "examples/native"))
		if err != nil {
			return err
		}
		tStop = append(tStop, d)
	}
	fmt.Printf("| median | p90 | max | runs |\n|---|---|---|---|\n| %s | %s | %s | %d |\n",
		round(median(tStop)), round(pct(tStop, 90)), round(slices.Max(tStop)), stops)
	return nil
}

// buildSource builds a one-file program on its own (no workspace).
func buildSource(tmp, src, out string) error {
	dir, err := os.MkdirTemp(tmp, "src")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(src), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module probe\n\ngo 1.26.0\n"), 0o644); err != nil {
		return err
	}
	return build(dir, out, []string{"GOWORK=off"})
}

func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.work above the working directory; run from the repository")
		}
		dir = parent
	}
}

func build(dir, out string, env []string) error {
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", out, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("build %s: %v\n%s", dir, err, b)
	}
	return nil
}

func modules(bin string) ([]string, error) {
	out, err := exec.Command("go", "version", "-m", bin).Output()
	if err != nil {
		return nil, fmt.Errorf("go version -m: %v", err)
	}
	var mods []string
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && (f[0] == "dep" || f[0] == "=>") {
			mods = append(mods, f[1])
		}
	}
	return mods, nil
}

// timeRun runs bin in dir and returns the wall time from exec to exit.
func timeRun(bin, dir string) (time.Duration, error) {
	cmd := exec.Command(bin)
	cmd.Dir = dir
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	begin := time.Now()
	err := cmd.Run()
	d := time.Since(begin)
	if err != nil {
		return 0, fmt.Errorf("%s: %v", bin, err)
	}
	return d, nil
}

// timeStop starts the native example, waits until it is running and idle,
// and times SIGTERM to exit.
func timeStop(bin, dir string) (time.Duration, error) {
	cmd := exec.Command(bin)
	cmd.Dir = dir
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return 0, err
	}
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	sc := bufio.NewScanner(stderr)
	started := false
	for sc.Scan() {
		if strings.Contains(sc.Text(), "service started in") {
			started = true
			break
		}
	}
	go func() { _, _ = io.Copy(io.Discard, stderr) }()
	if !started {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return 0, fmt.Errorf("%s did not start", bin)
	}
	time.Sleep(100 * time.Millisecond) // idle
	begin := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return 0, err
	}
	if err := cmd.Wait(); err != nil {
		return 0, fmt.Errorf("%s after SIGTERM: %v", bin, err)
	}
	return time.Since(begin), nil
}

func fileSize(path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return st.Size()
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }

func median(ds []time.Duration) time.Duration { return pct(ds, 50) }

func pct(ds []time.Duration, p int) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[(len(s)-1)*p/100]
}

func round(d time.Duration) time.Duration { return d.Round(10 * time.Microsecond) }

func hostName() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "this machine"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "model name") {
			if _, v, ok := strings.Cut(line, ":"); ok {
				return strings.TrimSpace(v)
			}
		}
	}
	return "this machine"
}

func numCPU() int {
	out, err := exec.Command("nproc").Output()
	if err != nil {
		return 0
	}
	var n int
	_, _ = fmt.Sscan(string(out), &n)
	return n
}
