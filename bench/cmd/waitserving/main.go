// Command waitserving measures how long a gRPC server takes from exec to
// answering SERVING to a health check, and how much memory it then holds.
//
//	waitserving -addr 127.0.0.1:7070 [-rss-after 1s] [-timeout 10s] -- CMD [ARG...]
//
// It starts CMD (with waitserving's environment, stdout and stderr), calls
// grpc.health.v1.Health/Check for the whole server ("") at addr about
// every millisecond until the answer is SERVING, then prints one line:
//
//	serving_us=12345 rss_kib=9876
//
// serving_us is the time from just before the exec to the SERVING answer,
// in microseconds; rss_kib is the process's VmRSS (/proc/PID/status)
// -rss-after later (0: not measured; the field is left out). It then
// sends SIGTERM, waits for the process to exit (at most -timeout, then
// kills it), and exits 0. It exits 1 when the server is not SERVING within
// -timeout, or exits first.
//
// Without CMD, it only waits for the server at addr to be SERVING (for a
// server started otherwise), and with -hello also checks that it answers
// SayHello{name:"Ada"} with "Hello, Ada" and status OK.
//
// The process CMD names is the server itself when CMD execs it (as
// taskset does): its RSS is read from CMD's own pid.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/mikros-go/mikros/bench"
)

// pollInterval is the time between two health checks.
const pollInterval = time.Millisecond

func main() {
	addr := flag.String("addr", "127.0.0.1:7070", "the server's gRPC address")
	timeout := flag.Duration("timeout", 10*time.Second, "the longest wait for SERVING, and for the exit after SIGTERM")
	rssAfter := flag.Duration("rss-after", 0, "read the server's VmRSS this long after SERVING (0: do not)")
	hello := flag.Bool("hello", false, "without CMD: also check one SayHello call")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: waitserving [-addr host:port] [-timeout d] [-rss-after d] [-hello] [-- CMD [ARG...]]")
		flag.PrintDefaults()
	}
	flag.Parse()
	if err := run(*addr, *timeout, *rssAfter, *hello, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "waitserving:", err)
		os.Exit(1)
	}
}

func run(addr string, timeout, rssAfter time.Duration, hello bool, args []string) error {
	// The connection retries every millisecond, not with gRPC's default
	// backoff (1s and growing), so that a refused connection is tried
	// again at once.
	conn, err := grpc.NewClient(addr,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithConnectParams(grpc.ConnectParams{
			Backoff:           backoff.Config{BaseDelay: pollInterval, Multiplier: 1, MaxDelay: pollInterval},
			MinConnectTimeout: timeout,
		}))
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close() }()
	health := healthpb.NewHealthClient(conn)

	if len(args) == 0 {
		if _, err := waitServing(health, time.Now().Add(timeout), nil); err != nil {
			return err
		}
		if hello {
			return sayHello(conn, timeout)
		}
		return nil
	}

	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	// The server must not outlive waitserving: killed with it, or when
	// waitserving is told to stop.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	exited := make(chan struct{}) // closed when cmd exited
	var exitErr error
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return err
	}
	go func() {
		exitErr = cmd.Wait()
		close(exited)
	}()
	go func() {
		<-sigs
		_ = cmd.Process.Kill()
		<-exited
		os.Exit(1)
	}()
	defer stop(cmd, exited, timeout)

	at, err := waitServing(health, start.Add(timeout), exited)
	if err != nil {
		select {
		case <-exited:
			return fmt.Errorf("%w (%v)", err, exitErr)
		default:
			return err
		}
	}
	line := fmt.Sprintf("serving_us=%d", at.Sub(start).Microseconds())
	if rssAfter > 0 {
		time.Sleep(rssAfter)
		rss, err := vmRSS(cmd.Process.Pid)
		if err != nil {
			return err
		}
		line += fmt.Sprintf(" rss_kib=%d", rss)
	}
	fmt.Println(line)
	return nil
}

// waitServing checks the server's health every pollInterval until it
// answers SERVING, and returns when it did. It gives up at deadline, or
// when exited (if not nil) is closed: the server is gone.
func waitServing(health healthpb.HealthClient, deadline time.Time, exited <-chan struct{}) (time.Time, error) {
	for {
		ctx, cancel := context.WithDeadline(context.Background(), deadline)
		resp, err := health.Check(ctx, &healthpb.HealthCheckRequest{})
		cancel()
		if err == nil && resp.GetStatus() == healthpb.HealthCheckResponse_SERVING {
			return time.Now(), nil
		}
		if time.Now().After(deadline) {
			return time.Time{}, fmt.Errorf("not SERVING in time (last answer: %v, %v)", resp.GetStatus(), err)
		}
		select {
		case <-exited:
			return time.Time{}, errors.New("the server exited before it was SERVING")
		case <-time.After(pollInterval):
		}
	}
}

// sayHello checks that the server greets Ada.
func sayHello(conn *grpc.ClientConn, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	resp := new(wrapperspb.StringValue)
	if err := conn.Invoke(ctx, bench.SayHelloMethod, wrapperspb.String("Ada"), resp); err != nil {
		return fmt.Errorf("SayHello: %w", err)
	}
	if resp.GetValue() != "Hello, Ada" {
		return fmt.Errorf("SayHello answered %q", resp.GetValue())
	}
	return nil
}

// stop sends SIGTERM to the server and waits for it to exit, at most
// timeout, then kills it.
func stop(cmd *exec.Cmd, exited <-chan struct{}, timeout time.Duration) {
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		_ = cmd.Process.Kill()
	}
	select {
	case <-exited:
	case <-time.After(timeout):
		_ = cmd.Process.Kill()
		<-exited
	}
}

// vmRSS returns the resident set size of process pid, in KiB.
func vmRSS(pid int) (int, error) {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	defer func() { _ = f.Close() }()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			return strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
		}
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
}
