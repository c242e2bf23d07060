package env_test

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"time"

	"github.com/mikros-go/mikros/core"
	"github.com/mikros-go/mikros/features/env"
)

// Settings is the environment of the billing service.
type Settings struct {
	DatabaseURL *url.URL      `env:"DATABASE_URL,required"`
	Password    string        `env:"DB_PASSWORD,required" envSecret:"true"`
	PIN         int           `env:"DB_PIN" envSecret:"true"`
	Workers     int           `env:"WORKERS" envDefault:"4"`
	Timeout     time.Duration `env:"TIMEOUT" envDefault:"5s"`
	Tags        []string      `env:"TAGS" envSeparator:","`
}

// billing is the service. The env feature fills its Env field.
type billing struct {
	Env Settings `mikros:"env"`
}

// printOnce stands in for a kind such as kinds/script: it runs the
// service's work once and returns, which stops the service.
type printOnce struct{ svc *billing }

func (printOnce) Name() string { return "once" }

func (k printOnce) Run(context.Context) error {
	e := k.svc.Env
	fmt.Println("database:", e.DatabaseURL.Host)
	fmt.Println("workers:", e.Workers)
	fmt.Println("timeout:", e.Timeout)
	fmt.Println("tags:", e.Tags)
	return nil
}

// billingTOML declares every variable the service reads: those it needs in
// envs, those that may be unset in [features.env] optional.
const billingTOML = `
name    = "billing"
types   = ["once"]
version = "v1.0.0"
product = "demo"
envs    = ["DATABASE_URL", "DB_PASSWORD"]

[features.env]
enabled  = true
optional = ["DB_PIN", "WORKERS", "TIMEOUT", "TAGS"]
`

// environment stands in for the process environment.
func environment(vars map[string]string) core.Option {
	return core.WithLookupEnv(func(name string) (string, bool) {
		v, ok := vars[name]
		return v, ok
	})
}

func Example() {
	svc := &billing{}
	err := core.Run(context.Background(), svc,
		core.WithDefinition("service.toml", []byte(billingTOML)),
		core.WithKinds(printOnce{svc}),
		core.WithFeatures(env.New()),
		environment(map[string]string{
			"DATABASE_URL": "postgres://db:5432/billing",
			"DB_PASSWORD":  "hunter2",
			"TIMEOUT":      "30s",
			"TAGS":         "eu,blue",
		}),
		core.WithLogOutput(io.Discard),
	)
	fmt.Println("exit status", core.ExitCode(err))
	// Output:
	// database: db:5432
	// workers: 4
	// timeout: 30s
	// tags: [eu blue]
	// exit status 0
}

// Every problem is reported at once, before anything starts. The value of
// a secret field is never described; and core takes every value read from
// the environment (four bytes or more) out of every message.
func Example_problems() {
	_, err := core.Check(&billing{},
		core.WithDefinition("service.toml", []byte(billingTOML)),
		core.WithKinds(printOnce{}),
		core.WithFeatures(env.New()),
		environment(map[string]string{
			"DATABASE_URL": "postgres://db:5432/billing",
			"DB_PASSWORD":  "hunter2",
			"DB_PIN":       "12-34",
			"WORKERS":      "four",
			"TIMEOUT":      "30",
		}),
	)
	fmt.Println(err)
	fmt.Println("exit status", core.ExitCode(err))
	// Output:
	// service.toml:10:1: features.env.optional: DB_PIN (field Settings.PIN): its value is not a valid int (invalid syntax); it is secret and not shown
	// service.toml:10:1: features.env.optional: WORKERS (field Settings.Workers): "[redacted]" is not a valid int (invalid syntax)
	// service.toml:10:1: features.env.optional: TIMEOUT (field Settings.Timeout): "30" is not a valid time.Duration (write it like "5s" or "1m30s")
	// exit status 2
}
