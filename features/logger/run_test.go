package logger_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"go.uber.org/goleak"
	"go.uber.org/zap"

	"github.com/mikros-go/mikros/core"
	"github.com/mikros-go/mikros/features/logger"
)

// once is a kind that runs its function once, as a script does.
type once struct {
	run func(ctx context.Context) error
}

func (once) Name() string                    { return "once" }
func (k once) Run(ctx context.Context) error { return k.run(ctx) }

// greeter is a service that uses what the logger feature provides.
type greeter struct {
	Log   *zap.Logger        `mikros:"feature"`
	Sugar *zap.SugaredLogger `mikros:"feature"`
	Slog  *slog.Logger       `mikros:"feature"` // core's, routed through the feature
}

const greeterTOML = `name    = "greeter"
types   = ["once"]
version = "v1.0.0"
product = "demo"

[log]
level = "info"
[log.attributes]
team = "platform"

[features.logger]
enabled = true
%s`

// TestRun runs a service through core's whole lifecycle and expects every
// line, core's own included, to come out through zap in the same layout.
func TestRun(t *testing.T) {
	defer goleak.VerifyNone(t)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	setLevel := func(ctx context.Context, level string) error {
		body := strings.NewReader(`{"level":"` + level + `"}`)
		req, err := http.NewRequestWithContext(ctx, http.MethodPut, "http://"+ln.Addr().String()+"/loglevel", body)
		if err != nil {
			return err
		}
		// What curl -d sends, as the README's line does, through core's
		// admin listener.
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return errors.New(resp.Status)
		}
		return nil
	}

	svc := &greeter{}
	kind := once{run: func(ctx context.Context) error {
		if svc.Log == nil || svc.Sugar == nil || svc.Slog == nil {
			return fmt.Errorf("fields not injected: %+v", svc)
		}
		svc.Log.Info("hello from zap", zap.String("user", "ada"))
		svc.Sugar.Infow("hello from sugar", "user", "ada")
		svc.Slog.Info("hello from slog", "user", "ada")
		svc.Log.Debug("debug before the change")
		if err := setLevel(ctx, "debug"); err != nil {
			return err
		}
		svc.Log.Debug("debug from zap")
		svc.Slog.Debug("debug from slog")
		return nil
	}}

	var out, fallback bytes.Buffer
	err = core.Run(t.Context(), svc,
		core.WithDefinition("service.toml", fmt.Appendf(nil, greeterTOML, "")),
		core.WithKinds(kind),
		core.WithFeatures(logger.New(logger.WithOutput(&out))),
		core.WithLookupEnv(noEnv),
		core.WithLogOutput(&fallback),
		core.WithAdminListener(ln),
	)
	if err != nil {
		t.Fatalf("Run: %v\nlog:\n%s", err, out.String())
	}
	if fallback.Len() > 0 {
		t.Errorf("lines written by core's fallback handler:\n%s", fallback.String())
	}

	layout := regexp.MustCompile(`^\{"time":"<time>","level":"(debug|info)","msg":"([^"]*)",` +
		`"service.name":"greeter","service.version":"v1.0.0","service.product":"demo",` +
		`"service.env":"local","service.type":"once","team":"platform"(,"[^"]+":.*)?\}$`)
	want := []string{
		"admin listening",
		"service started in ",
		"hello from zap",
		"hello from sugar",
		"hello from slog",
		"debug from zap",
		"debug from slog",
		"kind finished",
		"service stopped in ",
	}
	lines := strings.Split(strings.TrimSuffix(normalise(t, out.String()), "\n"), "\n")
	if len(lines) != len(want) {
		t.Fatalf("got %d lines, want %d:\n%s", len(lines), len(want), out.String())
	}
	for i, line := range lines {
		m := layout.FindStringSubmatch(line)
		if m == nil {
			t.Errorf("line %d has another layout:\n%s", i, line)
			continue
		}
		if !strings.HasPrefix(m[2], want[i]) {
			t.Errorf("line %d: msg %q, want %q", i, m[2], want[i])
		}
	}
}

// TestRunInvalid expects core to stop a service whose [features.logger]
// table is wrong before anything starts, naming the key and its line.
func TestRunInvalid(t *testing.T) {
	defer goleak.VerifyNone(t)

	ran := false
	var out bytes.Buffer
	err := core.Run(t.Context(), &greeter{},
		core.WithDefinition("service.toml", fmt.Appendf(nil, greeterTOML, "levle = \"debug\"\n")),
		core.WithKinds(once{run: func(context.Context) error { ran = true; return nil }}),
		core.WithFeatures(logger.New(logger.WithOutput(&out))),
		core.WithLookupEnv(noEnv),
		core.WithLogOutput(&out),
	)
	if code := core.ExitCode(err); code != core.ExitInvalid {
		t.Fatalf("Run = %v (exit %d), want exit %d", err, code, core.ExitInvalid)
	}
	if want := `service.toml:13:1: features.logger: unknown key "levle"`; !strings.Contains(err.Error(), want) {
		t.Errorf("Run = %v, want it to contain %q", err, want)
	}
	if ran || out.Len() > 0 {
		t.Errorf("an invalid service ran (%v) or logged:\n%s", ran, out.String())
	}
}
