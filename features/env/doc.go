// Package env is the Mikros feature that loads a service's environment
// variables into a struct of its own, typed, with github.com/caarlos0/env
// parsing the values.
//
// A service links it, turns it on in its definition, and tags one field
// with the feature's name:
//
//	core.Main(svc, core.WithKinds(script.New()), core.WithFeatures(env.New()))
//
//	type Env struct {
//		DatabaseURL *url.URL      `env:"DATABASE_URL,required"`
//		Password    string        `env:"DB_PASSWORD,required" envSecret:"true"`
//		Workers     int           `env:"WORKERS" envDefault:"4"`
//		Timeout     time.Duration `env:"TIMEOUT" envDefault:"5s"`
//		Tags        []string      `env:"TAGS" envSeparator:","`
//	}
//
//	type Service struct {
//		Env Env `mikros:"env"`
//	}
//
// During configure, before anything starts, core hands the field to the
// feature, which fills it. Every problem is reported at once, each naming
// the variable and the field, and the process exits with status 2:
//
//	service.toml:5:1: envs: DATABASE_URL (field Env.DatabaseURL): "postgres://db:x/orders" is not a valid *url.URL (invalid port ":x" after host)
//	service.toml:9:1: features.env.optional: WORKERS (field Env.Workers): "four" is not a valid int (invalid syntax)
//	service.toml:9:1: features.env.optional: TIMEOUT is read by field Env.Timeout but not declared; add it to optional in [features.env], or to envs if it must be set
//
// Problems with the struct itself (a type that cannot be parsed, an
// unknown tag option) name the field, not a place in the file:
//
//	field Env.Workers: env:"WORKERS,requird" has an unknown option "requird" (options: required, notEmpty, file, init); did you mean "required"?
//
// They come together with every other problem of the definition.
//
// # Declaring the variables
//
// Every variable a service reads is declared in its service.toml. Those it
// cannot run without go in envs, which core checks are set and not empty
// before anything else; those that may be unset (with a default, or simply
// optional) go in the feature's optional list:
//
//	envs = ["DATABASE_URL", "DB_PASSWORD"]
//
//	[features.env]
//	enabled  = true
//	optional = ["WORKERS", "TIMEOUT", "TAGS"]
//
// The feature looks up the declared variables only, through the
// environment core was given (core.WithLookupEnv; the process's by
// default), and no value comes from anywhere else. (github.com/caarlos0/env
// starts every parse from a copy of the process environment; the feature
// replaces it with the declared variables before any value is read.) A field that reads a variable declared
// nowhere is a problem that names it, the field, and where to declare it; a
// field tagged required whose variable is declared optional is one too,
// since envs is where required variables go.
//
// # Settings
//
// [features.env] holds, besides enabled, one optional key; an unknown key
// is a problem:
//
//	key       type              default  meaning
//	optional  array of strings  []       the variables the service reads that may be
//	                                     unset: names like WORKERS ([A-Z_][A-Z0-9_]*),
//	                                     each once, none also in envs
//
// # Tags
//
// The fields of the struct say which variables they read, with the tags of
// github.com/caarlos0/env, and one of the feature's own, envSecret:
//
//	tag                     meaning
//	env:"NAME"              the field reads the variable NAME, after the prefixes of
//	                        the structs around it; a field without it is not read
//	env:"NAME,required"     the variable must be set (in envs, it must also be
//	                        non-empty, as core checks)
//	env:"NAME,notEmpty"     the variable must be set and not empty (unless the field
//	                        has a default)
//	env:"NAME,file"         the variable names a file; the field gets its content
//	env:"NAME,init"         a nil pointer field is allocated, and filled if a struct
//	env:"-"                 the field is left alone
//	envDefault:"VALUE"      the value when the variable is unset or empty
//	envSeparator:","        between the elements of a slice, the entries of a map
//	                        (default ",")
//	envKeyValSeparator:":"  between the key and the value of a map entry (default ":")
//	envPrefix:"DB_"         on a struct field: put before the names its fields read
//	envSecret:"true"        the value is never shown: not in an error, not in a log
//	                        line; on a struct field, for every variable inside it
//	                        (an envSecret:"false" inside does not undo it)
//
// The options unset and expand of github.com/caarlos0/env are refused: the
// feature never changes the process environment, and expanding $NAME would
// read variables that are not declared. An unknown option is a problem (the
// library refuses options it does not know, which is why the secret marker
// is a tag of its own rather than an option of env).
//
// A field may be a string, a boolean, an integer or an unsigned integer of
// any size, a float, a time.Duration (written "5s"), a url.URL or a
// time.Location, any type whose pointer implements encoding.TextUnmarshaler,
// a pointer to one of these, a slice of them (elements split on
// envSeparator), or a map of the plain ones ("a:1,b:2"); any other type is a
// problem, whether or not its variable is set. The library reads int and
// uint as 32 bits: a larger value needs an int64 or a uint64. A struct field is entered:
// its fields read variables of their own, named after its envPrefix. A
// slice of structs, which the library would fill from numbered variables
// (PREFIX_0_NAME, ...), is refused: those names cannot all be declared.
//
// # Secrets
//
// Core takes every value the feature reads (four bytes or more) out of
// every message that leaves the service, where it reads "[redacted]". On
// top of that, an error message of the feature describes a bad value only
// when the variable is not secret (with the user information of a URL
// redacted), and never when it is: it says what is wrong from the type
// alone, so that not even a short value or its shape is shown:
//
//	service.toml:9:1: features.env.optional: DB_PIN (field Env.PIN): its value is not a valid int (invalid syntax); it is secret and not shown
//
// Messages are written by the feature from the library's structured errors,
// never from their text, which may quote the value, and no error the
// feature returns wraps one of the library's. The feature logs nothing.
// Mark a URL that carries a password secret, as the rest of it may be
// quoted otherwise.
//
// The value stays in the service's struct: a service that logs or prints
// the struct prints it.
package env
