package errors

import "strconv"

// Kind says what went wrong in terms every transport understands. Each kind
// has one gRPC status code and one HTTP status; the kinds are those of gRPC,
// without OK.
//
// The zero Kind is [Unknown]. A Kind outside the constants below behaves as
// Unknown in every mapping.
type Kind uint8

// The kinds, with their meaning for the caller. Pick the most specific one
// that is true; the caller may branch on it.
const (
	// Unknown means the error did not say what went wrong. A client sees
	// it when the other side sent no usable kind; a server should say
	// Internal instead.
	Unknown Kind = iota
	// InvalidArgument means the request is wrong whatever the state of
	// the system, such as a malformed email address.
	InvalidArgument
	// NotFound means a requested entity does not exist.
	NotFound
	// AlreadyExists means the entity the request tried to create exists.
	AlreadyExists
	// FailedPrecondition means the system is not in the state the request
	// needs, such as deleting a directory that is not empty. Retrying does
	// not help until the state changes.
	FailedPrecondition
	// PermissionDenied means the caller is known but not allowed to do
	// this.
	PermissionDenied
	// Unauthenticated means the request carries no valid credentials.
	Unauthenticated
	// ResourceExhausted means a quota or a limit was reached, such as a
	// rate limit or a size limit.
	ResourceExhausted
	// Unavailable means the service cannot answer now; retrying later,
	// with backoff, may succeed.
	Unavailable
	// DeadlineExceeded means the operation did not finish before its
	// deadline. It may have taken effect all the same.
	DeadlineExceeded
	// Canceled means the operation was canceled, usually by the caller.
	Canceled
	// Aborted means the operation lost a conflict, such as a concurrent
	// write or a failed transaction; retrying the whole sequence may
	// succeed.
	Aborted
	// OutOfRange means the request went past a valid range, such as
	// reading past the end of a list.
	OutOfRange
	// Unimplemented means the operation is not implemented or not
	// supported.
	Unimplemented
	// Internal means the service broke an invariant of its own: a bug, or
	// a dependency failing in a way the caller cannot act on.
	Internal
	// DataLoss means data was lost or corrupted beyond recovery.
	DataLoss
)

// mapping is one row of the table: everything a kind means on the wire.
type mapping struct {
	name  string // Kind.String, and the "kind" of a Problem
	grpc  uint32 // the google.golang.org/grpc/codes number
	http  int    // the status a server answers with
	title string // the status's reason phrase, a Problem's title
	// reads are the HTTP statuses KindFromHTTPStatus reads as this kind. A
	// status appears in at most one row; several kinds answer 400, 409
	// and 500, and only one of them reads each back.
	reads []int
}

// table is the one table every mapping in this package reads: Kind.String,
// ParseKind, Kind.GRPCCode, KindFromGRPCCode, Kind.HTTPStatus,
// KindFromHTTPStatus and the titles of problems. The HTTP statuses follow
// the mapping of google.rpc.Code.
var table = [...]mapping{
	Unknown:            {"unknown", 2, 500, "Internal Server Error", nil},
	InvalidArgument:    {"invalid_argument", 3, 400, "Bad Request", []int{400, 422}},
	NotFound:           {"not_found", 5, 404, "Not Found", []int{404, 410}},
	AlreadyExists:      {"already_exists", 6, 409, "Conflict", []int{409}},
	FailedPrecondition: {"failed_precondition", 9, 400, "Bad Request", []int{412}},
	PermissionDenied:   {"permission_denied", 7, 403, "Forbidden", []int{403}},
	Unauthenticated:    {"unauthenticated", 16, 401, "Unauthorized", []int{401}},
	ResourceExhausted:  {"resource_exhausted", 8, 429, "Too Many Requests", []int{429, 413}},
	Unavailable:        {"unavailable", 14, 503, "Service Unavailable", []int{503, 502}},
	DeadlineExceeded:   {"deadline_exceeded", 4, 504, "Gateway Timeout", []int{504, 408}},
	Canceled:           {"canceled", 1, 499, "Client Closed Request", []int{499}},
	Aborted:            {"aborted", 10, 409, "Conflict", nil},
	OutOfRange:         {"out_of_range", 11, 400, "Bad Request", []int{416}},
	Unimplemented:      {"unimplemented", 12, 501, "Not Implemented", []int{501, 405}},
	Internal:           {"internal", 13, 500, "Internal Server Error", []int{500}},
	DataLoss:           {"data_loss", 15, 500, "Internal Server Error", nil},
}

