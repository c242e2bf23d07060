package tracing_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/mikros-go/mikros/core"
	"github.com/mikros-go/mikros/core/definition"
	"github.com/mikros-go/mikros/features/tracing"
)

// identity is the top of every definition the tests parse; its last line
// is line 4.
const identity = `name    = "orders"
types   = ["script"]
version = "v1.4.2"
product = "shop"
`

// parse parses identity followed by rest, with env as the environment.
func parse(t testing.TB, rest string, env map[string]string) *definition.Definition {
	t.Helper()
	def, err := definition.Parse("service.toml", []byte(identity+rest), definition.Options{
		LookupEnv: func(name string) (string, bool) {
			v, ok := env[name]
			return v, ok
		},
	})
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return def
}

// setup returns what core would hand the feature for def.
func setup(def *definition.Definition) *core.Setup {
	return &core.Setup{Definition: def, Settings: def.Features["tracing"].Settings, Logger: slog.New(slog.DiscardHandler)}
}

// enabled is a [features.tracing] table that exports nowhere, which tests
// give an exporter with tracing.WithExporter.
const enabled = `
[features.tracing]
enabled  = true
exporter = "none"
`

// started configures and starts a feature that exports to an in-memory
// exporter, for the definition identity+rest, and stops it when the test
// ends.
func started(t testing.TB, rest string) (*tracing.Feature, *tracetest.InMemoryExporter) {
	t.Helper()
	exp := tracetest.NewInMemoryExporter()
	f := tracing.New(tracing.WithExporter(exp))
	if err := f.Configure(setup(parse(t, rest, map[string]string{"MIKROS_ENV": "test"}))); err != nil {
		t.Fatalf("Configure: %v", err)
	}
	if err := f.Start(t.Context()); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := f.Stop(ctx); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	return f, exp
}

// flushed exports what f holds and returns the spans exp received since
// the n it had.
func flushed(t testing.TB, f *tracing.Feature, exp *tracetest.InMemoryExporter, n int) tracetest.SpanStubs {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := f.Flush(ctx); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	return exp.GetSpans()[n:]
}

// attrs returns a span's attributes as "TYPE:value", by key.
func attrs(kvs []attribute.KeyValue) map[string]string {
	m := map[string]string{}
	for _, kv := range kvs {
		m[string(kv.Key)] = kv.Value.Type().String() + ":" + kv.Value.String()
	}
	return m
}

// diffAttrs returns how got differs from want, one difference a line, or
// "".
func diffAttrs(got, want map[string]string) string {
	var diffs []string
	for k, w := range want {
		if g, ok := got[k]; !ok || g != w {
			diffs = append(diffs, fmt.Sprintf("%s = %q, want %q", k, g, w))
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			diffs = append(diffs, fmt.Sprintf("%s = %q, not expected", k, g))
		}
	}
	sort.Strings(diffs)
	return strings.Join(diffs, "\n")
}

// carrier is a call's metadata, as a kind would hand it.
type carrier struct {
	mu sync.Mutex
	m  map[string]string
}

func newCarrier(kv ...string) *carrier {
	c := &carrier{m: map[string]string{}}
	for i := 0; i+1 < len(kv); i += 2 {
		c.m[kv[i]] = kv[i+1]
	}
	return c
}

func (c *carrier) Get(key string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[strings.ToLower(key)]
}

func (c *carrier) Set(key, value string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m[strings.ToLower(key)] = value
}

func (c *carrier) Keys() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	keys := make([]string, 0, len(c.m))
	for k := range c.m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// tcpAddr returns the net.Addr of "ip:port".
func tcpAddr(t testing.TB, hostport string) net.Addr {
	t.Helper()
	addr, err := net.ResolveTCPAddr("tcp", hostport)
	if err != nil {
		t.Fatal(err)
	}
	return addr
}

var _ sdktrace.SpanExporter = (*tracetest.InMemoryExporter)(nil)
