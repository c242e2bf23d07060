package tracing

import (
	"errors"
	"fmt"
	"math"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mikros-go/mikros/core"
	"github.com/mikros-go/mikros/core/definition"
)

// Exporters: where the spans go.
const (
	// ExporterOTLPGRPC sends spans to an OTLP/gRPC receiver, such as an
	// OpenTelemetry collector or Jaeger, at endpoint (host:port).
	ExporterOTLPGRPC = "otlp-grpc"
	// ExporterOTLPHTTP sends spans to an OTLP/HTTP receiver: protobuf
	// bodies POSTed to endpoint + "/v1/traces".
	ExporterOTLPHTTP = "otlp-http"
	// ExporterStdout writes each span as one line of JSON to the process's
	// standard output.
	ExporterStdout = "stdout"
	// ExporterNone exports nothing: spans are still made, and trace context
	// still propagates to the services called and into log lines.
	ExporterNone = "none"
)

// Samplers: which new traces are recorded. A call that continues a trace
// follows the decision of its caller, whatever the sampler.
const (
	// SamplerAlwaysOn records every new trace.
	SamplerAlwaysOn = "always_on"
	// SamplerAlwaysOff records no new trace.
	SamplerAlwaysOff = "always_off"
	// SamplerRatio records the share of new traces that ratio says,
	// chosen by trace id, so that every service that samples by ratio
	// makes the same choice for a trace.
	SamplerRatio = "ratio"
)

// Compressions of the OTLP exporters' requests.
const (
	// CompressionNone sends requests as they are.
	CompressionNone = "none"
	// CompressionGzip compresses requests with gzip.
	CompressionGzip = "gzip"
)

// Defaults of the [features.tracing] table.
const (
	// DefaultExporter is the exporter when exporter is not written.
	DefaultExporter = ExporterOTLPGRPC
	// DefaultGRPCEndpoint is the otlp-grpc exporter's endpoint when
	// endpoint is not written.
	DefaultGRPCEndpoint = "localhost:4317"
	// DefaultHTTPEndpoint is the otlp-http exporter's endpoint when
	// endpoint is not written.
	DefaultHTTPEndpoint = "http://localhost:4318"
	// DefaultSampler is the sampler when sampler is not written.
	DefaultSampler = SamplerAlwaysOn
	// DefaultCompression is the OTLP exporters' compression when
	// compression is not written.
	DefaultCompression = CompressionNone
	// DefaultBatchTimeout is the longest a span waits to be exported.
	DefaultBatchTimeout = 5 * time.Second
	// DefaultExportTimeout is the longest one export may take.
	DefaultExportTimeout = 30 * time.Second
	// DefaultMaxQueueSize is how many spans may wait for export.
	DefaultMaxQueueSize = 2048
	// DefaultMaxExportBatchSize is how many spans one export holds at most.
	DefaultMaxExportBatchSize = 512
)

// tracesPath is what the otlp-http exporter adds to its endpoint.
const tracesPath = "/v1/traces"

var (
	exporters    = []string{ExporterOTLPGRPC, ExporterOTLPHTTP, ExporterStdout, ExporterNone}
	samplers     = []string{SamplerAlwaysOn, SamplerAlwaysOff, SamplerRatio}
	compressions = []string{CompressionNone, CompressionGzip}
)

// settings is the [features.tracing] table.
type settings struct {
	Exporter    string            `toml:"exporter"`
	Endpoint    string            `toml:"endpoint"`
	Headers     map[string]string `toml:"headers"`
	Insecure    bool              `toml:"insecure"`
	Compression string            `toml:"compression"`

	Sampler string  `toml:"sampler"`
	Ratio   float64 `toml:"ratio"`

	BatchTimeout       time.Duration `toml:"batch_timeout"`
	ExportTimeout      time.Duration `toml:"export_timeout"`
	MaxQueueSize       int           `toml:"max_queue_size"`
	MaxExportBatchSize int           `toml:"max_export_batch_size"`
}

// defaults returns the settings of an empty table.
func defaults() settings {
	return settings{
		Exporter:           DefaultExporter,
		Compression:        DefaultCompression,
		Sampler:            DefaultSampler,
		BatchTimeout:       DefaultBatchTimeout,
		ExportTimeout:      DefaultExportTimeout,
		MaxQueueSize:       DefaultMaxQueueSize,
		MaxExportBatchSize: DefaultMaxExportBatchSize,
	}
}