// valid reports whether k is one of the constants.
func (k Kind) valid() bool { return int(k) < len(table) }

// row returns k's row of the table, Unknown's for a Kind outside it.
func (k Kind) row() *mapping {
	if !k.valid() {
		return &table[Unknown]
	}
	return &table[k]
}

// String returns the kind's name in snake_case, such as "not_found". The
// name is stable: it is what a [Problem] carries on the wire. A Kind outside
// the constants is written "kind(N)".
func (k Kind) String() string {
	if !k.valid() {
		return "kind(" + strconv.Itoa(int(k)) + ")"
	}
	return table[k].name
}

// ParseKind returns the kind whose [Kind.String] is s. It reports false,
// with Unknown, for any other string.
func ParseKind(s string) (Kind, bool) {
	for k := range table {
		if table[k].name == s {
			return Kind(k), true
		}
	}
	return Unknown, false
}

// GRPCCode returns the number of the kind's google.golang.org/grpc/codes
// code, such as 5 (NotFound) for NotFound. It is never 0 (OK).
func (k Kind) GRPCCode() uint32 { return k.row().grpc }

// HTTPStatus returns the status a server answers with for the kind:
//
//   - 400 for InvalidArgument, FailedPrecondition and OutOfRange
//   - 401 Unauthenticated, 403 PermissionDenied, 404 NotFound
//   - 409 for AlreadyExists and Aborted
//   - 429 ResourceExhausted
//   - 499 Canceled (the client closed the request)
//   - 500 for Internal, DataLoss and Unknown
//   - 501 Unimplemented, 503 Unavailable, 504 DeadlineExceeded
func (k Kind) HTTPStatus() int { return k.row().http }

// KindFromGRPCCode returns the kind of a google.golang.org/grpc/codes code.
// It is the inverse of [Kind.GRPCCode]. OK (0), and numbers that are no
// code, give Unknown.
func KindFromGRPCCode(code uint32) Kind {
	for k := range table {
		if table[k].grpc == code {
			return Kind(k)
		}
	}
	return Unknown
}

// KindFromHTTPStatus returns the kind a client reads from an HTTP status
// when the response does not say (a [Problem] does, in its kind). Where
// several kinds answer with one status, it reads the most general of them:
//
//   - 400 and 422 InvalidArgument; 412 FailedPrecondition; 416 OutOfRange
//   - 401 Unauthenticated; 403 PermissionDenied
//   - 404 and 410 NotFound
//   - 405 and 501 Unimplemented
//   - 408 and 504 DeadlineExceeded
//   - 409 AlreadyExists
//   - 413 and 429 ResourceExhausted
//   - 499 Canceled
//   - 500 Internal; 502 and 503 Unavailable
//   - any other 4xx InvalidArgument, any other 5xx Internal
//   - anything else (not an error status) Unknown
//
// For every kind k, KindFromHTTPStatus(k.HTTPStatus()).HTTPStatus() equals
// k.HTTPStatus(): a status read and answered again does not change.
func KindFromHTTPStatus(status int) Kind {
	for k := range table {
		for _, s := range table[k].reads {
			if s == status {
				return Kind(k)
			}
		}
	}
	switch {
	case status >= 400 && status < 500:
		return InvalidArgument
	case status >= 500 && status < 600:
		return Internal
	}
	return Unknown
}
