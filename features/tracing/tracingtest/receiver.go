// Package tracingtest helps test what a service's traces look like once
// they left it: a [Receiver] is an OTLP receiver, over gRPC and over HTTP,
// that listens on loopback, decodes the spans it is sent and keeps them for
// the test to read.
//
// Point the tracing feature at it:
//
//	rcv := tracingtest.NewReceiver(t)
//	def := fmt.Sprintf(`
//		...
//		[features.tracing]
//		enabled  = true
//		exporter = "otlp-grpc"
//		endpoint = %q
//		insecure = true
//	`, rcv.Endpoint())
//
// (or exporter = "otlp-http" with endpoint = rcv.URL()), run the service,
// stop it (which exports what is left), then read what arrived:
//
//	spans, err := rcv.WaitSpans(3, 5*time.Second)
package tracingtest

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	collectorpb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/grpc"
	_ "google.golang.org/grpc/encoding/gzip" // accept gzip-compressed exports
	"google.golang.org/protobuf/proto"
)

// Ways a span reached the receiver (Span.Via).
const (
	ViaGRPC = "grpc"
	ViaHTTP = "http"
)

// TracesPath is the path of OTLP/HTTP trace exports.
const TracesPath = "/v1/traces"

// maxBody bounds the body of an OTLP/HTTP export, compressed or not.
const maxBody = 16 << 20

// Span is one span as the receiver decoded it.
type Span struct {
	// Via is how it arrived: ViaGRPC or ViaHTTP.
	Via string
	// Resource holds the attributes of the resource that made it, such as
	// service.name.
	Resource map[string]any
	// Scope is the name of its instrumentation scope.
	Scope string

	// TraceID and SpanID identify the span; ParentSpanID is its parent's
	// span id, invalid (all zero) for a root span.
	TraceID      trace.TraceID
	SpanID       trace.SpanID
	ParentSpanID trace.SpanID
	// TraceState is the W3C tracestate it carried.
	TraceState string

	// Name and Kind are the span's name and kind.
	Name string
	Kind trace.SpanKind
	// Start and End are when it started and ended; zero when not sent.
	Start time.Time
	End   time.Time
	// Attributes holds the span's attributes. Values are string, bool,
	// int64, float64, []byte, []any (an array) or map[string]any.
	Attributes map[string]any
	// Status and StatusMessage are the span's status.
	Status        codes.Code
	StatusMessage string
	// Events are the names of the span's events, in order.
	Events []string
}

// IsRoot reports whether the span has no parent.
func (s Span) IsRoot() bool { return !s.ParentSpanID.IsValid() }

// ChildOf reports whether s is a child of parent: in its trace, with it as
// its parent.
func (s Span) ChildOf(parent Span) bool {
	return s.TraceID == parent.TraceID && s.ParentSpanID == parent.SpanID
}

// String returns the span's name, kind and ids, for messages.
func (s Span) String() string {
	return fmt.Sprintf("%s (%s, trace %s, span %s, parent %s)", s.Name, s.Kind, s.TraceID, s.SpanID, s.ParentSpanID)
}

// Receiver is an OTLP trace receiver on two loopback ports: one serving
// the OTLP/gRPC TraceService, one OTLP/HTTP (protobuf bodies POSTed to
// /v1/traces, gzip-compressed or not). It answers every export with
// success and keeps the spans, in the order they arrived. Its methods are
// safe for concurrent use.
type Receiver struct {
	grpcLn, httpLn net.Listener
	grpcSrv        *grpc.Server
	httpSrv        *http.Server
	serving        sync.WaitGroup
	closeOnce      sync.Once

	mu      sync.Mutex
	spans   []Span
	exports int
	arrived chan struct{} // closed, and replaced, when spans arrive
}

// Listen starts a receiver on two loopback ports chosen by the system.
// Close it when done.
func Listen() (*Receiver, error) {
	grpcLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("tracingtest: OTLP/gRPC listener: %w", err)
	}
	httpLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		_ = grpcLn.Close()
		return nil, fmt.Errorf("tracingtest: OTLP/HTTP listener: %w", err)
	}
	r := &Receiver{grpcLn: grpcLn, httpLn: httpLn, arrived: make(chan struct{})}
	r.grpcSrv = grpc.NewServer()
	collectorpb.RegisterTraceServiceServer(r.grpcSrv, traceService{r: r})
	mux := http.NewServeMux()
	mux.HandleFunc(TracesPath, r.serveHTTP)
	r.httpSrv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	r.serving.Go(func() { _ = r.grpcSrv.Serve(grpcLn) })
	r.serving.Go(func() { _ = r.httpSrv.Serve(httpLn) })
	return r, nil
}

