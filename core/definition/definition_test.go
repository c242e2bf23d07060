package definition_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mikros-go/mikros/core/definition"
)

func noEnv(string) (string, bool) { return "", false }

func TestLoad(t *testing.T) {
	t.Parallel()
	path := filepath.Join("testdata", "conformance", "valid-minimal-script.toml")
	def, err := definition.Load(path, definition.Options{LookupEnv: noEnv})
	if err != nil {
		t.Fatal(err)
	}
	if def.File != path || def.Name != "hello" || def.Env != "local" {
		t.Errorf("Load: file %q, name %q, env %q", def.File, def.Name, def.Env)
	}

	missing := filepath.Join(t.TempDir(), "service.toml")
	_, err = definition.Load(missing, definition.Options{LookupEnv: noEnv})
	var ps definition.Problems
	if !errors.As(err, &ps) || err.Error() != missing+": no such file (set MIKROS_CONFIG to the service.toml's path)" {
		t.Errorf("Load of a missing file: %v", err)
	}
}

func TestParseDefaults(t *testing.T) {
	t.Parallel()
	def, err := definition.Parse("service.toml", []byte(head), definition.Options{LookupEnv: noEnv})
	if err != nil {
		t.Fatal(err)
	}
	if def.Log.Level != "info" || def.Log.Format != "json" || def.Lifecycle.StartTimeout != definition.DefaultStartTimeout ||
		def.Lifecycle.StopTimeout != definition.DefaultStopTimeout || def.Lifecycle.DrainDelay != 0 ||
		def.Admin != nil || def.Tests != nil || def.Service.Present() || def.Language != "" || len(def.Warnings) != 0 {
		t.Errorf("defaults: %+v", def)
	}
	if def.Features == nil || def.Services == nil || def.Clients == nil {
		t.Error("nil maps for absent tables")
	}
}

func TestParseKindsAndEnv(t *testing.T) {
	t.Parallel()
	text := []byte(strings.Replace(head, `["native"]`, `["grpc:7070", "http"]`, 1))
	// Without Kinds, any kind name is accepted.
	def, err := definition.Parse("service.toml", text, definition.Options{LookupEnv: noEnv})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(def.Kinds(), ","); got != "grpc,http" {
		t.Errorf("Kinds() = %s", got)
	}
	if def.Types[0].Port != 7070 || def.Types[0].PortFrom != "types" || def.Types[1].Port != 0 || def.Types[1].PortFrom != "" {
		t.Errorf("Types = %+v", def.Types)
	}
	env := map[string]string{"MIKROS_ENV": "prod", "MIKROS_HTTP_PORT": "8081"}
	def, err = definition.Parse("service.toml", text, definition.Options{LookupEnv: func(n string) (string, bool) {
		v, ok := env[n]
		return v, ok
	}})
	if err != nil {
		t.Fatal(err)
	}
	if def.Env != "prod" || def.Types[1].Port != 8081 || def.Types[1].PortFrom != "MIKROS_HTTP_PORT" {
		t.Errorf("env %q, types %+v", def.Env, def.Types)
	}
}

func TestParsePlaces(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, text, want string
	}{{
		"CRLF line ends",
		strings.ReplaceAll(head, "\n", "\r\n") + "[log]\r\nlevel = \"loud\"\r\n",
		`service.toml:6:1: log.level: "loud" is not a level (debug, info, warn, error)`,
	}, {
		"a byte order mark",
		"\xef\xbb\xbf" + `name = "Svc"` + "\n" + head[strings.Index(head, "\n")+1:],
		`service.toml:1:1: name: "Svc" must be lowercase kebab-case: a letter, then letters, digits or '-', at most 63 in all (did you mean "svc"?)`,
	}, {
		"a syntax error after a byte order mark",
		"\xef\xbb\xbfname = 1x\n",
		`service.toml:1:9: syntax: expected a top-level item to end with a newline, comment, or EOF, but got 'x' instead`,
	}, {
		"a syntax error at the start of a line",
		"a = 1\n= 2\n",
		`service.toml:2:1: syntax: unexpected '=': key name appears blank`,
	}, {
		"an unclosed multi-line string, reported where the file ends",
		"a = 1\nb = \"\"\"\nnever closed\n",
		`service.toml:3:13: syntax: unexpected EOF; expected '"""'`,
	}, {
		"a dotted key inside a table",
		head + "[features]\ntracing.enabled = 1\n",
		`service.toml:6:9: features.tracing.enabled: must be true or false, not an integer (1)`,
	}, {
		"a table only implied by a deeper one",
		head + "[services.grpc.tls]\ncert = \"x\"\n",
		`service.toml:5:11: services.grpc: kind "grpc" is not in types (add it to types, or remove this table)`,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := definition.Parse("service.toml", []byte(tt.text), definition.Options{Kinds: []string{"native"}, LookupEnv: noEnv})
			if err == nil || err.Error() != tt.want {
				t.Errorf("got  %v\nwant %s", err, tt.want)
			}
		})
	}
}
