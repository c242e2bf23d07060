package tracing_test

import (
	"context"
	"errors"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/mikros-go/mikros/core"
)

// TestRecordStartup checks the startup trace: a root span over the
// phases, and a child per phase at the phase's own times; a failed phase
// and the root have an Error status.
func TestRecordStartup(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 9, 30, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	for _, tc := range []struct {
		name   string
		phases []core.Phase
		root   sdktrace.Status
		status map[string]sdktrace.Status
	}{
		{
			name: "started",
			phases: []core.Phase{
				{Name: "configure", Start: at(0), End: at(2)},
				{Name: "build", Start: at(2), End: at(5)},
				{Name: "start", Start: at(5), End: at(9)},
			},
			root:   unset,
			status: map[string]sdktrace.Status{"configure": unset, "build": unset, "start": unset},
		},
		{
			name: "start failed",
			phases: []core.Phase{
				{Name: "configure", Start: at(0), End: at(2)},
				{Name: "build", Start: at(2), End: at(5)},
				{Name: "start", Start: at(5), End: at(9), Err: errors.New("kind grpc start: listen tcp :7070: address already in use")},
			},
			root: failed("the start phase failed"),
			status: map[string]sdktrace.Status{"configure": unset, "build": unset,
				"start": failed("kind grpc start: listen tcp :7070: address already in use")},
		},
		{
			name: "build failed",
			phases: []core.Phase{
				{Name: "configure", Start: at(0), End: at(2)},
				{Name: "build", Start: at(2), End: at(5), Err: errors.New("feature db start: refused")},
			},
			root:   failed("the build phase failed"),
			status: map[string]sdktrace.Status{"configure": unset, "build": failed("feature db start: refused")},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, exp := started(t, enabled)
			f.RecordStartup(context.Background(), tc.phases)
			spans := flushed(t, f, exp, 0).Snapshots()
			if len(spans) != len(tc.phases)+1 {
				t.Fatalf("%d spans, want %d", len(spans), len(tc.phases)+1)
			}
			root := spans[len(spans)-1]
			if root.Name() != "startup" || root.Parent().IsValid() || root.SpanKind() != trace.SpanKindInternal {
				t.Errorf("root span %q, kind %v, parent %v: want startup, internal, no parent", root.Name(), root.SpanKind(), root.Parent())
			}
			if root.Status() != tc.root {
				t.Errorf("root status %+v, want %+v", root.Status(), tc.root)
			}
			last := tc.phases[len(tc.phases)-1]
			if !root.StartTime().Equal(tc.phases[0].Start) || !root.EndTime().Equal(last.End) {
				t.Errorf("root from %v to %v, want %v to %v", root.StartTime(), root.EndTime(), tc.phases[0].Start, last.End)
			}
			for i, p := range tc.phases {
				s := spans[i]
				if s.Name() != p.Name {
					t.Errorf("span %d is %q, want %q", i, s.Name(), p.Name)
				}
				if s.Parent().SpanID() != root.SpanContext().SpanID() || s.SpanContext().TraceID() != root.SpanContext().TraceID() {
					t.Errorf("%s: parent %v, want the root span", p.Name, s.Parent())
				}
				if !s.StartTime().Equal(p.Start) || !s.EndTime().Equal(p.End) {
					t.Errorf("%s: from %v to %v, want %v to %v", p.Name, s.StartTime(), s.EndTime(), p.Start, p.End)
				}
				if s.Status() != tc.status[p.Name] {
					t.Errorf("%s: status %+v, want %+v", p.Name, s.Status(), tc.status[p.Name])
				}
			}
		})
	}
}

// TestRecordStartupNothing checks that no phases and no run record
// nothing.
func TestRecordStartupNothing(t *testing.T) {
	f, exp := started(t, enabled)
	f.RecordStartup(context.Background(), nil)
	if spans := flushed(t, f, exp, 0); len(spans) != 0 {
		t.Errorf("%d spans, want none", len(spans))
	}
}
