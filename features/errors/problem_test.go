package errors_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"strings"
	"testing"

	merrors "github.com/mikros-go/mikros/features/errors"
)

func TestProblem(t *testing.T) {
	e := merrors.New(merrors.PermissionDenied, "only the owner may cancel the order").
		WithCode("NOT_OWNER").WithDetail("order", "42")
	want := merrors.Problem{
		Type:    "about:blank",
		Title:   "Forbidden",
		Status:  403,
		Detail:  "only the owner may cancel the order",
		Kind:    "permission_denied",
		Code:    "NOT_OWNER",
		Details: map[string]string{"order": "42"},
	}
	if got := e.Problem(); !reflect.DeepEqual(got, want) {
		t.Errorf("Problem() = %+v\nwant %+v", got, want)
	}

	// The problem's details are a copy.
	p := e.Problem()
	p.Details["order"] = "changed"
	if e.Details()["order"] != "42" {
		t.Error("changing the Problem's details changed the error")
	}

	body, err := json.Marshal(merrors.New(merrors.Internal, "").Problem())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(body), `{"type":"about:blank","title":"Internal Server Error","status":500,"kind":"internal"}`; got != want {
		t.Errorf("JSON = %s, want %s", got, want)
	}
	if merrors.ProblemContentType != "application/problem+json" {
		t.Errorf("ProblemContentType = %q", merrors.ProblemContentType)
	}
}

// TestProblemNeverHasTheCause marshals the problem of errors with causes and
// looks for the cause's text anywhere in the JSON.
func TestProblemNeverHasTheCause(t *testing.T) {
	const secret = "password=hunter2 at db-7.internal:5432"
	cause := errors.New(secret)
	tests := []struct {
		name string
		err  error
	}{
		{"WithCause", merrors.New(merrors.Unavailable, "try later").WithCause(cause)},
		{"cause wrapped", merrors.New(merrors.NotFound, "no order").WithCause(fmt.Errorf("query: %w", cause))},
		{"an *Error wrapped around", fmt.Errorf("%s: %w", secret, merrors.New(merrors.NotFound, "no order"))},
		{"plain error", cause},
		{"plain error wrapped", fmt.Errorf("load: %w", cause)},
		{"with code and details", merrors.New(merrors.Aborted, "retry").WithCode("CONFLICT").WithDetail("k", "v").WithCause(cause)},
		{"an *Error as cause", merrors.New(merrors.Internal, "").WithCause(merrors.New(merrors.NotFound, secret))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := merrors.From(tt.err)
			body, err := json.Marshal(e.Problem())
			if err != nil {
				t.Fatal(err)
			}
			for _, part := range []string{secret, "hunter2", "db-7"} {
				if strings.Contains(string(body), part) {
					t.Errorf("the problem contains %q: %s", part, body)
				}
			}
			// The log line does have it, except where the *Error was
			// wrapped: then the log line is the wrapper's.
			if tt.name != "an *Error wrapped around" && !strings.Contains(e.Error(), secret) {
				t.Errorf("Error() = %q lost the cause", e.Error())
			}
		})
	}
}

func TestFromProblemRoundTrip(t *testing.T) {
	for _, tt := range kinds {
		for _, e := range []*merrors.Error{
			merrors.New(tt.kind, ""),
			merrors.New(tt.kind, "a message").WithCode("SOME_CODE").WithDetail("a", "1").WithDetail("b", "2"),
		} {
			body, err := json.Marshal(e.WithCause(errors.New("dropped")).Problem())
			if err != nil {
				t.Fatal(err)
			}
			var p merrors.Problem
			if err := json.Unmarshal(body, &p); err != nil {
				t.Fatal(err)
			}
			got := merrors.FromProblem(p)
			if got.Kind() != e.Kind() || got.Code() != e.Code() || got.Message() != e.Message() ||
				!maps.Equal(got.Details(), e.Details()) || got.Cause() != nil {
				t.Errorf("%s: FromProblem(%s) = %v (code %q, details %v)", tt.name, body, got, got.Code(), got.Details())
			}
			if (got.Details() == nil) != (e.Details() == nil) {
				t.Errorf("%s: details %v, want %v", tt.name, got.Details(), e.Details())
			}
		}
	}
}

func TestFromProblem(t *testing.T) {
	tests := []struct {
		name string
		body string
		kind merrors.Kind
		msg  string
	}{
		{"kind wins over status", `{"status":400,"kind":"failed_precondition","detail":"cart empty"}`, merrors.FailedPrecondition, "cart empty"},
		{"no kind: from status", `{"type":"https://example.com/probs/out-of-credit","title":"You do not have enough credit.","status":403,"detail":"Your balance is 30."}`, merrors.PermissionDenied, "Your balance is 30."},
		{"unknown kind: from status", `{"status":503,"kind":"overloaded"}`, merrors.Unavailable, ""},
		{"kind unknown is kept", `{"status":400,"kind":"unknown"}`, merrors.Unknown, ""},
		{"nothing", `{}`, merrors.Unknown, ""},
	}
	for _, tt := range tests {
		var p merrors.Problem
		if err := json.Unmarshal([]byte(tt.body), &p); err != nil {
			t.Fatal(err)
		}
		got := merrors.FromProblem(p)
		if got.Kind() != tt.kind || got.Message() != tt.msg || got.Details() != nil {
			t.Errorf("%s: FromProblem = kind %v, message %q, details %v; want %v, %q", tt.name, got.Kind(), got.Message(), got.Details(), tt.kind, tt.msg)
		}
	}

	// The error does not share the problem's map.
	p := merrors.Problem{Kind: "not_found", Details: map[string]string{"k": "v"}}
	e := merrors.FromProblem(p)
	p.Details["k"] = "changed"
	if e.Details()["k"] != "v" {
		t.Error("changing the Problem's details changed the error")
	}
}
