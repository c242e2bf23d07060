package errors

import "maps"

// ProblemContentType is the media type of a [Problem] written as JSON.
const ProblemContentType = "application/problem+json"

// Problem is an [Error] as an HTTP response body carries it: the problem
// details of RFC 9457, with the kind, the code and the details as extension
// members. Encoded with encoding/json:
//
//	{"type":"about:blank","title":"Not Found","status":404,"detail":"order 42 not found","kind":"not_found","code":"ORDER_NOT_FOUND","details":{"order":"42"}}
type Problem struct {
	// Type is a URI naming the problem type; "about:blank" means the
	// status says it all, and is what [Error.Problem] writes.
	Type string `json:"type,omitempty"`
	// Title is the status's reason phrase, such as "Not Found".
	Title string `json:"title"`
	// Status is the HTTP status of the response.
	Status int `json:"status"`
	// Detail is the error's message, safe to show.
	Detail string `json:"detail,omitempty"`
	// Instance is a URI naming this occurrence, such as the request's
	// path; [Error.Problem] leaves it to the transport.
	Instance string `json:"instance,omitempty"`
	// Kind is the error's [Kind.String].
	Kind string `json:"kind"`
	// Code is the error's domain code.
	Code string `json:"code,omitempty"`
	// Details are the error's details.
	Details map[string]string `json:"details,omitempty"`
}

// Problem returns the error as problem details: the status and title of its
// kind, its message, kind, code and details. The cause is never part of it,
// so the Problem can be sent to any caller.
func (e *Error) Problem() Problem {
	r := e.Kind().row()
	return Problem{
		Type:    "about:blank",
		Title:   r.title,
		Status:  r.http,
		Detail:  e.Message(),
		Kind:    r.name,
		Code:    e.Code(),
		Details: e.Details(),
	}
}

// FromProblem returns the Error that p describes, as a client reads a
// response: the kind from p.Kind when it names one, else from p.Status
// ([KindFromHTTPStatus]); the message from p.Detail; the code and details
// as they are. p.Type, p.Title and p.Instance are not kept. For every Error
// e without a cause, FromProblem(e.Problem()) equals e.
func FromProblem(p Problem) *Error {
	kind, ok := ParseKind(p.Kind)
	if !ok {
		kind = KindFromHTTPStatus(p.Status)
	}
	e := &Error{kind: kind, code: p.Code, message: p.Detail}
	if len(p.Details) > 0 {
		e.details = maps.Clone(p.Details)
	}
	return e
}
