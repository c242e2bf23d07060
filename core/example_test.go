package core_test

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/mikros-go/mikros/core"
)

// once is a kind written outside core, as any third-party kind would be: it
// runs the service's Do method once.
type once struct{ svc interface{ Do() } }

func (*once) Name() string { return "once" }

// Configure checks the service has what the kind needs.
func (k *once) Configure(s *core.Setup) error {
	if err := s.Settings.Decode(&struct{}{}); err != nil {
		return err
	}
	svc, err := core.ServiceFor[interface{ Do() }](s, "once", "Do()")
	k.svc = svc
	return err
}

func (k *once) Run(context.Context) error {
	k.svc.Do()
	return nil
}

// greeter is a feature: it decodes [features.greeter] strictly and provides
// a *Greeting to services that ask for one.
type greeter struct {
	settings struct {
		Word string `toml:"word"`
	}
}

// Greeting is what the greeter feature gives services.
type Greeting struct{ Word string }

func (*greeter) Name() string { return "greeter" }

func (g *greeter) Configure(s *core.Setup) error {
	g.settings.Word = "Hello"
	return s.Settings.Decode(&g.settings)
}

func (g *greeter) Provide() []any { return []any{&Greeting{g.settings.Word}} }

// app is the service.
type app struct {
	Greeting *Greeting `mikros:"feature"`
	Settings struct {
		Name string `toml:"name"`
	} `mikros:"settings"`
}

func (a *app) Do() { fmt.Printf("%s, %s\n", a.Greeting.Word, a.Settings.Name) }

// A service, a kind and a feature, all written outside core and plugged in
// the same way as the built-in ones.
func Example() {
	definition := `
name    = "hello"
types   = ["once"]
version = "v1.0.0"
product = "demo"

[features.greeter]
enabled = true
word    = "Ahoy"

[service]
name = "Ada"
`
	err := core.Run(context.Background(), &app{},
		core.WithDefinition("service.toml", []byte(definition)),
		core.WithKinds(&once{}),
		core.WithFeatures(&greeter{}),
		core.WithLogOutput(io.Discard))
	fmt.Println("exit status", core.ExitCode(err))
	// Output:
	// Ahoy, Ada
	// exit status 0
}

// Problems are all reported at once, each at its line, before anything
// starts.
func ExampleRunCheck() {
	definition := `name    = "hello"
types   = ["onse"]
version = "v1.0.0"
product = "demo"

[features.greeter]
enabled = true
wrod    = "Ahoy"
`
	code := core.RunCheck(&app{}, os.Stdout, os.Stdout,
		core.WithDefinition("service.toml", []byte(definition)),
		core.WithKinds(&once{}),
		core.WithFeatures(&greeter{}),
		core.WithLookupEnv(func(string) (string, bool) { return "", false }))
	fmt.Println("exit status", code)
	// Output:
	// service.toml:2:1: types: unknown kind "onse" (kinds in this binary: once; did you mean "once"?)
	// service.toml:8:1: features.greeter: unknown key "wrod" (did you mean "word"?)
	// exit status 2
}
