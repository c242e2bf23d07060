// Command drain counts the requests a server loses while it stops under
// load. It builds examples/greeter and a bare net/http server stopped with
// Shutdown (bench/cmd/barehttp -shutdown), and for each server and
// protocol, run after run, starts the server in a process of its own on
// loopback ports, loads it, sends it SIGTERM mid-load, and keeps loading
// until it exited:
//
//	go run ./bench/cmd/drain                       # from the repository's root
//	go run ./bench/cmd/drain -runs 5 -server greeter -proto grpc
//
// Two kinds of clients load each run at the same time: fresh, which opens
// a connection of its own for every request (an HTTP client without
// keep-alives; a new gRPC ClientConn per call), and kept-alive, which
// sends its requests one after the other over a connection it keeps (an
// HTTP client with keep-alives; one gRPC ClientConn). Over HTTP they send
// GET /hello?name=Ada, over gRPC greeter.v1.GreeterService/SayHello.
// Every request ends in one of four ways:
//
//	answered  the greeting came back
//	refused   the connection was refused, or not made within a second: the
//	          server did not accept it (once the listener closed, or while
//	          a stopping server held new connections back)
//	unsent    the connection was made, but closed before the request could
//	          be written (for gRPC, before the call began on it)
//	lost      the request was written on a connection the server accepted,
//	          and no answer came: what a stopping server must never do
//
// Clients retry as their libraries do: net/http's Transport sends an
// idempotent request again when a kept-alive connection closed under it,
// and gRPC retries a call its server refused unprocessed (GOAWAY). The
// outcome is that of the last attempt. The load goes on for 1.5 seconds
// once the server exited, so that every request under way ends; one still
// under way when the load ends is not counted.
//
// It prints one row per server, protocol and kind of client: the runs,
// the requests sent, answered, refused, unsent and lost, how many runs
// lost any, and how many runs the server did not exit 0 from; then the
// first errors of lost and unsent requests. It exits 1 when the greeter
// lost a request or did not exit 0 (a bare server's losses are what it
// shows). All addresses are 127.0.0.1; each run's
// wait for the server, load and stop are bounded in time, and every
// process started is killed when the command ends, on failure too.
//
// The greeter runs with its own service.toml (MIKROS_CONFIG points to a
// copy) with every address 127.0.0.1, the log level of -log-level, and
// [lifecycle] drain_delay set to -drain-delay; barehttp -shutdown waits as long
// after the signal before its Shutdown.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"
)

func main() {
	var o options
	flag.IntVar(&o.runs, "runs", 20, "runs per server and protocol")
	server := flag.String("server", "all", "greeter, barehttp or all")
	proto := flag.String("proto", "all", "http, grpc or all (barehttp serves http only)")
	flag.DurationVar(&o.before, "before", 500*time.Millisecond, "load before SIGTERM, each run")
	flag.DurationVar(&o.duration, "duration", 5*time.Second, "the longest load of a run, from its start; the run ends earlier once the server exited")
	flag.DurationVar(&o.drainDelay, "drain-delay", 500*time.Millisecond, "[lifecycle] drain_delay of the greeter, and barehttp's wait before Shutdown")
	flag.IntVar(&o.clients, "clients", 4, "clients of each kind (fresh, kept-alive), each sending one request at a time")
	flag.StringVar(&o.logLevel, "log-level", "info", "the greeter's [log] level")
	flag.Parse()
	if err := o.choose(*server, *proto); err != nil {
		fmt.Fprintln(os.Stderr, "drain:", err)
		flag.Usage()
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	err := run(ctx, &o)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "drain:", err)
		os.Exit(1)
	}
}

// options are the command's flags.
type options struct {
	runs       int
	servers    []string
	protos     []string
	before     time.Duration
	duration   time.Duration
	drainDelay time.Duration
	clients    int
	logLevel   string
}

// choose checks the flags and sets the servers and protocols to run.
func (o *options) choose(server, proto string) error {
	switch server {
	case "all":
		o.servers = []string{"greeter", "barehttp"}
	case "greeter", "barehttp":
		o.servers = []string{server}
	default:
		return fmt.Errorf("-server %q: want greeter, barehttp or all", server)
	}
	switch proto {
	case "all":
		o.protos = []string{"http", "grpc"}
	case "http", "grpc":
		o.protos = []string{proto}
	default:
		return fmt.Errorf("-proto %q: want http, grpc or all", proto)
	}
	if o.runs < 1 || o.clients < 1 {
		return errors.New("-runs and -clients must be at least 1")
	}
	if o.before <= 0 || o.duration <= o.before+o.drainDelay {
		return errors.New("-before must be positive, and -duration longer than -before and -drain-delay together")
	}
	if !slices.Contains([]string{"debug", "info", "warn", "error"}, o.logLevel) {
		return fmt.Errorf("-log-level %q: want debug, info, warn or error", o.logLevel)
	}
	return nil
}