// otlp reports whether the settings export over OTLP.
func (st *settings) otlp() bool {
	return st.Exporter == ExporterOTLPGRPC || st.Exporter == ExporterOTLPHTTP
}

// readSettings decodes [features.tracing] strictly, fills in the defaults
// and checks every value, returning every problem found at its key.
func readSettings(s *core.Setup) (settings, error) {
	st := defaults()
	var problems definition.Problems
	if err := s.Settings.Decode(&st); err != nil {
		if !errors.As(err, &problems) {
			return st, err
		}
	}
	sec := s.Settings
	problem := func(key, format string, args ...any) {
		problems = append(problems, sec.Problem(key, format, args...))
	}

	if !slices.Contains(exporters, st.Exporter) {
		problem("exporter", "%q is not an exporter (otlp-grpc, otlp-http, stdout or none)", st.Exporter)
	}
	if st.otlp() {
		if st.Endpoint == "" && !sec.Has("endpoint") {
			st.Endpoint = DefaultGRPCEndpoint
			if st.Exporter == ExporterOTLPHTTP {
				st.Endpoint = DefaultHTTPEndpoint
			}
		}
		if msg := checkEndpoint(st.Exporter, st.Endpoint, show(sec, "endpoint", st.Endpoint)); msg != "" {
			problem("endpoint", "%s", msg)
		}
		if st.Exporter == ExporterOTLPHTTP && sec.Has("insecure") {
			if msg := checkHTTPInsecure(st.Endpoint, st.Insecure); msg != "" {
				problem("insecure", "%s", msg)
			}
		}
		for _, name := range sortedKeys(st.Headers) {
			if msg := checkHeader(st.Exporter, name, st.Headers[name]); msg != "" {
				problem("headers."+name, "%s", msg)
			}
		}
		if !slices.Contains(compressions, st.Compression) {
			problem("compression", "%q is not a compression (none or gzip)", st.Compression)
		}
	} else if slices.Contains(exporters, st.Exporter) {
		for _, key := range []string{"endpoint", "headers", "insecure", "compression"} {
			if sec.Has(key) {
				problem(key, "applies only to the otlp-grpc and otlp-http exporters, not to %s", st.Exporter)
			}
		}
	}

	switch {
	case !slices.Contains(samplers, st.Sampler):
		problem("sampler", "%q is not a sampler (always_on, always_off or ratio)", st.Sampler)
	case st.Sampler == SamplerRatio && !sec.Has("ratio"):
		problem("sampler", "ratio needs the share of traces to record: add ratio, from 0 to 1 (such as ratio = 0.25)")
	case st.Sampler != SamplerRatio && sec.Has("ratio"):
		problem("ratio", "applies only with sampler = \"ratio\" (the sampler is %q)", st.Sampler)
	}
	if sec.Has("ratio") && (math.IsNaN(st.Ratio) || st.Ratio < 0 || st.Ratio > 1) {
		shown := strconv.FormatFloat(st.Ratio, 'g', -1, 64)
		if sec.FromEnv("ratio") {
			shown = "the value from the environment"
		}
		problem("ratio", "must be from 0 to 1, not %s", shown)
	}

	for _, d := range []struct {
		key string
		v   time.Duration
	}{{"batch_timeout", st.BatchTimeout}, {"export_timeout", st.ExportTimeout}} {
		if d.v <= 0 {
			problem(d.key, "must be more than 0s, not %s", d.v)
		}
	}
	for _, n := range []struct {
		key string
		v   int
	}{{"max_queue_size", st.MaxQueueSize}, {"max_export_batch_size", st.MaxExportBatchSize}} {
		if n.v < 1 {
			problem(n.key, "must be at least 1, not %d", n.v)
		}
	}
	if st.MaxQueueSize >= 1 && st.MaxExportBatchSize > st.MaxQueueSize {
		problem("max_export_batch_size", "%d is more than max_queue_size (%d): a batch is taken from the queue", st.MaxExportBatchSize, st.MaxQueueSize)
	}

	if len(problems) > 0 {
		problems.Sort()
		return st, problems
	}
	return st, nil
}

// checkEndpoint returns what is wrong with an OTLP exporter's endpoint, or
// "". shown is the endpoint as messages show it.
func checkEndpoint(exporter, endpoint, shown string) string {
	if exporter == ExporterOTLPHTTP {
		return checkHTTPEndpoint(endpoint, shown)
	}
	if endpoint == "" {
		return "must be host:port, such as collector:4317, not empty"
	}
	if strings.Contains(endpoint, "://") {
		return fmt.Sprintf("%s: for otlp-grpc write host:port, such as collector:4317, not a URL (insecure = true chooses plain text)", shown)
	}
	host, port, err := net.SplitHostPort(endpoint)
	if err != nil {
		return fmt.Sprintf("%s is not host:port, such as collector:4317", shown)
	}
	if host == "" {
		return fmt.Sprintf("%s has no host (write it like collector:4317)", shown)
	}
	if msg := checkPort(port); msg != "" {
		return fmt.Sprintf("%s: %s", shown, msg)
	}
	return ""
}

