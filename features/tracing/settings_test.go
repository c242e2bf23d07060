package tracing_test

import (
	"errors"
	"testing"

	"github.com/mikros-go/mikros/core/definition"
	"github.com/mikros-go/mikros/features/tracing"
)

// problem is a problem of the [features.tracing] table at line, column 1.
func problem(line int, key, msg string) definition.Problem {
	path := "features.tracing"
	if key != "" {
		path += "." + key
	}
	return definition.Problem{File: "service.toml", Line: line, Col: 1, Path: path, Message: msg}
}

func TestConfigureProblems(t *testing.T) {
	tests := []struct {
		name string
		def  string // after identity, whose last line is 4: the table is at line 6
		env  map[string]string
		want []definition.Problem
	}{
		{
			name: "defaults",
			def: `
[features.tracing]
enabled = true
`,
		},
		{
			name: "every key",
			def: `
[features.tracing]
enabled               = true
exporter              = "otlp-http"
endpoint              = "https://collector.example:4318/otlp"
headers               = { authorization = "Bearer x", "X-Scope-OrgID" = "shop" }
compression           = "gzip"
sampler               = "ratio"
ratio                 = 0.25
batch_timeout         = "1s"
export_timeout        = "10s"
max_queue_size        = 4096
max_export_batch_size = 1024
`,
		},
		{
			name: "unknown key",
			def: `
[features.tracing]
enabled = true
ratoi   = 0.5
`,
			want: []definition.Problem{problem(8, "", `unknown key "ratoi" (did you mean "ratio"?)`)},
		},
		{
			name: "wrong types",
			def: `
[features.tracing]
insecure       = "yes"
ratio          = "half"
batch_timeout  = 5
max_queue_size = 1.5
headers        = ["a"]
sampler        = "ratio"
`,
			want: []definition.Problem{
				problem(7, "insecure", `must be a boolean, not a string ("yes")`),
				problem(8, "ratio", `must be a number, not a string ("half")`),
				problem(9, "batch_timeout", `5 is not a duration (write it like "5s")`),
				problem(10, "max_queue_size", "must be an integer, not a float (1.5)"),
				problem(11, "headers", "must be a table, not an array"),
			},
		},
		{
			name: "unknown exporter and sampler",
			def: `
[features.tracing]
exporter = "jaeger"
sampler  = "sometimes"
`,
			want: []definition.Problem{
				problem(7, "exporter", `"jaeger" is not an exporter (otlp-grpc, otlp-http, stdout or none)`),
				problem(8, "sampler", `"sometimes" is not a sampler (always_on, always_off or ratio)`),
			},
		},
		{
			name: "grpc endpoint is a URL",
			def: `
[features.tracing]
endpoint = "http://collector:4317"
`,
			want: []definition.Problem{problem(7, "endpoint", `"http://collector:4317": for otlp-grpc write host:port, such as collector:4317, not a URL (insecure = true chooses plain text)`)},
		},
		{
			name: "grpc endpoint without port",
			def: `
[features.tracing]
endpoint = "collector"
`,
			want: []definition.Problem{problem(7, "endpoint", `"collector" is not host:port, such as collector:4317`)},
		},
		{
			name: "grpc endpoint without host",
			def: `
[features.tracing]
endpoint = ":4317"
`,
			want: []definition.Problem{problem(7, "endpoint", `":4317" has no host (write it like collector:4317)`)},
		},
		{
			name: "grpc endpoint port out of range",
			def: `
[features.tracing]
endpoint = "collector:70000"
`,
			want: []definition.Problem{problem(7, "endpoint", `"collector:70000": port "70000" is not a number from 1 to 65535`)},
		},
		{
			name: "grpc endpoint empty",
			def: `
[features.tracing]
endpoint = ""
`,
			want: []definition.Problem{problem(7, "endpoint", `must be host:port, such as collector:4317, not empty`)},
		},
		{
			name: "http endpoint without scheme",
			def: `
[features.tracing]
exporter = "otlp-http"
endpoint = "collector:4318"
`,
			want: []definition.Problem{problem(8, "endpoint", `"collector:4318": the scheme must be http or https (write the collector's base URL, such as http://collector:4318)`)},
		},
		{
			name: "http endpoint with the traces path",
			def: `
[features.tracing]
exporter = "otlp-http"
endpoint = "http://collector:4318/v1/traces"
`,
			want: []definition.Problem{problem(8, "endpoint", `"http://collector:4318/v1/traces" ends with /v1/traces, which the exporter adds: write the collector's base URL, without it`)},
		},
		{
			name: "http endpoint with a query",
			def: `
[features.tracing]
exporter = "otlp-http"
endpoint = "http://collector:4318/?tenant=a"
`,
			want: []definition.Problem{problem(8, "endpoint", `"http://collector:4318/?tenant=a" has a query or a fragment: write the collector's base URL, such as http://collector:4318`)},
		},
		{
			name: "http endpoint with credentials",
			def: `
[features.tracing]
exporter = "otlp-http"
endpoint = "https://user:secret@collector:4318"
`,
			want: []definition.Problem{problem(8, "endpoint", `"https://user:xxxxx@collector:4318" carries credentials: send them in headers instead`)},
		},
		{
			name: "http endpoint from the environment is not shown",
			def: `envs = ["OTLP_URL"]
[features.tracing]
exporter = "otlp-http"
endpoint = "${OTLP_URL}"
`,
			env:  map[string]string{"OTLP_URL": "collector:4318"},
			want: []definition.Problem{problem(8, "endpoint", `the value from the environment: the scheme must be http or https (write the collector's base URL, such as http://collector:4318)`)},
		},
		{
			name: "http insecure against the scheme",
			def: `
[features.tracing]
exporter = "otlp-http"
endpoint = "https://collector:4318"
insecure = true
`,
			want: []definition.Problem{problem(9, "insecure", `is true but the endpoint is https://: for otlp-http the scheme chooses (http:// for plain text); remove insecure`)},
		},
		{
			name: "headers",
			def: `
[features.tracing]
[features.tracing.headers]
"bad name"   = "x"
content-type = "text/plain"
grpc-timeout = "1S"
x-token      = "a\nb"
`,
			want: []definition.Problem{
				problem(8, "headers.bad name", `"bad name" is not a valid header name (letters, digits and !#$%&'*+-.^_`+"`"+`|~ only)`),
				problem(9, "headers.content-type", `"content-type" is set by the exporter itself and cannot be changed`),
				problem(10, "headers.grpc-timeout", `"grpc-timeout": names beginning with grpc- are reserved by gRPC`),
				problem(11, "headers.x-token", "the value has a control character (a line break?), which a header cannot carry"),
			},
		},
		{
			name: "otlp keys with another exporter",
			def: `
[features.tracing]
exporter    = "stdout"
endpoint    = "collector:4317"
insecure    = true
headers     = { a = "b" }
compression = "gzip"
`,
			want: []definition.Problem{
				problem(8, "endpoint", "applies only to the otlp-grpc and otlp-http exporters, not to stdout"),
				problem(9, "insecure", "applies only to the otlp-grpc and otlp-http exporters, not to stdout"),
				problem(10, "headers", "applies only to the otlp-grpc and otlp-http exporters, not to stdout"),
				problem(11, "compression", "applies only to the otlp-grpc and otlp-http exporters, not to stdout"),
			},
		},
		{
			name: "compression",
			def: `
[features.tracing]
compression = "zstd"
`,
			want: []definition.Problem{problem(7, "compression", `"zstd" is not a compression (none or gzip)`)},
		},
		{
			name: "ratio without the ratio sampler",
			def: `
[features.tracing]
ratio = 0.5
`,
			want: []definition.Problem{problem(7, "ratio", `applies only with sampler = "ratio" (the sampler is "always_on")`)},
		},
		{
			name: "ratio sampler without ratio",
			def: `
[features.tracing]
sampler = "ratio"
`,
			want: []definition.Problem{problem(7, "sampler", "ratio needs the share of traces to record: add ratio, from 0 to 1 (such as ratio = 0.25)")},
		},
		{
			name: "ratio out of range",
			def: `
[features.tracing]
sampler = "ratio"
ratio   = 1.5
`,
			want: []definition.Problem{problem(8, "ratio", "must be from 0 to 1, not 1.5")},
		},
		{
			name: "ratio as an integer",
			def: `
[features.tracing]
sampler = "ratio"
ratio   = 1
`,
		},
		{
			name: "batches",
			def: `
[features.tracing]
batch_timeout         = "0s"
export_timeout        = "-1s"
max_queue_size        = 0
max_export_batch_size = -5
`,
			want: []definition.Problem{
				problem(7, "batch_timeout", "must be more than 0s, not 0s"),
				problem(8, "export_timeout", "must be more than 0s, not -1s"),
				problem(9, "max_queue_size", "must be at least 1, not 0"),
				problem(10, "max_export_batch_size", "must be at least 1, not -5"),
			},
		},
		{
			name: "batch larger than the queue",
			def: `
[features.tracing]
max_queue_size        = 100
max_export_batch_size = 512
`,
			want: []definition.Problem{problem(8, "max_export_batch_size", "512 is more than max_queue_size (100): a batch is taken from the queue")},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tracing.New().Configure(setup(parse(t, tt.def, tt.env)))
			var got definition.Problems
			if err != nil && !errors.As(err, &got) {
				t.Fatalf("Configure = %v, want definition.Problems", err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("Configure = %v\nwant %v", err, definition.Problems(tt.want))
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("problem %d:\ngot:  %#v\nwant: %#v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

// TestStartBeforeConfigure checks that an unconfigured feature does not
// start, and does nothing before it started.
func TestStartBeforeConfigure(t *testing.T) {
	f := tracing.New()
	if err := f.Start(t.Context()); err == nil {
		t.Error("Start before Configure succeeded")
	}
	if f.Provide() != nil || f.TracerProvider() != nil {
		t.Error("an unstarted feature provides a tracer provider")
	}
	if err := f.Stop(t.Context()); err != nil {
		t.Errorf("Stop of an unstarted feature: %v", err)
	}
	if err := f.Flush(t.Context()); err != nil {
		t.Errorf("Flush of an unstarted feature: %v", err)
	}
}