// run builds the servers, runs every combination, and prints the table.
func run(ctx context.Context, o *options) error {
	root, err := repositoryRoot()
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "drain-")
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(tmp) }()
	fmt.Fprintf(os.Stderr, "building into %s\n", tmp)
	if err := build(ctx, root, tmp); err != nil {
		return err
	}
	config, err := greeterConfig(root, tmp, o)
	if err != nil {
		return err
	}
	var rows []*row
	for _, server := range o.servers {
		for _, proto := range o.protos {
			if server == "barehttp" && proto == "grpc" {
				continue
			}
			byMode := map[mode]*row{}
			for _, m := range modes {
				r := &row{server: server, proto: proto, mode: m}
				byMode[m] = r
				rows = append(rows, r)
			}
			for i := range o.runs {
				if err := ctx.Err(); err != nil {
					return err
				}
				s := &spec{name: server, proto: proto, tmp: tmp, config: config, drainDelay: o.drainDelay}
				res, err := runOnce(ctx, s, o)
				if err != nil {
					return fmt.Errorf("%s %s, run %d: %w", server, proto, i+1, err)
				}
				for m, t := range res.tallies {
					byMode[m].add(t, res.exitCode)
				}
				fmt.Fprintf(os.Stderr, "%s %s run %d/%d: %s\n", server, proto, i+1, o.runs, res.summary())
			}
		}
	}
	printTable(os.Stdout, rows)
	var lost, bad int
	for _, r := range rows {
		if r.server == "greeter" {
			lost += r.lost
			bad += r.badExits
		}
	}
	if lost > 0 || bad > 0 {
		return fmt.Errorf("the greeter lost %d requests and did not exit 0 in %d runs; it must do neither", lost, bad)
	}
	return nil
}

// repositoryRoot returns the directory above the working directory that
// holds go.work.
func repositoryRoot() (string, error) {
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
			return "", errors.New("no go.work above the working directory: run it from the repository")
		}
		dir = parent
	}
}

// build builds the greeter and barehttp into dir.
func build(ctx context.Context, root, dir string) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	for _, b := range []struct{ out, pkg string }{
		{"greeter", "./examples/greeter"},
		{"barehttp", "./bench/cmd/barehttp"},
	} {
		cmd := exec.CommandContext(ctx, "go", "build", "-o", filepath.Join(dir, b.out), b.pkg)
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go build %s: %w\n%s", b.pkg, err, out)
		}
	}
	return nil
}

// greeterConfig writes a copy of the greeter's service.toml, with every
// address 127.0.0.1, the log level and the drain delay of o, and returns
// its path.
func greeterConfig(root, dir string, o *options) (string, error) {
	b, err := os.ReadFile(filepath.Join(root, "examples", "greeter", "service.toml"))
	if err != nil {
		return "", err
	}
	text := string(b)
	for _, kv := range [][3]string{
		{"lifecycle", "drain_delay", fmt.Sprintf("%q", o.drainDelay.String())},
		{"log", "level", fmt.Sprintf("%q", o.logLevel)},
		{"admin", "address", `"127.0.0.1"`},
		{"services.grpc", "address", `"127.0.0.1"`},
		{"services.http", "address", `"127.0.0.1"`},
	} {
		text = setKey(text, kv[0], kv[1], kv[2])
	}
	path := filepath.Join(dir, "service.toml")
	return path, os.WriteFile(path, []byte(text), 0o600)
}

// setKey sets key = value in [table] of a TOML text whose tables are
// written as [name] headers: it replaces the key when the table has it,
// adds it at the top of the table otherwise, and adds the table at the end
// when the text has none.
func setKey(text, table, key, value string) string {
	lines := strings.Split(text, "\n")
	var out []string
	cur, found := "", false
	for _, line := range lines {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "[") {
			name := strings.TrimPrefix(trimmed, "[")
			if i := strings.Index(name, "]"); i >= 0 {
				name = name[:i]
			}
			cur = strings.TrimSpace(name)
			out = append(out, line)
			if cur == table {
				out = append(out, key+" = "+value)
				found = true
			}
			continue
		}
		if cur == table {
			if k, _, ok := strings.Cut(trimmed, "="); ok && strings.TrimSpace(k) == key {
				continue
			}
		}
		out = append(out, line)
	}
	if !found {
		out = append(out, "", "["+table+"]", key+" = "+value)
	}
	return strings.Join(out, "\n")
}

// row is a line of the table: the totals of one server, protocol and
// kind of client over the runs.
type row struct {
	server, proto string
	mode          mode
	runs          int
	tally
	lossyRuns int // runs that lost requests
	badExits  int // runs whose server did not exit 0
}

func (r *row) add(t *tally, exitCode int) {
	r.runs++
	r.sent += t.sent
	r.answered += t.answered
	r.refused += t.refused
	r.unsent += t.unsent
	r.lost += t.lost
	if t.lost > 0 {
		r.lossyRuns++
	}
	if exitCode != 0 {
		r.badExits++
	}
	for _, s := range t.samples {
		if len(r.samples) < 2*maxSamples {
			r.samples = append(r.samples, s)
		}
	}
}

// printTable writes the rows, then the first errors of lost and unsent
// requests.
func printTable(w *os.File, rows []*row) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "server\tproto\tclients\truns\tsent\tanswered\trefused\tunsent\tlost\truns with lost\texit≠0\t")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t\n",
			r.server, r.proto, r.mode, r.runs, r.sent, r.answered, r.refused, r.unsent, r.lost, r.lossyRuns, r.badExits)
	}
	_ = tw.Flush()
	for _, r := range rows {
		for _, s := range r.samples {
			fmt.Fprintf(w, "%s %s %s, %s\n", r.server, r.proto, r.mode, s)
		}
	}
}
