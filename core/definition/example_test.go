package definition_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/mikros-go/mikros/core/definition"
)

func ExampleParse() {
	text := []byte(`name    = "orders"
types   = ["native:7070"]
version = "v1.4.2"
product = "shop"
envs    = ["ORDERS_DB_URL"]

[lifecycle]
stop_timeout = "25s"

[service]
db_url = "${ORDERS_DB_URL}"
`)
	env := map[string]string{"ORDERS_DB_URL": "postgres://db/orders"}
	opts := definition.Options{
		Kinds: []string{"native", "script"},
		LookupEnv: func(name string) (string, bool) {
			v, ok := env[name]
			return v, ok
		},
	}

	def, err := definition.Parse("service.toml", text, opts)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(def.Name, def.Version, def.Kinds(), def.Types[0].Port)
	fmt.Println(def.Lifecycle.StopTimeout, def.Lifecycle.StartTimeout)
	fmt.Println(def.Service.Redacted())

	// A definition with problems: every one is reported, at its place.
	_, err = definition.Parse("service.toml", []byte(`name    = "Orders"
types   = ["nativ"]
version = "v1.4.2"
[lifecycle]
stop_timeout = "25"
`), opts)
	var problems definition.Problems
	if errors.As(err, &problems) {
		fmt.Println(len(problems), "problems:")
		fmt.Println(err)
	}
	// Output:
	// orders v1.4.2 [native] 7070
	// 25s 15s
	// map[db_url:[redacted]]
	// 4 problems:
	// service.toml:1:1: name: "Orders" must be lowercase kebab-case: a letter, then letters, digits or '-', at most 63 in all (did you mean "orders"?)
	// service.toml:2:1: types: unknown kind "nativ" (kinds in this binary: native, script; did you mean "native"?)
	// service.toml:5:1: lifecycle.stop_timeout: "25" is not a duration (write it like "25s")
	// service.toml: product: required, but not written
}

func ExampleSection_Decode() {
	def, err := definition.Parse("service.toml", []byte(`name    = "orders"
types   = ["native"]
version = "v1.4.2"
product = "shop"

[features.cache]
enabled = true
ttl     = "5m"
[features.cache.redis]
addr = "localhost:6379"

[features.sessions]
ttl  = 300
sise = 10
`), definition.Options{LookupEnv: func(string) (string, bool) { return "", false }})
	if err != nil {
		fmt.Println(err)
		return
	}

	// A feature's settings, with their defaults set before decoding.
	type settings struct {
		TTL   time.Duration
		Size  int
		Redis struct {
			Addr string
			DB   int
		}
	}
	s := settings{TTL: time.Minute, Size: 100}
	if err := def.Features["cache"].Settings.Decode(&s); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%+v\n", s)

	// Decoding is strict, and reports every problem at its line.
	fmt.Println(def.Features["sessions"].Settings.Decode(&s))
	// Output:
	// {TTL:5m0s Size:100 Redis:{Addr:localhost:6379 DB:0}}
	// service.toml:13:1: features.sessions.ttl: 300 is not a duration (write it like "300s")
	// service.toml:14:1: features.sessions: unknown key "sise" (did you mean "size"?)
}
