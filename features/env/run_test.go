package env_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mikros-go/mikros/core"
	"github.com/mikros-go/mikros/features/env"
)

// once is a kind that runs its function once, as a script does.
type once struct {
	run func(ctx context.Context) error
}

func (once) Name() string                    { return "once" }
func (k once) Run(ctx context.Context) error { return k.run(ctx) }

// Env is the environment of the orders service.
type Env struct {
	DatabaseURL *url.URL      `env:"DATABASE_URL,required"`
	Password    string        `env:"DB_PASSWORD,required" envSecret:"true"`
	PIN         int           `env:"DB_PIN" envSecret:"true"`
	Workers     int           `env:"WORKERS" envDefault:"4"`
	Timeout     time.Duration `env:"TIMEOUT" envDefault:"5s"`
	Tags        []string      `env:"TAGS" envSeparator:","`
}

// orders is the service: the feature fills its Env field.
type orders struct {
	Env Env `mikros:"env"`
}

const ordersTOML = `name    = "orders"
types   = ["once"]
version = "v1.0.0"
product = "demo"
envs    = ["DATABASE_URL", "DB_PASSWORD"]

[features.env]
enabled  = true
optional = ["DB_PIN", "WORKERS", "TIMEOUT", "TAGS"]
`

// run runs svc through core's whole lifecycle with the definition text and
// the environment vars, and returns what Run returned and every byte
// logged.
func run(t *testing.T, svc any, text string, vars map[string]string, fn func(context.Context) error) (string, error) {
	t.Helper()
	var out bytes.Buffer
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	err := core.Run(ctx, svc,
		core.WithDefinition("service.toml", []byte(text)),
		core.WithKinds(once{run: fn}),
		core.WithFeatures(env.New()),
		core.WithLookupEnv(lookup(vars)),
		core.WithLogOutput(&out),
	)
	return out.String(), err
}

// TestRun expects the field filled before the service runs.
func TestRun(t *testing.T) {
	svc := &orders{}
	vars := map[string]string{"DATABASE_URL": "postgres://db:5432/orders", "DB_PASSWORD": "hunter2", "DB_PIN": "1234", "TAGS": "a,b"}
	ran := false
	out, err := run(t, svc, ordersTOML, vars, func(context.Context) error {
		ran = true
		e := svc.Env
		if e.DatabaseURL == nil || e.DatabaseURL.Host != "db:5432" || e.Password != "hunter2" || e.PIN != 1234 ||
			e.Workers != 4 || e.Timeout != 5*time.Second || !slices.Equal(e.Tags, []string{"a", "b"}) {
			return fmt.Errorf("Env not filled: %+v", e)
		}
		return nil
	})
	if err != nil || !ran {
		t.Fatalf("Run: %v (ran: %t)\nlog:\n%s", err, ran, out)
	}
	if strings.Contains(out, "hunter2") {
		t.Errorf("the password is in the log:\n%s", out)
	}
}