// NewReceiver starts a receiver for the test t, and closes it when the
// test ends. It fails the test when it cannot listen.
func NewReceiver(t testing.TB) *Receiver {
	t.Helper()
	r, err := Listen()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close() })
	return r
}

// Endpoint returns the OTLP/gRPC endpoint, "127.0.0.1:port": the tracing
// feature's endpoint for exporter = "otlp-grpc" (with insecure = true).
func (r *Receiver) Endpoint() string { return r.grpcLn.Addr().String() }

// URL returns the OTLP/HTTP base URL, "http://127.0.0.1:port": the tracing
// feature's endpoint for exporter = "otlp-http". Exports go to URL() +
// "/v1/traces".
func (r *Receiver) URL() string { return "http://" + r.httpLn.Addr().String() }

// Spans returns the spans received so far, in the order they arrived.
func (r *Receiver) Spans() []Span {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.spans)
}

// Exports returns how many export requests the receiver accepted.
func (r *Receiver) Exports() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.exports
}

// Reset forgets the spans received so far.
func (r *Receiver) Reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.spans = nil
}

// WaitSpans waits until at least n spans arrived, and returns every span
// received. When fewer arrived within timeout, it returns those with an
// error that names them.
func (r *Receiver) WaitSpans(n int, timeout time.Duration) ([]Span, error) {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		r.mu.Lock()
		spans, arrived := slices.Clone(r.spans), r.arrived
		r.mu.Unlock()
		if len(spans) >= n {
			return spans, nil
		}
		select {
		case <-arrived:
		case <-timer.C:
			names := make([]string, len(spans))
			for i, s := range spans {
				names[i] = s.Name
			}
			return spans, fmt.Errorf("tracingtest: %d spans arrived within %s, want %d: %q", len(spans), timeout, n, names)
		}
	}
}

// Close stops both listeners and waits for the servers to end. It is safe
// to call more than once.
func (r *Receiver) Close() error {
	var err error
	r.closeOnce.Do(func() {
		r.grpcSrv.Stop()
		err = r.httpSrv.Close()
		r.serving.Wait()
	})
	return err
}

// record keeps the spans of one export request.
func (r *Receiver) record(via string, req *collectorpb.ExportTraceServiceRequest) {
	spans := decode(via, req)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.exports++
	if len(spans) == 0 {
		return
	}
	r.spans = append(r.spans, spans...)
	close(r.arrived)
	r.arrived = make(chan struct{})
}

// traceService is the receiver's OTLP/gRPC TraceService.
type traceService struct {
	collectorpb.UnimplementedTraceServiceServer
	r *Receiver
}

// Export keeps the request's spans and answers success.
func (s traceService) Export(_ context.Context, req *collectorpb.ExportTraceServiceRequest) (*collectorpb.ExportTraceServiceResponse, error) {
	s.r.record(ViaGRPC, req)
	return &collectorpb.ExportTraceServiceResponse{}, nil
}

// serveHTTP is the OTLP/HTTP trace endpoint: a protobuf
// ExportTraceServiceRequest in, an ExportTraceServiceResponse out.
func (r *Receiver) serveHTTP(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "tracingtest: OTLP/HTTP exports are POSTed", http.StatusMethodNotAllowed)
		return
	}
	if ct, _, _ := mime.ParseMediaType(req.Header.Get("Content-Type")); ct != "application/x-protobuf" {
		http.Error(w, fmt.Sprintf("tracingtest: Content-Type %q: only application/x-protobuf is accepted", ct), http.StatusUnsupportedMediaType)
		return
	}
	body, err := readBody(req)
	if err != nil {
		http.Error(w, "tracingtest: "+err.Error(), http.StatusBadRequest)
		return
	}
	var export collectorpb.ExportTraceServiceRequest
	if err := proto.Unmarshal(body, &export); err != nil {
		http.Error(w, "tracingtest: the body is not an ExportTraceServiceRequest: "+err.Error(), http.StatusBadRequest)
		return
	}
	r.record(ViaHTTP, &export)
	out, err := proto.Marshal(&collectorpb.ExportTraceServiceResponse{})
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(out)
}

