package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// Bounds of a run.
const (
	readyTimeout = 15 * time.Second // from exec to the first answer
	exitTimeout  = 30 * time.Second // from SIGTERM to the exit, then SIGKILL
	// afterExit is how long the load goes on once the server exited, so
	// that every connection it held back is refused or given up on.
	afterExit = dialTimeout + 500*time.Millisecond
)

// spec is the server of a run.
type spec struct {
	name       string // greeter or barehttp
	proto      string // http or grpc
	tmp        string // where the binaries are
	config     string // the greeter's service.toml
	drainDelay time.Duration
}

// result is what a run measured.
type result struct {
	tallies  map[mode]*tally
	exitCode int
	stopTook time.Duration // from SIGTERM to the exit
}

func (r *result) summary() string {
	s := fmt.Sprintf("exit %d after %s;", r.exitCode, r.stopTook.Round(time.Millisecond))
	for _, m := range modes {
		t := r.tallies[m]
		s += fmt.Sprintf(" %s %d sent, %d answered, %d refused, %d unsent, %d lost;", m, t.sent, t.answered, t.refused, t.unsent, t.lost)
	}
	return s[:len(s)-1]
}

// runOnce starts the server, loads it, sends it SIGTERM once it has been
// loaded for o.before, and stops loading once it exited (or o.duration
// after the load began). The server is killed if it outlives the run.
func runOnce(ctx context.Context, s *spec, o *options) (*result, error) {
	addr, p, err := start(s)
	if err != nil {
		return nil, err
	}
	defer p.kill()
	if err := waitReady(ctx, p, s.proto, addr); err != nil {
		return nil, fmt.Errorf("%w\n%s", err, p.output())
	}

	loadCtx, stopLoad := context.WithTimeout(ctx, o.duration)
	defer stopLoad()
	tallies := map[mode]*tally{}
	var wg sync.WaitGroup
	for _, m := range modes {
		t := &tally{}
		tallies[m] = t
		for range o.clients {
			wg.Go(func() { load(loadCtx, s.proto, m, addr, t) })
		}
	}
	res := &result{tallies: tallies, exitCode: -1}
	select {
	case <-time.After(o.before):
	case <-ctx.Done():
	case <-p.exited:
	}
	termAt := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		stopLoad()
		wg.Wait()
		return nil, err
	}
	select {
	case <-p.exited:
		res.stopTook = time.Since(termAt)
		select { // the clients meet the closed server
		case <-time.After(afterExit):
		case <-loadCtx.Done():
		}
	case <-loadCtx.Done():
	}
	stopLoad()
	wg.Wait() // each request is bounded by the clients' timeouts
	select {
	case <-p.exited:
	case <-time.After(exitTimeout):
		p.kill()
		<-p.exited
	}
	if res.stopTook == 0 {
		res.stopTook = time.Since(termAt)
	}
	res.exitCode = p.cmd.ProcessState.ExitCode()
	if res.exitCode != 0 {
		fmt.Fprintf(os.Stderr, "%s exited %d:\n%s\n", s.name, res.exitCode, p.output())
	}
	return res, ctx.Err()
}

// process is a server started by the command.
type process struct {
	cmd    *exec.Cmd
	out    *lockedBuffer
	exited chan struct{} // closed once it exited
}

// kill kills the process unless it exited.
func (p *process) kill() {
	select {
	case <-p.exited:
	default:
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
}

// output returns the last lines the process wrote.
func (p *process) output() string {
	b := p.out.Bytes()
	lines := bytes.Split(bytes.TrimRight(b, "\n"), []byte("\n"))
	if len(lines) > 20 {
		lines = lines[len(lines)-20:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}

// start starts the server of s on free loopback ports, and returns the
// address the run's protocol is served on.
func start(s *spec) (string, *process, error) {
	ports, err := freePorts(3)
	if err != nil {
		return "", nil, err
	}
	httpAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[0]))
	grpcAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[1]))
	var cmd *exec.Cmd
	addr := httpAddr
	switch s.name {
	case "greeter":
		cmd = exec.Command(filepath.Join(s.tmp, "greeter"))
		cmd.Env = append(os.Environ(),
			"MIKROS_CONFIG="+s.config,
			"MIKROS_HTTP_PORT="+strconv.Itoa(ports[0]),
			"MIKROS_GRPC_PORT="+strconv.Itoa(ports[1]),
			"MIKROS_ADMIN_PORT="+strconv.Itoa(ports[2]))
		if s.proto == "grpc" {
			addr = grpcAddr
		}
	case "barehttp":
		cmd = exec.Command(filepath.Join(s.tmp, "barehttp"), "-addr", httpAddr, "-timeouts", "-shutdown", "-drain-delay", s.drainDelay.String())
	default:
		return "", nil, fmt.Errorf("unknown server %q", s.name)
	}
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = dieWithParent()
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	p := &process{cmd: cmd, out: out, exited: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(p.exited)
	}()
	return addr, p, nil
}

// freePorts returns n ports free on 127.0.0.1 a moment ago.
func freePorts(n int) ([]int, error) {
	var ports []int
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			_ = ln.Close()
		}
	}()
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		lns = append(lns, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// waitReady sends requests until one is answered, at most readyTimeout.
func waitReady(ctx context.Context, p *process, proto, addr string) error {
	deadline := time.Now().Add(readyTimeout)
	for {
		rctx, cancel := context.WithTimeout(ctx, time.Second)
		err := probe(rctx, proto, addr)
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-p.exited:
			return fmt.Errorf("the server exited before it answered: %v", err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no answer within %s: %v", readyTimeout, err)
		}
	}
}

// lockedBuffer is a buffer that a process writes to while the command
// reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// Bytes returns a copy of what was written.
func (b *lockedBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}
