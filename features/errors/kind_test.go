package errors_test

import (
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"

	merrors "github.com/mikros-go/mikros/features/errors"
)

// kinds is every Kind with what it must map to. The numbers are written out
// rather than taken from google.golang.org/grpc/codes and net/http, so that
// a change to the table shows here.
var kinds = []struct {
	kind  merrors.Kind
	name  string
	grpc  uint32
	http  int
	title string
}{
	{merrors.Unknown, "unknown", 2, 500, "Internal Server Error"},
	{merrors.InvalidArgument, "invalid_argument", 3, 400, "Bad Request"},
	{merrors.NotFound, "not_found", 5, 404, "Not Found"},
	{merrors.AlreadyExists, "already_exists", 6, 409, "Conflict"},
	{merrors.FailedPrecondition, "failed_precondition", 9, 400, "Bad Request"},
	{merrors.PermissionDenied, "permission_denied", 7, 403, "Forbidden"},
	{merrors.Unauthenticated, "unauthenticated", 16, 401, "Unauthorized"},
	{merrors.ResourceExhausted, "resource_exhausted", 8, 429, "Too Many Requests"},
	{merrors.Unavailable, "unavailable", 14, 503, "Service Unavailable"},
	{merrors.DeadlineExceeded, "deadline_exceeded", 4, 504, "Gateway Timeout"},
	{merrors.Canceled, "canceled", 1, 499, "Client Closed Request"},
	{merrors.Aborted, "aborted", 10, 409, "Conflict"},
	{merrors.OutOfRange, "out_of_range", 11, 400, "Bad Request"},
	{merrors.Unimplemented, "unimplemented", 12, 501, "Not Implemented"},
	{merrors.Internal, "internal", 13, 500, "Internal Server Error"},
	{merrors.DataLoss, "data_loss", 15, 500, "Internal Server Error"},
}

func TestKindMappings(t *testing.T) {
	if last := kinds[len(kinds)-1].kind; last != merrors.DataLoss || int(last) != len(kinds)-1 {
		t.Fatalf("the test lists %d kinds, ending with %v; it must list every kind in order", len(kinds), last)
	}
	for i, tt := range kinds {
		t.Run(tt.name, func(t *testing.T) {
			if int(tt.kind) != i {
				t.Errorf("Kind = %d, want %d (the constants' order)", tt.kind, i)
			}
			if got := tt.kind.String(); got != tt.name {
				t.Errorf("String() = %q, want %q", got, tt.name)
			}
			if got := tt.kind.GRPCCode(); got != tt.grpc {
				t.Errorf("GRPCCode() = %d, want %d", got, tt.grpc)
			}
			if got := tt.kind.HTTPStatus(); got != tt.http {
				t.Errorf("HTTPStatus() = %d, want %d", got, tt.http)
			}
			if got := merrors.New(tt.kind, "").Problem().Title; got != tt.title {
				t.Errorf("Problem().Title = %q, want %q", got, tt.title)
			}
			if std := http.StatusText(tt.http); std != "" && std != tt.title {
				t.Errorf("title %q differs from net/http's %q", tt.title, std)
			}
			// Round trips.
			if got, ok := merrors.ParseKind(tt.name); !ok || got != tt.kind {
				t.Errorf("ParseKind(%q) = %v, %v; want %v, true", tt.name, got, ok, tt.kind)
			}
			if got := merrors.KindFromGRPCCode(tt.grpc); got != tt.kind {
				t.Errorf("KindFromGRPCCode(%d) = %v, want %v", tt.grpc, got, tt.kind)
			}
			// Several kinds share a status: reading it back may give
			// another kind, but one that answers with the same status.
			if got := merrors.KindFromHTTPStatus(tt.http); got.HTTPStatus() != tt.http {
				t.Errorf("KindFromHTTPStatus(%d) = %v, which answers %d", tt.http, got, got.HTTPStatus())
			}
		})
	}
}

// TestGRPCCodesCovered checks every gRPC code but OK has exactly one kind.
func TestGRPCCodesCovered(t *testing.T) {
	seen := map[uint32]merrors.Kind{}
	for _, tt := range kinds {
		if prev, dup := seen[tt.grpc]; dup {
			t.Errorf("%v and %v both map to gRPC code %d", prev, tt.kind, tt.grpc)
		}
		seen[tt.grpc] = tt.kind
	}
	for code := uint32(1); code <= 16; code++ {
		if _, ok := seen[code]; !ok {
			t.Errorf("no kind maps to gRPC code %d", code)
		}
	}
	for _, code := range []uint32{0, 17, 100, ^uint32(0)} {
		if got := merrors.KindFromGRPCCode(code); got != merrors.Unknown {
			t.Errorf("KindFromGRPCCode(%d) = %v, want unknown", code, got)
		}
	}
}