// readBody reads an export's body, uncompressing it when its
// Content-Encoding is gzip.
func readBody(req *http.Request) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(req.Body, maxBody+1))
	if err != nil {
		return nil, fmt.Errorf("reading the body: %w", err)
	}
	if len(body) > maxBody {
		return nil, fmt.Errorf("the body is over %d bytes", maxBody)
	}
	switch enc := strings.ToLower(req.Header.Get("Content-Encoding")); enc {
	case "", "identity":
		return body, nil
	case "gzip":
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			return nil, fmt.Errorf("the gzip body: %w", err)
		}
		plain, err := io.ReadAll(io.LimitReader(zr, maxBody+1))
		if err != nil {
			return nil, fmt.Errorf("the gzip body: %w", err)
		}
		if len(plain) > maxBody {
			return nil, fmt.Errorf("the uncompressed body is over %d bytes", maxBody)
		}
		return plain, nil
	default:
		return nil, fmt.Errorf("content encoding %q is not supported (gzip is)", enc)
	}
}

// decode turns an export request into spans.
func decode(via string, req *collectorpb.ExportTraceServiceRequest) []Span {
	var spans []Span
	for _, rs := range req.GetResourceSpans() {
		res := attributes(rs.GetResource().GetAttributes())
		for _, ss := range rs.GetScopeSpans() {
			scope := ss.GetScope().GetName()
			for _, s := range ss.GetSpans() {
				span := Span{
					Via:           via,
					Resource:      res,
					Scope:         scope,
					TraceState:    s.GetTraceState(),
					Name:          s.GetName(),
					Kind:          spanKind(s.GetKind()),
					Start:         unixNano(s.GetStartTimeUnixNano()),
					End:           unixNano(s.GetEndTimeUnixNano()),
					Attributes:    attributes(s.GetAttributes()),
					Status:        statusCode(s.GetStatus().GetCode()),
					StatusMessage: s.GetStatus().GetMessage(),
				}
				copy(span.TraceID[:], s.GetTraceId())
				copy(span.SpanID[:], s.GetSpanId())
				copy(span.ParentSpanID[:], s.GetParentSpanId())
				for _, e := range s.GetEvents() {
					span.Events = append(span.Events, e.GetName())
				}
				spans = append(spans, span)
			}
		}
	}
	return spans
}

// unixNano returns the time n nanoseconds after the Unix epoch; the zero
// time for 0.
func unixNano(n uint64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, int64(n))
}

// spanKind converts OTLP's span kind, which numbers the kinds as
// OpenTelemetry's API does.
func spanKind(k tracepb.Span_SpanKind) trace.SpanKind {
	return trace.SpanKind(k)
}

// statusCode converts OTLP's status code, which numbers Ok and Error the
// other way round from OpenTelemetry's API.
func statusCode(c tracepb.Status_StatusCode) codes.Code {
	switch c {
	case tracepb.Status_STATUS_CODE_OK:
		return codes.Ok
	case tracepb.Status_STATUS_CODE_ERROR:
		return codes.Error
	}
	return codes.Unset
}

// attributes converts OTLP key-values to a map.
func attributes(kvs []*commonpb.KeyValue) map[string]any {
	m := make(map[string]any, len(kvs))
	for _, kv := range kvs {
		m[kv.GetKey()] = value(kv.GetValue())
	}
	return m
}

// value converts an OTLP value to Go's.
func value(v *commonpb.AnyValue) any {
	switch x := v.GetValue().(type) {
	case *commonpb.AnyValue_StringValue:
		return x.StringValue
	case *commonpb.AnyValue_BoolValue:
		return x.BoolValue
	case *commonpb.AnyValue_IntValue:
		return x.IntValue
	case *commonpb.AnyValue_DoubleValue:
		return x.DoubleValue
	case *commonpb.AnyValue_BytesValue:
		return x.BytesValue
	case *commonpb.AnyValue_ArrayValue:
		items := make([]any, len(x.ArrayValue.GetValues()))
		for i, item := range x.ArrayValue.GetValues() {
			items[i] = value(item)
		}
		return items
	case *commonpb.AnyValue_KvlistValue:
		return attributes(x.KvlistValue.GetValues())
	}
	return nil
}
