package tracing_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/mikros-go/mikros/core"
	"github.com/mikros-go/mikros/features/tracing"
)

// TestStdoutExporter checks that exporter = "stdout" writes each span as
// one line of JSON.
func TestStdoutExporter(t *testing.T) {
	out := &syncBuffer{}
	f := tracing.New(tracing.WithStdout(out))
	if err := f.Configure(setup(parse(t, `
[features.tracing]
enabled  = true
exporter = "stdout"
`, nil))); err != nil {
		t.Fatal(err)
	}
	if err := f.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	call(context.Background(), f, &core.Call{Protocol: "grpc", Method: "/a.B/C"}, nil)
	call(context.Background(), f, &core.Call{Protocol: "grpc", Method: "/a.B/D"}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := f.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines, want 2:\n%s", len(lines), out)
	}
	for i, want := range []string{"a.B/C", "a.B/D"} {
		var span struct{ Name string }
		if err := json.Unmarshal([]byte(lines[i]), &span); err != nil || span.Name != want {
			t.Errorf("line %d: %v, name %q, want %q", i, err, span.Name, want)
		}
	}
}

// TestNoneExporter checks that exporter = "none" makes spans that
// propagate, and exports nothing.
func TestNoneExporter(t *testing.T) {
	f := tracing.New()
	if err := f.Configure(setup(parse(t, enabled, nil))); err != nil {
		t.Fatal(err)
	}
	if err := f.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	header := newCarrier()
	call(context.Background(), f, &core.Call{Protocol: "grpc", Client: true, Method: "/a.B/C", Target: "b:7070", Header: header}, nil)
	if header.Get("traceparent") == "" {
		t.Error("no trace context sent")
	}
	if err := f.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
}
