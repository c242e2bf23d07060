package errors_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"testing"

	merrors "github.com/mikros-go/mikros/features/errors"
)

func TestNew(t *testing.T) {
	e := merrors.New(merrors.NotFound, "order 42 not found")
	if e.Kind() != merrors.NotFound || e.Message() != "order 42 not found" || e.Code() != "" ||
		e.Details() != nil || e.Cause() != nil || e.Unwrap() != nil {
		t.Errorf("New gave kind %v, message %q, code %q, details %v, cause %v",
			e.Kind(), e.Message(), e.Code(), e.Details(), e.Cause())
	}
	f := merrors.Newf(merrors.InvalidArgument, "field %q: %d is negative", "qty", -3)
	if f.Kind() != merrors.InvalidArgument || f.Message() != `field "qty": -3 is negative` {
		t.Errorf("Newf gave kind %v, message %q", f.Kind(), f.Message())
	}
	// Unknown is kept as it is.
	if got := merrors.New(merrors.Unknown, "x").Kind(); got != merrors.Unknown {
		t.Errorf("New(Unknown).Kind() = %v, want unknown", got)
	}
}

func TestErrorString(t *testing.T) {
	cause := errors.New("sql: no rows in result set")
	tests := []struct {
		err  *merrors.Error
		want string
	}{
		{merrors.New(merrors.NotFound, "order 42 not found"), "not_found: order 42 not found"},
		{merrors.New(merrors.NotFound, "order 42 not found").WithCause(cause), "not_found: order 42 not found: sql: no rows in result set"},
		{merrors.New(merrors.NotFound, "order 42 not found").WithCode("ORDER_NOT_FOUND").WithDetail("id", "42"), "not_found: order 42 not found"},
		{merrors.New(merrors.Internal, ""), "internal"},
		{merrors.New(merrors.Internal, "").WithCause(cause), "internal: sql: no rows in result set"},
		{nil, "unknown"},
		{&merrors.Error{}, "unknown"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}

func TestWithIsImmutable(t *testing.T) {
	base := merrors.New(merrors.InvalidArgument, "bad order").WithCode("BAD_ORDER").WithDetail("field", "qty")
	cause := errors.New("boom")

	coded := base.WithCode("OTHER")
	detailed := base.WithDetail("field", "price").WithDetail("min", "1")
	caused := base.WithCause(cause)

	// base is as it was.
	if base.Code() != "BAD_ORDER" || !maps.Equal(base.Details(), map[string]string{"field": "qty"}) || base.Cause() != nil {
		t.Errorf("base changed: code %q, details %v, cause %v", base.Code(), base.Details(), base.Cause())
	}
	// Each copy has its change and keeps the rest.
	if coded.Code() != "OTHER" || coded.Message() != "bad order" || coded.Details()["field"] != "qty" {
		t.Errorf("WithCode: code %q, message %q, details %v", coded.Code(), coded.Message(), coded.Details())
	}
	if want := map[string]string{"field": "price", "min": "1"}; !maps.Equal(detailed.Details(), want) || detailed.Code() != "BAD_ORDER" {
		t.Errorf("WithDetail: details %v, want %v; code %q", detailed.Details(), want, detailed.Code())
	}
	if caused.Cause() != cause || caused.Unwrap() != cause || caused.Code() != "BAD_ORDER" {
		t.Errorf("WithCause: cause %v, code %q", caused.Cause(), caused.Code())
	}
	// Removing.
	if got := caused.WithCause(nil).Cause(); got != nil {
		t.Errorf("WithCause(nil).Cause() = %v, want nil", got)
	}
	if got := coded.WithCode("").Code(); got != "" {
		t.Errorf(`WithCode("").Code() = %q, want ""`, got)
	}
	// Details returns a copy.
	d := base.Details()
	d["field"] = "changed"
	d["new"] = "x"
	if !maps.Equal(base.Details(), map[string]string{"field": "qty"}) {
		t.Errorf("changing Details()'s map changed the error: %v", base.Details())
	}
	// Two copies made from one error do not share their details.
	a, b := base.WithDetail("a", "1"), base.WithDetail("b", "2")
	if _, ok := a.Details()["b"]; ok {
		t.Errorf("a sibling's detail leaked: %v", a.Details())
	}
	if _, ok := b.Details()["a"]; ok {
		t.Errorf("a sibling's detail leaked: %v", b.Details())
	}
}

func TestNilError(t *testing.T) {
	var e *merrors.Error
	if e.Kind() != merrors.Unknown || e.Code() != "" || e.Message() != "" || e.Details() != nil ||
		e.Cause() != nil || e.Unwrap() != nil || e.Is(merrors.New(merrors.Internal, "")) {
		t.Error("a nil *Error is not the empty Unknown error")
	}
	if got := e.WithCode("C").WithDetail("k", "v"); got.Kind() != merrors.Unknown || got.Code() != "C" || got.Details()["k"] != "v" {
		t.Errorf("With on nil: kind %v, code %q, details %v", got.Kind(), got.Code(), got.Details())
	}
	if got := e.Problem(); got.Status != 500 || got.Kind != "unknown" {
		t.Errorf("Problem on nil: %+v", got)
	}
}

func TestIsAndAs(t *testing.T) {
	sentinel := merrors.New(merrors.NotFound, "order not found").WithCode("ORDER_NOT_FOUND")
	cause := &fs.PathError{Op: "open", Path: "/orders/42", Err: fs.ErrNotExist}
	err := sentinel.WithDetail("order", "42").WithCause(cause)
	wrapped := fmt.Errorf("handler: %w", fmt.Errorf("load: %w", err))
	joined := errors.Join(io.EOF, wrapped)

	tests := []struct {
		name   string
		err    error
		target error
		want   bool
	}{
		{"same kind and code", err, sentinel, true},
		{"through %w", wrapped, sentinel, true},
		{"through Join", joined, sentinel, true},
		{"any of the kind", wrapped, merrors.New(merrors.NotFound, ""), true},
		{"message ignored", wrapped, merrors.New(merrors.NotFound, "something else"), true},
		{"other kind", wrapped, merrors.New(merrors.Internal, ""), false},
		{"other code", wrapped, merrors.New(merrors.NotFound, "").WithCode("USER_NOT_FOUND"), false},
		{"target's code needed", merrors.New(merrors.NotFound, ""), sentinel, false},
		{"the cause", wrapped, fs.ErrNotExist, true},
		{"not the cause", wrapped, io.EOF, false},
		{"nil target", wrapped, (*merrors.Error)(nil), false},
		{"plain error target", err, errors.New("order not found"), false},
	}
	for _, tt := range tests {
		if got := errors.Is(tt.err, tt.target); got != tt.want {
			t.Errorf("%s: errors.Is(%v, %v) = %v, want %v", tt.name, tt.err, tt.target, got, tt.want)
		}
	}

	var me *merrors.Error
	if !errors.As(wrapped, &me) || me.Code() != "ORDER_NOT_FOUND" || me.Details()["order"] != "42" {
		t.Errorf("errors.As: %v", me)
	}
	var pe *fs.PathError
	if !errors.As(wrapped, &pe) || pe != cause {
		t.Errorf("errors.As did not reach the cause: %v", pe)
	}
}

func TestFrom(t *testing.T) {
	notFound := merrors.New(merrors.NotFound, "order not found").WithCause(io.EOF)
	outer := merrors.New(merrors.Unavailable, "try later").WithCause(notFound)
	plain := errors.New("dial tcp 10.0.0.7:5432: connection refused")
	canceled := fmt.Errorf("query orders: %w", context.Canceled)
	deadline := fmt.Errorf("query orders: %w", context.DeadlineExceeded)
	ctx, cancel := context.WithTimeout(t.Context(), 0)
	defer cancel()
	<-ctx.Done()

	tests := []struct {
		name      string
		err       error
		same      *merrors.Error // From returns this very *Error
		kind      merrors.Kind
		message   string
		causeText string // Error() of the cause
	}{
		{name: "an *Error", err: notFound, same: notFound},
		{name: "wrapped", err: fmt.Errorf("a: %w", fmt.Errorf("b: %w", notFound)), same: notFound},
		{name: "joined", err: errors.Join(plain, notFound), same: notFound},
		{name: "the outermost", err: fmt.Errorf("a: %w", outer), same: outer},
		{name: "plain", err: plain, kind: merrors.Internal, message: "internal error", causeText: plain.Error()},
		{name: "canceled", err: context.Canceled, kind: merrors.Canceled, message: "operation canceled", causeText: "context canceled"},
		{name: "wrapped canceled", err: canceled, kind: merrors.Canceled, message: "operation canceled", causeText: canceled.Error()},
		{name: "deadline", err: ctx.Err(), kind: merrors.DeadlineExceeded, message: "operation timed out", causeText: "context deadline exceeded"},
		{name: "wrapped deadline", err: deadline, kind: merrors.DeadlineExceeded, message: "operation timed out", causeText: deadline.Error()},
		{name: "typed nil", err: fmt.Errorf("x: %w", (*merrors.Error)(nil)), kind: merrors.Internal, message: "internal error", causeText: "x: unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := merrors.From(tt.err)
			if tt.same != nil {
				if got != tt.same {
					t.Errorf("From = %v, want the *Error in the chain, %v", got, tt.same)
				}
				return
			}
			if got.Kind() != tt.kind || got.Message() != tt.message {
				t.Errorf("From = kind %v, message %q; want %v, %q", got.Kind(), got.Message(), tt.kind, tt.message)
			}
			if got.Cause() != tt.err || got.Cause().Error() != tt.causeText {
				t.Errorf("From's cause = %v, want %v", got.Cause(), tt.err)
			}
			if !errors.Is(got, tt.err) {
				t.Errorf("errors.Is(From(err), err) = false")
			}
			if k := merrors.KindOf(tt.err); k != tt.kind {
				t.Errorf("KindOf = %v, want %v", k, tt.kind)
			}
		})
	}

	if got := merrors.From(nil); got != nil {
		t.Errorf("From(nil) = %v, want nil", got)
	}
	if got := merrors.KindOf(nil); got != merrors.Unknown {
		t.Errorf("KindOf(nil) = %v, want unknown", got)
	}
	if got := merrors.KindOf(fmt.Errorf("x: %w", notFound)); got != merrors.NotFound {
		t.Errorf("KindOf = %v, want not_found", got)
	}
}
