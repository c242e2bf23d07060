package core_test

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/mikros-go/mikros/core"
	"github.com/mikros-go/mikros/core/definition"
	"github.com/mikros-go/mikros/core/servicetest"
)

// observingFeature observes calls, records the startup and adds a field
// to log lines, recording what it saw in its journal.
type observingFeature struct {
	name   string
	j      *journal
	mu     sync.Mutex
	phases []core.Phase
}

type observedKey struct{ name string }

func (f *observingFeature) Name() string { return f.name }

func (f *observingFeature) StartCall(ctx context.Context, c *core.Call) context.Context {
	f.j.add("start call " + f.name + " " + c.Method)
	return context.WithValue(ctx, observedKey{f.name}, true)
}

func (f *observingFeature) EndCall(ctx context.Context, c *core.Call) {
	seen, _ := ctx.Value(observedKey{f.name}).(bool)
	f.j.add("end call " + f.name + " " + c.Method + " " + map[bool]string{true: "with its context", false: "without its context"}[seen])
}

func (f *observingFeature) RecordStartup(_ context.Context, phases []core.Phase) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.phases = append([]core.Phase(nil), phases...)
}

func (f *observingFeature) AppendLogAttrs(ctx context.Context, attrs []slog.Attr) []slog.Attr {
	if v, ok := ctx.Value(observedKey{f.name}).(bool); ok && v {
		attrs = append(attrs, slog.String(f.name+"_id", "abc"))
	}
	return attrs
}

// callingKind makes one call through Setup.Calls when it runs, logging
// inside it with the call's context.
type callingKind struct {
	calls core.CallObserver
	log   *slog.Logger
	seen  chan bool // whether Setup.Calls was set
}

func (k *callingKind) Name() string { return "caller" }

func (k *callingKind) Configure(s *core.Setup) error {
	k.calls, k.log = s.Calls, s.Logger
	return nil
}

func (k *callingKind) Run(ctx context.Context) error {
	k.seen <- k.calls != nil
	if k.calls != nil {
		c := &core.Call{Protocol: "test", Method: "/svc/M"}
		cctx := k.calls.StartCall(ctx, c)
		k.log.InfoContext(cctx, "inside the call")
		k.calls.EndCall(cctx, c)
	}
	<-ctx.Done()
	return nil
}

func TestCallObservers(t *testing.T) {
	tests := []struct {
		name    string
		enabled []string
		want    []string
	}{
		{name: "no observer: Setup.Calls is nil", enabled: nil, want: nil},
		{name: "one observer", enabled: []string{"a"}, want: []string{
			"start call a /svc/M", "end call a /svc/M with its context",
		}},
		{name: "two observers: start in start order, end in reverse", enabled: []string{"a", "b"}, want: []string{
			"start call a /svc/M", "start call b /svc/M",
			"end call b /svc/M with its context", "end call a /svc/M with its context",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			j := &journal{}
			var tables []string
			for _, name := range tt.enabled {
				tables = append(tables, "[features."+name+"]\nenabled = true")
			}
			k := &callingKind{seen: make(chan bool, 1)}
			svc := servicetest.Start(t, nil, def(`["caller"]`, tables...),
				core.WithKinds(k),
				core.WithFeatures(&observingFeature{name: "a", j: j}, &observingFeature{name: "b", j: j}))
			if set := <-k.seen; set != (len(tt.enabled) > 0) {
				t.Errorf("Setup.Calls set: %v, want %v", set, len(tt.enabled) > 0)
			}
			if err := svc.Stop(); err != nil {
				t.Fatal(err)
			}
			if got := j.list(); !slices.Equal(got, tt.want) {
				t.Errorf("calls:\n got %q\nwant %q", got, tt.want)
			}
			line := logLine(t, svc.Logs(), "inside the call")
			if (line != "") != (len(tt.enabled) > 0) {
				t.Fatalf("line logged inside the call: %q", line)
			}
			for _, name := range []string{"a", "b"} {
				want := slices.Contains(tt.enabled, name)
				if got := strings.Contains(line, `"`+name+`_id":"abc"`); got != want && line != "" {
					t.Errorf("field %s_id in %q: %v, want %v", name, line, got, want)
				}
			}
		})
	}
}

// logLine returns the log line that contains msg, or "".
func logLine(t *testing.T, logs, msg string) string {
	t.Helper()
	for line := range strings.Lines(logs) {
		if strings.Contains(line, msg) {
			return line
		}
	}
	return ""
}