// checkHTTPEndpoint returns what is wrong with an otlp-http endpoint, or
// "". shown is the endpoint as messages show it.
func checkHTTPEndpoint(endpoint, shown string) string {
	const form = "http://collector:4318"
	u, err := url.Parse(endpoint)
	if err != nil || endpoint == "" {
		return fmt.Sprintf("%s is not a URL (write the collector's base URL, such as %s)", shown, form)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Sprintf("%s: the scheme must be http or https (write the collector's base URL, such as %s)", shown, form)
	case u.Host == "" || u.Hostname() == "":
		return fmt.Sprintf("%s has no host (write the collector's base URL, such as %s)", shown, form)
	case u.User != nil:
		return fmt.Sprintf("%s carries credentials: send them in headers instead", shown)
	case u.RawQuery != "" || u.Fragment != "" || u.ForceQuery:
		return fmt.Sprintf("%s has a query or a fragment: write the collector's base URL, such as %s", shown, form)
	case strings.HasSuffix(strings.TrimRight(u.Path, "/"), tracesPath):
		return fmt.Sprintf("%s ends with %s, which the exporter adds: write the collector's base URL, without it", shown, tracesPath)
	}
	if p := u.Port(); p != "" {
		if msg := checkPort(p); msg != "" {
			return fmt.Sprintf("%s: %s", shown, msg)
		}
	}
	return ""
}

// checkPort returns what is wrong with a port number, or "".
func checkPort(port string) string {
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 {
		return fmt.Sprintf("port %q is not a number from 1 to 65535", port)
	}
	return ""
}

// checkHTTPInsecure returns what is wrong with writing insecure for the
// otlp-http exporter, whose endpoint's scheme says whether it uses TLS,
// or "" when the two agree.
func checkHTTPInsecure(endpoint string, insecure bool) string {
	u, err := url.Parse(endpoint)
	if err != nil {
		return ""
	}
	switch {
	case insecure && u.Scheme == "https":
		return "is true but the endpoint is https://: for otlp-http the scheme chooses (http:// for plain text); remove insecure"
	case !insecure && u.Scheme == "http":
		return "is false but the endpoint is http://: for otlp-http the scheme chooses (https:// for TLS); remove insecure"
	}
	return ""
}

// reservedHeaders are headers the exporters set themselves.
var reservedHeaders = []string{"content-type", "content-length", "content-encoding", "te", "user-agent", "host"}

// checkHeader returns what is wrong with a header the exporter sends, or
// "". The value is never shown: it is often a credential.
func checkHeader(exporter, name, value string) string {
	if name == "" {
		return "a header needs a name"
	}
	for i := 0; i < len(name); i++ {
		if !isTokenChar(name[i]) {
			return fmt.Sprintf("%q is not a valid header name (letters, digits and !#$%%&'*+-.^_`|~ only)", name)
		}
	}
	lower := strings.ToLower(name)
	if slices.Contains(reservedHeaders, lower) {
		return fmt.Sprintf("%q is set by the exporter itself and cannot be changed", name)
	}
	if exporter == ExporterOTLPGRPC && strings.HasPrefix(lower, "grpc-") {
		return fmt.Sprintf("%q: names beginning with grpc- are reserved by gRPC", name)
	}
	for i := 0; i < len(value); i++ {
		if c := value[i]; c < ' ' && c != '\t' || c == 0x7f {
			return "the value has a control character (a line break?), which a header cannot carry"
		}
	}
	return ""
}

// isTokenChar reports whether c may appear in an HTTP header name
// (RFC 9110, token).
func isTokenChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// show returns a string value as a message shows it: quoted, with the
// password of a URL hidden, or, when it came from the environment, only
// said to have come from there.
func show(sec definition.Section, key, value string) string {
	if sec.FromEnv(key) {
		return "the value from the environment"
	}
	if u, err := url.Parse(value); err == nil && u.User != nil {
		value = u.Redacted()
	}
	return strconv.Quote(value)
}

// sortedKeys returns the keys of m, sorted.
func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
