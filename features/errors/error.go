package errors

import (
	"context"
	stderrors "errors"
	"fmt"
	"maps"
)

// Error is an error a service returns to its callers: a [Kind], an optional
// domain code, a message safe to show, optional details, and an optional
// internal cause that is only logged.
//
// An Error is immutable: the With methods return a changed copy and leave
// the receiver as it was, so an Error can be a package-level variable and
// be shared between goroutines. Every method accepts a nil *Error, which
// has kind Unknown and nothing else.
type Error struct {
	kind    Kind
	code    string
	message string
	details map[string]string // never changed once set; copied on write
	cause   error
}

// New returns an Error of the given kind. The message is shown to callers
// as it is: it must hold nothing they may not see. A kind outside the
// constants becomes Unknown.
//
// New does not turn Unknown into Internal: Unknown stays Unknown, and maps
// to gRPC's Unknown code and HTTP 500. Servers should pick Internal for
// their own failures; Unknown is for errors that did not say.
func New(kind Kind, message string) *Error {
	if !kind.valid() {
		kind = Unknown
	}
	return &Error{kind: kind, message: message}
}

// Newf is [New] with a message formatted by [fmt.Sprintf]. It does not wrap:
// %w is not supported, since the message reaches callers; attach a cause
// with [Error.WithCause].
func Newf(kind Kind, format string, args ...any) *Error {
	return New(kind, fmt.Sprintf(format, args...))
}

// clone returns a shallow copy of e (the details map is shared until
// written); a nil e gives a zero Error.
func (e *Error) clone() *Error {
	if e == nil {
		return &Error{}
	}
	c := *e
	return &c
}

// WithCode returns a copy of e with a domain code, such as
// "ORDER_NOT_FOUND", which callers may branch on more finely than on the
// kind. An empty code removes it.
func (e *Error) WithCode(code string) *Error {
	c := e.clone()
	c.code = code
	return c
}

// WithDetail returns a copy of e with one more detail: a key and a value
// shown to callers, such as the name of the field that is invalid. A key
// already set gets the new value.
func (e *Error) WithDetail(key, value string) *Error {
	c := e.clone()
	shared := c.details
	c.details = make(map[string]string, len(shared)+1)
	maps.Copy(c.details, shared)
	c.details[key] = value
	return c
}

// WithCause returns a copy of e with an internal cause: what really
// happened, for the logs. The cause is never shown to callers, but
// [Error.Error] includes it and errors.Is and errors.As see
// through to it. A nil err removes the cause.
func (e *Error) WithCause(err error) *Error {
	c := e.clone()
	c.cause = err
	return c
}

// Kind returns the error's kind.
func (e *Error) Kind() Kind {
	if e == nil {
		return Unknown
	}
	return e.kind
}

// Code returns the domain code, or "" when there is none.
func (e *Error) Code() string {
	if e == nil {
		return ""
	}
	return e.code
}

// Message returns the message safe to show to callers.
func (e *Error) Message() string {
	if e == nil {
		return ""
	}
	return e.message
}

// Details returns a copy of the details, or nil when there are none.
// Changing the map does not change the error.
func (e *Error) Details() map[string]string {
	if e == nil || len(e.details) == 0 {
		return nil
	}
	return maps.Clone(e.details)
}

// Cause returns the internal cause, or nil when there is none.
func (e *Error) Cause() error {
	if e == nil {
		return nil
	}
	return e.cause
}

// Error returns the error for logs: the kind, the message, and the cause
// when there is one, as in "not_found: order 42 not found: sql: no rows in
// result set". It is not meant for callers; they get the parts that are
// safe from [Error.Kind], [Error.Code], [Error.Message], [Error.Details] or
// [Error.Problem].
func (e *Error) Error() string {
	s := e.Kind().String()
	if m := e.Message(); m != "" {
		s += ": " + m
	}
	if c := e.Cause(); c != nil {
		s += ": " + c.Error()
	}
	return s
}

// Unwrap returns the cause, so that errors.Is and errors.As see
// through the Error to what caused it.
func (e *Error) Unwrap() error { return e.Cause() }

// Is reports whether target is an *Error of the same kind and, if target
// has a code, the same code. Messages, details and causes are not compared.
// So an Error works as a sentinel that matches every error of its kind (and
// code) however it was wrapped or detailed since:
//
//	var ErrOrderNotFound = merrors.New(merrors.NotFound, "order not found").WithCode("ORDER_NOT_FOUND")
//
//	return ErrOrderNotFound.WithDetail("order", id)      // in the service
//	errors.Is(err, ErrOrderNotFound)                     // true, even through fmt.Errorf("%w")
//	errors.Is(err, merrors.New(merrors.NotFound, ""))    // true: any NotFound
//
// A nil *Error as target matches nothing.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	if !ok || t == nil {
		return false
	}
	return e.Kind() == t.kind && (t.code == "" || e.Code() == t.code)
}

// The messages of the errors From makes: generic, so that they say nothing
// about the service's insides.
const (
	internalMessage = "internal error"
	canceledMessage = "operation canceled"
	deadlineMessage = "operation timed out"
)

// From returns the *Error that err is or wraps, so that a transport can
// answer any error a service returns:
//
//   - nil gives nil;
//   - an *Error anywhere in err's chain (errors.As) gives that *Error,
//     as it is: the wrapping around it is not kept, so log err itself;
//   - [context.Canceled] in the chain gives Canceled, and
//     [context.DeadlineExceeded] gives DeadlineExceeded, with err as the
//     cause;
//   - anything else gives Internal with the message "internal error" and
//     err as the cause, so that nothing of err reaches the caller.
//
// A nil *Error in the chain (a typed nil returned as an error) is treated
// as anything else: Internal.
func From(err error) *Error {
	if err == nil {
		return nil
	}
	if e, ok := stderrors.AsType[*Error](err); ok && e != nil {
		return e
	}
	switch {
	case stderrors.Is(err, context.Canceled):
		return &Error{kind: Canceled, message: canceledMessage, cause: err}
	case stderrors.Is(err, context.DeadlineExceeded):
		return &Error{kind: DeadlineExceeded, message: deadlineMessage, cause: err}
	}
	return &Error{kind: Internal, message: internalMessage, cause: err}
}

// KindOf returns the kind of err as [From] reads it: the kind of the *Error
// in its chain, Canceled or DeadlineExceeded for the context's errors,
// Internal for any other error. A nil err has no kind: KindOf returns
// Unknown for it.
func KindOf(err error) Kind { return From(err).Kind() }