func TestStartupRecorded(t *testing.T) {
	t.Run("phases of a successful start", func(t *testing.T) {
		f := &observingFeature{name: "rec", j: &journal{}}
		svc := servicetest.Start(t, nil, def(`["k"]`, "[features.rec]\nenabled = true"),
			core.WithKinds(&fakeKind{name: "k", j: &journal{}}), core.WithFeatures(f))
		if err := svc.Stop(); err != nil {
			t.Fatal(err)
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		var names []string
		for i, p := range f.phases {
			names = append(names, p.Name)
			if p.End.Before(p.Start) || p.Err != nil {
				t.Errorf("phase %+v", p)
			}
			if i > 0 && p.Start.Before(f.phases[i-1].End) {
				t.Errorf("phase %s starts before %s ended", p.Name, f.phases[i-1].Name)
			}
		}
		if want := []string{"configure", "build", "start"}; !slices.Equal(names, want) {
			t.Errorf("phases %q, want %q", names, want)
		}
	})
	t.Run("a failed start is recorded with its error", func(t *testing.T) {
		f := &observingFeature{name: "rec", j: &journal{}}
		svc, err := servicetest.Run(t, nil, def(`["k"]`, "[features.rec]\nenabled = true"),
			core.WithKinds(&fakeKind{name: "k", j: &journal{}, failStart: errBoom}), core.WithFeatures(f))
		if err == nil {
			err = svc.Wait()
		}
		if !errors.Is(err, errBoom) {
			t.Fatalf("err %v, want boom", err)
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		if len(f.phases) != 3 || !errors.Is(f.phases[2].Err, errBoom) {
			t.Errorf("phases %+v: want start failed with boom", f.phases)
		}
	})
}

// fillingFeature fills fields tagged with its name with its greeting.
type fillingFeature struct{ fail error }

func (fillingFeature) Name() string { return "greeting" }

func (f fillingFeature) Fill(target any) error {
	if f.fail != nil {
		return f.fail
	}
	p, ok := target.(*string)
	if !ok {
		return errors.New("wants a string field")
	}
	*p = "hello"
	return nil
}

// misconfiguredFiller fails to configure, and fails Fill as a filler that
// was not configured does.
type misconfiguredFiller struct{}

func (misconfiguredFiller) Name() string { return "greeting" }

func (misconfiguredFiller) Configure(s *core.Setup) error {
	return s.Settings.Problem("greeting", "is not a greeting")
}

func (misconfiguredFiller) Fill(any) error { return errors.New("not configured") }

func TestFillerNotConfigured(t *testing.T) {
	_, err := servicetest.Run(t, &greeted{}, def(`["k"]`, "[features.greeting]\nenabled = true"),
		core.WithKinds(&fakeKind{name: "k", j: &journal{}, finish: true}), core.WithFeatures(misconfiguredFiller{}))
	if core.ExitCode(err) != core.ExitInvalid || !strings.Contains(err.Error(), "is not a greeting") {
		t.Fatalf("err %v (exit %d), want exit 2 with the feature's problem", err, core.ExitCode(err))
	}
	if strings.Contains(err.Error(), "not configured") {
		t.Errorf("err %v: the field was handed to a feature whose Configure failed", err)
	}
}

type greeted struct {
	Greeting string `mikros:"greeting"`
}

type greetedInt struct {
	Greeting int `mikros:"greeting"`
}

func TestFiller(t *testing.T) {
	tests := []struct {
		name    string
		svc     any
		enable  bool
		fail    error
		wantErr string // "" when the service starts
	}{
		{name: "the field is filled", svc: &greeted{}, enable: true},
		{name: "the feature's error is a configuration problem", svc: &greetedInt{}, enable: true, wantErr: "features.greeting: wants a string field"},
		{name: "problems placed by the feature are kept", svc: &greeted{}, enable: true,
			fail: definition.Problems{{Path: "envs", Message: "X is undeclared"}}, wantErr: "envs: X is undeclared"},
		{name: "a disabled feature", svc: &greeted{}, wantErr: "the greeting feature is not enabled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var tables []string
			if tt.enable {
				tables = append(tables, "[features.greeting]\nenabled = true")
			}
			svc, err := servicetest.Run(t, tt.svc, def(`["k"]`, tables...),
				core.WithKinds(&fakeKind{name: "k", j: &journal{}, finish: true}), core.WithFeatures(fillingFeature{fail: tt.fail}))
			if err == nil {
				err = svc.Wait()
			}
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if g := tt.svc.(*greeted).Greeting; g != "hello" {
					t.Errorf("Greeting = %q", g)
				}
				return
			}
			if core.ExitCode(err) != core.ExitInvalid || err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("err %v (exit %d), want exit 2 with %q", err, core.ExitCode(err), tt.wantErr)
			}
		})
	}
}