// TestRunProblems expects a boot that fails with status 2, every problem
// named, and the secrets in no byte of the output, of the error, nor of any
// way of printing it.
func TestRunProblems(t *testing.T) {
	const (
		password = "hunter2-Zq8x"
		pin      = "7a1-Qm4v"
		timeout  = "1h-Wp3k"
		apiKey   = "sk-Rr9t"
		fileName = "/run/secrets/Yh6n"
	)
	type BadEnv struct {
		Password int           `env:"DB_PASSWORD,required"`
		PIN      int           `env:"DB_PIN" envSecret:"true"`
		Workers  int           `env:"WORKERS" envDefault:"4"`
		Timeout  time.Duration `env:"TIMEOUT"`
		APIKey   string        `env:"API_KEY,required"`
		Cert     string        `env:"CERT,file"`
	}
	type badService struct {
		Env struct {
			BadEnv `envSecret:"true"`
			Host   string `env:"HOST" envDefault:"localhost"`
		} `mikros:"env"`
	}
	text := strings.Replace(ordersTOML, `"TAGS"]`, `"CERT"]`, 1)
	vars := map[string]string{
		"DATABASE_URL": "postgres://db:5432/orders", "DB_PASSWORD": password, "DB_PIN": pin, "WORKERS": "four",
		"TIMEOUT": timeout, "API_KEY": apiKey, "HOST": "db", "CERT": fileName,
	}
	want := []string{
		`service.toml:5:1: envs: API_KEY is read by field env.BadEnv.APIKey but not declared; add it to envs`,
		`service.toml:5:1: envs: DB_PASSWORD (field env.BadEnv.Password): its value is not a valid int (invalid syntax); it is secret and not shown`,
		`service.toml:9:1: features.env.optional: HOST is read by field env.Host but not declared; add it to optional in [features.env], or to envs if it must be set`,
		`service.toml:9:1: features.env.optional: DB_PIN (field env.BadEnv.PIN): its value is not a valid int (invalid syntax); it is secret and not shown`,
		`service.toml:9:1: features.env.optional: WORKERS (field env.BadEnv.Workers): its value is not a valid int (invalid syntax); it is secret and not shown`,
		`service.toml:9:1: features.env.optional: TIMEOUT (field env.BadEnv.Timeout): its value is not a valid time.Duration (write it like "5s" or "1m30s"); it is secret and not shown`,
		`service.toml:9:1: features.env.optional: CERT (field env.BadEnv.Cert): cannot read the file it names (no such file); the name is secret and not shown`,
	}
	secrets := []string{password, pin, timeout, apiKey, fileName, "Yh6n", "four"}

	tests := []struct {
		name string
		boot func(t *testing.T) (string, error)
	}{
		{"run", func(t *testing.T) (string, error) {
			return run(t, &badService{}, text, vars, func(context.Context) error {
				t.Error("the service ran")
				return nil
			})
		}},
		{"check", func(t *testing.T) (string, error) {
			var out bytes.Buffer
			_, err := core.Check(&badService{},
				core.WithDefinition("service.toml", []byte(text)),
				core.WithKinds(once{}),
				core.WithFeatures(env.New()),
				core.WithLookupEnv(lookup(vars)),
				core.WithLogOutput(&out),
			)
			return out.String(), err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := tt.boot(t)
			if code := core.ExitCode(err); code != 2 {
				t.Fatalf("exit status %d, want 2; error: %v", code, err)
			}
			if got := lines(err); !slices.Equal(got, want) {
				t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			printed := out + "\n" + fmt.Sprintf("%v|%+v|%#v|%s|%q", err, err, err, err, err)
			for e := errors.Unwrap(err); e != nil; e = errors.Unwrap(e) {
				printed += fmt.Sprintf("|%#v", e)
			}
			for _, s := range secrets {
				if strings.Contains(printed, s) {
					t.Errorf("%q is printed:\n%s", s, printed)
				}
			}
		})
	}
}

// needsURL is a service whose environment requires a variable of envs.
type needsURL struct {
	Env struct {
		URL string `env:"DATABASE_URL,required"`
	} `mikros:"env"`
}

// TestMissingEnvsReportedOnce checks that a variable of envs that is not
// set is one problem, the definition's, and not a second one from Fill.
func TestMissingEnvsReportedOnce(t *testing.T) {
	text := "name = \"svc\"\ntypes = [\"once\"]\nversion = \"v1.0.0\"\nproduct = \"demo\"\nenvs = [\"DATABASE_URL\"]\n\n[features.env]\nenabled = true\n"
	for _, vars := range []map[string]string{{}, {"DATABASE_URL": ""}} {
		_, err := core.Check(&needsURL{},
			core.WithDefinition("service.toml", []byte(text)),
			core.WithKinds(once{}),
			core.WithFeatures(env.New()),
			core.WithLookupEnv(lookup(vars)),
		)
		got := lines(err)
		if len(got) != 1 || !strings.Contains(got[0], "DATABASE_URL") {
			t.Errorf("environment %v: want one problem naming DATABASE_URL, got:\n%s", vars, strings.Join(got, "\n"))
		}
	}
}
