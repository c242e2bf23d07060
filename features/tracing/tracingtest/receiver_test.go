package tracingtest_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	collectorpb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"

	"github.com/mikros-go/mikros/features/tracing/tracingtest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func str(s string) *commonpb.AnyValue {
	return &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: s}}
}

// request is an export of two spans, a server span and its child, with
// attributes of every type.
func request() *collectorpb.ExportTraceServiceRequest {
	tid := []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	return &collectorpb.ExportTraceServiceRequest{ResourceSpans: []*tracepb.ResourceSpans{{
		Resource: &resourcepb.Resource{Attributes: []*commonpb.KeyValue{{Key: "service.name", Value: str("orders")}}},
		ScopeSpans: []*tracepb.ScopeSpans{{
			Scope: &commonpb.InstrumentationScope{Name: "scope"},
			Spans: []*tracepb.Span{
				{
					TraceId: tid, SpanId: []byte{1, 1, 1, 1, 1, 1, 1, 1},
					Name: "GET /orders/{id}", Kind: tracepb.Span_SPAN_KIND_SERVER,
					StartTimeUnixNano: 1_000_000_000, EndTimeUnixNano: 2_000_000_000,
					Attributes: []*commonpb.KeyValue{
						{Key: "s", Value: str("x")},
						{Key: "b", Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_BoolValue{BoolValue: true}}},
						{Key: "i", Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_IntValue{IntValue: 42}}},
						{Key: "d", Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_DoubleValue{DoubleValue: 0.5}}},
						{Key: "y", Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_BytesValue{BytesValue: []byte("hi")}}},
						{Key: "a", Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_ArrayValue{ArrayValue: &commonpb.ArrayValue{Values: []*commonpb.AnyValue{str("p"), str("q")}}}}},
						{Key: "m", Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_KvlistValue{KvlistValue: &commonpb.KeyValueList{Values: []*commonpb.KeyValue{{Key: "k", Value: str("v")}}}}}},
					},
					Status: &tracepb.Status{Code: tracepb.Status_STATUS_CODE_ERROR, Message: "boom"},
					Events: []*tracepb.Span_Event{{Name: "exception"}},
				},
				{
					TraceId: tid, SpanId: []byte{2, 2, 2, 2, 2, 2, 2, 2}, ParentSpanId: []byte{1, 1, 1, 1, 1, 1, 1, 1},
					Name: "db", Kind: tracepb.Span_SPAN_KIND_CLIENT,
					Status: &tracepb.Status{Code: tracepb.Status_STATUS_CODE_OK},
				},
			},
		}},
	}}}
}

// checkDecoded checks the spans of request() as the receiver decoded
// them.
func checkDecoded(t *testing.T, spans []tracingtest.Span, via string) {
	t.Helper()
	if len(spans) != 2 {
		t.Fatalf("%d spans, want 2", len(spans))
	}
	server, db := spans[0], spans[1]
	want := tracingtest.Span{
		Via:      via,
		Resource: map[string]any{"service.name": "orders"},
		Scope:    "scope",
		TraceID:  trace.TraceID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16},
		SpanID:   trace.SpanID{1, 1, 1, 1, 1, 1, 1, 1},
		Name:     "GET /orders/{id}",
		Kind:     trace.SpanKindServer,
		Start:    time.Unix(1, 0),
		End:      time.Unix(2, 0),
		Attributes: map[string]any{
			"s": "x", "b": true, "i": int64(42), "d": 0.5, "y": []byte("hi"),
			"a": []any{"p", "q"}, "m": map[string]any{"k": "v"},
		},
		Status:        codes.Error,
		StatusMessage: "boom",
		Events:        []string{"exception"},
	}
	if !reflect.DeepEqual(server, want) {
		t.Errorf("got  %#v\nwant %#v", server, want)
	}
	if !server.IsRoot() || db.IsRoot() || !db.ChildOf(server) {
		t.Errorf("parents: %v, %v", server, db)
	}
	if db.Kind != trace.SpanKindClient || db.Status != codes.Ok || !db.Start.IsZero() {
		t.Errorf("db span %#v", db)
	}
}

// TestGRPC exports over OTLP/gRPC, as an exporter does.
func TestGRPC(t *testing.T) {
	rcv := tracingtest.NewReceiver(t)
	conn, err := grpc.NewClient(rcv.Endpoint(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := collectorpb.NewTraceServiceClient(conn).Export(ctx, request(), grpc.UseCompressor("gzip")); err != nil {
		t.Fatal(err)
	}
	spans, err := rcv.WaitSpans(2, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	checkDecoded(t, spans, tracingtest.ViaGRPC)
	if rcv.Exports() != 1 {
		t.Errorf("%d exports, want 1", rcv.Exports())
	}
}

// TestHTTP exports over OTLP/HTTP, plain and gzip-compressed, and checks
// the answers to requests that are not exports.
func TestHTTP(t *testing.T) {
	body, err := proto.Marshal(request())
	if err != nil {
		t.Fatal(err)
	}
	var zipped bytes.Buffer
	zw := gzip.NewWriter(&zipped)
	_, _ = zw.Write(body)
	_ = zw.Close()
	for _, tc := range []struct {
		name     string
		method   string
		ct, ce   string
		body     []byte
		status   int
		received int
	}{
		{name: "protobuf", method: "POST", ct: "application/x-protobuf", body: body, status: 200, received: 2},
		{name: "gzip", method: "POST", ct: "application/x-protobuf", ce: "gzip", body: zipped.Bytes(), status: 200, received: 2},
		{name: "not a POST", method: "GET", status: 405},
		{name: "json", method: "POST", ct: "application/json", body: []byte("{}"), status: 415},
		{name: "not protobuf", method: "POST", ct: "application/x-protobuf", body: []byte("\xff\xff\xff"), status: 400},
		{name: "bad gzip", method: "POST", ct: "application/x-protobuf", ce: "gzip", body: body, status: 400},
		{name: "unknown encoding", method: "POST", ct: "application/x-protobuf", ce: "br", body: body, status: 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rcv := tracingtest.NewReceiver(t)
			req, err := http.NewRequestWithContext(t.Context(), tc.method, rcv.URL()+tracingtest.TracesPath, bytes.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			if tc.ct != "" {
				req.Header.Set("Content-Type", tc.ct)
			}
			if tc.ce != "" {
				req.Header.Set("Content-Encoding", tc.ce)
			}
			client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			_ = resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tc.status)
			}
			if tc.received > 0 {
				if ct := resp.Header.Get("Content-Type"); ct != "application/x-protobuf" {
					t.Errorf("answered with Content-Type %q", ct)
				}
				checkDecoded(t, rcv.Spans(), tracingtest.ViaHTTP)
			} else if n := len(rcv.Spans()); n != 0 {
				t.Errorf("%d spans kept, want none", n)
			}
		})
	}
}

// TestWaitSpans checks that WaitSpans gives up after its timeout, naming
// what arrived, and that Reset forgets spans.
func TestWaitSpans(t *testing.T) {
	rcv := tracingtest.NewReceiver(t)
	begin := time.Now()
	spans, err := rcv.WaitSpans(1, 50*time.Millisecond)
	if err == nil || len(spans) != 0 || !strings.Contains(err.Error(), "0 spans arrived within 50ms, want 1") {
		t.Errorf("WaitSpans = %v, %v", spans, err)
	}
	if took := time.Since(begin); took > 2*time.Second {
		t.Errorf("WaitSpans took %s", took)
	}
	rcv.Reset()
	if err := rcv.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := rcv.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}