func TestKindFromHTTPStatus(t *testing.T) {
	tests := []struct {
		status int
		want   merrors.Kind
	}{
		{400, merrors.InvalidArgument},
		{401, merrors.Unauthenticated},
		{403, merrors.PermissionDenied},
		{404, merrors.NotFound},
		{405, merrors.Unimplemented},
		{408, merrors.DeadlineExceeded},
		{409, merrors.AlreadyExists},
		{410, merrors.NotFound},
		{412, merrors.FailedPrecondition},
		{413, merrors.ResourceExhausted},
		{416, merrors.OutOfRange},
		{422, merrors.InvalidArgument},
		{429, merrors.ResourceExhausted},
		{499, merrors.Canceled},
		{500, merrors.Internal},
		{501, merrors.Unimplemented},
		{502, merrors.Unavailable},
		{503, merrors.Unavailable},
		{504, merrors.DeadlineExceeded},
		// Statuses the table does not list: by class.
		{402, merrors.InvalidArgument},
		{418, merrors.InvalidArgument},
		{451, merrors.InvalidArgument},
		{505, merrors.Internal},
		{599, merrors.Internal},
		// Not errors.
		{0, merrors.Unknown},
		{200, merrors.Unknown},
		{204, merrors.Unknown},
		{302, merrors.Unknown},
		{399, merrors.Unknown},
		{600, merrors.Unknown},
		{-1, merrors.Unknown},
	}
	for _, tt := range tests {
		if got := merrors.KindFromHTTPStatus(tt.status); got != tt.want {
			t.Errorf("KindFromHTTPStatus(%d) = %v, want %v", tt.status, got, tt.want)
		}
	}
}

func TestKindOutsideTheConstants(t *testing.T) {
	k := merrors.DataLoss + 1
	if got := k.String(); got != "kind(16)" {
		t.Errorf("String() = %q, want kind(16)", got)
	}
	if got := merrors.Kind(255).String(); got != "kind(255)" {
		t.Errorf("String() = %q, want kind(255)", got)
	}
	if k.GRPCCode() != merrors.Unknown.GRPCCode() || k.HTTPStatus() != merrors.Unknown.HTTPStatus() {
		t.Errorf("%v maps to %d and %d, want Unknown's %d and %d", k, k.GRPCCode(), k.HTTPStatus(),
			merrors.Unknown.GRPCCode(), merrors.Unknown.HTTPStatus())
	}
	if got := merrors.New(k, "x").Kind(); got != merrors.Unknown {
		t.Errorf("New(%v).Kind() = %v, want unknown", k, got)
	}
	if got := merrors.New(k, "x").Problem().Kind; got != "unknown" {
		t.Errorf("New(%v).Problem().Kind = %q, want unknown", k, got)
	}
}

func TestParseKindRejects(t *testing.T) {
	for _, s := range []string{"", "NOT_FOUND", "NotFound", "not-found", "kind(16)", " not_found"} {
		if got, ok := merrors.ParseKind(s); ok || got != merrors.Unknown {
			t.Errorf("ParseKind(%q) = %v, %v; want unknown, false", s, got, ok)
		}
	}
}

// TestDocTable checks the table in the package documentation says what the
// code does.
func TestDocTable(t *testing.T) {
	src, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string][]string{}
	for line := range strings.Lines(string(src)) {
		f := strings.Fields(strings.TrimPrefix(line, "//"))
		if len(f) >= 5 {
			if _, ok := merrors.ParseKind(f[0]); ok {
				rows[f[0]] = f
			}
		}
	}
	for _, tt := range kinds {
		f, ok := rows[tt.name]
		if !ok {
			t.Errorf("doc.go: no row for %s", tt.name)
			continue
		}
		grpc, status, title := f[1], f[3], strings.Join(f[4:], " ")
		if grpc != strconv.Itoa(int(tt.grpc)) || status != strconv.Itoa(tt.http) || title != tt.title {
			t.Errorf("doc.go: row %q, want %s %d ... %d %s", strings.Join(f, " "), tt.name, tt.grpc, tt.http, tt.title)
		}
	}
}
