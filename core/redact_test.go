package core_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mikros-go/mikros/core"
	"github.com/mikros-go/mikros/core/definition"
	"github.com/mikros-go/mikros/core/servicetest"
)

// leakyFeature puts every value of its settings, and every variable it
// reads, into its messages: problems, log lines, errors and health checks.
type leakyFeature struct {
	settings map[string]any
	log      *slog.Logger
	value    string
	number   int           // NUMBER, read as a number
	duration time.Duration // DURATION, read as a duration
	stage    string        // where to leak: "configure", "start", "check", "stop"
}

func (f *leakyFeature) Name() string { return "leaky" }

func (f *leakyFeature) Configure(s *core.Setup) error {
	f.settings = map[string]any{}
	if err := s.Settings.Decode(&f.settings); err != nil {
		return err
	}
	f.log = s.Logger
	f.value = fmt.Sprint(f.settings["value"])
	var nums struct {
		N int           `toml:"n"`
		D time.Duration `toml:"d"`
	}
	if err := s.Settings.Decode(&map[string]any{}); err != nil {
		return err
	}
	if n, ok := s.LookupEnv("NUMBER"); ok {
		nums.N, _ = strconv.Atoi(n)
	}
	if d, ok := s.LookupEnv("DURATION"); ok {
		nums.D, _ = time.ParseDuration(d)
	}
	f.number, f.duration = nums.N, nums.D
	if v, ok := s.LookupEnv("OTHER_SECRET"); ok {
		f.value += " " + v
	}
	if f.stage == "configure" {
		return s.Settings.Problem("value", "%q is not a good value", f.value)
	}
	return nil
}

func (f *leakyFeature) Start(context.Context) error {
	f.log.Info("starting with "+f.value, "value", f.value, "err", errors.New(f.value), "list", []string{f.value},
		slog.Group("g", slog.String("v", f.value)), "plain", []string{"nothing to hide"})
	f.log.Info("numbers", "n", f.number, "d", f.duration, "text", fmt.Sprintf("%d and %s", f.number, f.duration))
	f.log.With("bound", f.value).Warn("bound")
	if f.stage == "start" {
		return fmt.Errorf("cannot reach %s", f.value)
	}
	return nil
}

func (f *leakyFeature) Check(context.Context) error {
	if f.stage == "check" {
		return fmt.Errorf("unhealthy: %s", f.value)
	}
	return nil
}

func (f *leakyFeature) Stop(context.Context) error {
	if f.stage == "stop" {
		return fmt.Errorf("flush to %s failed", f.value)
	}
	return nil
}

func TestValuesFromTheEnvironmentNeverReachOutput(t *testing.T) {
	const secret, other = `s3cr3t"<marker>\x`, "another-secret-value"
	env := map[string]string{"SECRET": secret, "OTHER_SECRET": other, "MIKROS_ENV": "prod", "NUMBER": "0073133731", "DURATION": "7313373100ms"}
	text := def(`["k"]`, `envs = ["SECRET", "OTHER_SECRET"]`, "[features.leaky]\nenabled = true\nvalue = \"at ${SECRET} here\"")
	for _, stage := range []string{"configure", "start", "check", "stop"} {
		t.Run(stage, func(t *testing.T) {
			var out strings.Builder
			var mu sync.Mutex
			svc := servicetest.Start(t, nil, text, servicetest.Env(env), core.WithLogOutput(lockedWriter{&mu, &out}),
				core.WithFeatures(&leakyFeature{stage: stage}), core.WithKinds(&fakeKind{name: "k", j: &journal{}}))
			var readyz string
			if stage == "check" {
				resp, err := http.Get(svc.AdminURL() + "/readyz")
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(resp.Body)
				_ = resp.Body.Close()
				readyz = string(b)
				if !strings.Contains(readyz, "unhealthy: at "+core.Redacted+" here "+core.Redacted) {
					t.Errorf("/readyz = %q", readyz)
				}
			}
			err := svc.Stop()
			if stage == "configure" || stage == "start" {
				err = svc.Err()
			}
			var problems definition.Problems
			errors.As(err, &problems)
			mu.Lock()
			all := out.String() + "\n" + fmt.Sprint(err) + "\n" + fmt.Sprint(problems) + "\n" + readyz
			mu.Unlock()
			for _, v := range []string{secret, other, `s3cr3t\"`, "s3cr3t", "73133731", "2031h29m33.1s"} {
				if strings.Contains(all, v) {
					t.Errorf("%q reached the output:\n%s", v, all)
				}
			}
			if stage != "check" && (err == nil || !strings.Contains(err.Error(), core.Redacted)) {
				t.Errorf("the error does not show where the value was: %v", err)
			}
			if stage != "configure" && !strings.Contains(all, "prod") {
				t.Errorf("MIKROS_ENV, a setting, was redacted:\n%s", all)
			}
		})
	}
}
