package http

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	nethttp "net/http"
	"os"
	"strconv"

	merrors "github.com/mikros-go/mikros/features/errors"
)

// Error answers the request with err as an RFC 9457 problem
// (application/problem+json), as features/errors describes it:
//
//   - a request body over max_body_bytes ([net/http.MaxBytesError] anywhere
//     in err's chain) gives 413, kind resource_exhausted, code
//     REQUEST_BODY_TOO_LARGE, whatever wraps it;
//   - an *errors.Error anywhere in err's chain gives its kind's status, and
//     its message, kind, code and details;
//   - a client's mistake gives 400, 408 or 499 (see below);
//   - context.Canceled gives 499 and context.DeadlineExceeded 504;
//   - any other error gives 500 "internal error".
//
// An error is the client's mistake, rather than the server's, only when it
// provably came from the request's body. The kind reads the body the
// handler reads, and remembers how reading it ended; err is the client's
// when:
//
//   - err wraps the very error a Read of the body returned: 499 (kind
//     canceled, code CLIENT_CLOSED_REQUEST) when the client went away (the
//     connection was reset or closed, the request canceled); 408 (kind
//     deadline_exceeded, code REQUEST_BODY_TIMEOUT) when read_timeout cut
//     the body; 400 (kind invalid_argument) otherwise, with code
//     REQUEST_BODY_TRUNCATED for a body that ended before its declared
//     length (io.ErrUnexpectedEOF) and REQUEST_BODY_UNREADABLE for one
//     that could not be read (a malformed chunked encoding);
//   - err is a decoding error of encoding/json ([encoding/json.SyntaxError],
//     [encoding/json.UnmarshalTypeError]) at an offset the handler had read
//     of the body: 400, code REQUEST_BODY_MALFORMED, with the offset (and
//     the field, for a value of the wrong type) in its details;
//   - err is io.EOF and the body was empty: its first Read returned
//     io.EOF, or the request came without a body and its method is POST,
//     PUT or PATCH: 400, code REQUEST_BODY_EMPTY.
//
// Any other error, these included when the body was not their source (a
// handler that read a body of 10 bytes and returns a SyntaxError at offset
// 50 decoded something else), is the server's. A handler decides for
// itself by returning an *errors.Error, which these rules never override.
// Outside the kind (an httptest recorder), only the rule for a request
// without a body applies.
//
// The problem's instance is the request's path. err itself, with its
// internal cause, is never written: it is logged once, with the request's
// id, at error level for a 5xx status and at debug level otherwise (a
// client's mistake is never logged as the server's error), through the
// service's logger (slog.Default for a request that did not come through
// the kind). The status written is the one the features that observe
// calls see. When the response already began, nothing more is written
// and the log line says so. A nil err does nothing.
//
// Error writes the status and body; the handler should return after it.
func Error(w nethttp.ResponseWriter, r *nethttp.Request, err error) {
	if err == nil {
		return
	}
	x := exchangeOf(r.Context())
	p := problemOf(err, r, x)
	p.Instance = r.URL.Path
	log := slog.Default()
	if x != nil {
		log = x.kind.log
	}
	level := slog.LevelDebug
	if p.Status >= 500 {
		level = slog.LevelError
	}
	msg := "http: request failed"
	began := x != nil && x.w.status != 0
	if began {
		msg = "http: request failed after its response began; the problem was not sent"
	}
	if log.Enabled(r.Context(), level) {
		attrs := append(requestAttrs(x, r, p.Status), slog.String("error", err.Error()), slog.String("error.kind", p.Kind))
		log.LogAttrs(r.Context(), level, msg, attrs...)
	}
	if began {
		return
	}
	writeProblem(w, p)
}

// problemOf returns the problem a client gets for err, the error of r,
// whose exchange is x (nil for a request that did not come through the
// kind).
func problemOf(err error, r *nethttp.Request, x *exchange) merrors.Problem {
	if mbe, ok := errors.AsType[*nethttp.MaxBytesError](err); ok {
		p := merrors.Newf(merrors.ResourceExhausted, "request body larger than %d bytes", mbe.Limit).
			WithCode("REQUEST_BODY_TOO_LARGE").
			WithDetail("limit", strconv.FormatInt(mbe.Limit, 10)).
			Problem()
		return withStatus(p, nethttp.StatusRequestEntityTooLarge)
	}
	var e *merrors.Error
	if _, ok := errors.AsType[*merrors.Error](err); !ok {
		var status int
		e, status = clientMistake(err, r, x)
		if e != nil && status != 0 {
			return withStatus(e.Problem(), status)
		}
	}
	if e == nil {
		e = merrors.From(err)
	}
	p := e.Problem()
	p.Status = e.Kind().HTTPStatus()
	return p
}

// withStatus returns p with a status other than its kind's.
func withStatus(p merrors.Problem, status int) merrors.Problem {
	p.Status = status
	p.Title = nethttp.StatusText(status)
	return p
}

// clientMistake returns the error the client gets when err is the
// client's mistake (see Error), and nil otherwise; and the status, when it
// is not the error kind's.
func clientMistake(err error, r *nethttp.Request, x *exchange) (*merrors.Error, int) {
	var body *requestBody
	if x != nil {
		body = x.body
	}
	if body != nil && body.err != nil && errors.Is(err, body.err) {
		return bodyReadError(body.err)
	}
	if se, ok := errors.AsType[*json.SyntaxError](err); ok && body.readUpTo(se.Offset) {
		return merrors.New(merrors.InvalidArgument, "request body is not valid JSON").
			WithCode("REQUEST_BODY_MALFORMED").
			WithDetail("offset", strconv.FormatInt(se.Offset, 10)), 0
	}
	if te, ok := errors.AsType[*json.UnmarshalTypeError](err); ok && body.readUpTo(te.Offset) {
		e := merrors.New(merrors.InvalidArgument, "request body has a value of the wrong type").
			WithCode("REQUEST_BODY_MALFORMED").
			WithDetail("offset", strconv.FormatInt(te.Offset, 10))
		if te.Field != "" {
			e = e.WithDetail("field", te.Field)
		}
		return e, 0
	}
	if errors.Is(err, io.EOF) && emptyBody(r, body) {
		return merrors.New(merrors.InvalidArgument, "request body is empty").WithCode("REQUEST_BODY_EMPTY"), 0
	}
	return nil, 0
}

// bodyReadError returns the error a client gets for a failure to read its
// request's body, and the status when it is not the kind's.
func bodyReadError(err error) (*merrors.Error, int) {
	switch {
	case clientGone(err):
		return merrors.New(merrors.Canceled, "the client closed the request").WithCode("CLIENT_CLOSED_REQUEST"), 0
	case errors.Is(err, os.ErrDeadlineExceeded):
		return merrors.New(merrors.DeadlineExceeded, "request body not received in time").
			WithCode("REQUEST_BODY_TIMEOUT"), nethttp.StatusRequestTimeout
	case errors.Is(err, io.ErrUnexpectedEOF):
		return merrors.New(merrors.InvalidArgument, "request body ended before its declared length").
			WithCode("REQUEST_BODY_TRUNCATED"), 0
	}
	return merrors.New(merrors.InvalidArgument, "request body could not be read").WithCode("REQUEST_BODY_UNREADABLE"), 0
}

// clientGone reports whether err, from reading a request's body, says
// that the client went away.
func clientGone(err error) bool {
	return connectionLost(err) || errors.Is(err, net.ErrClosed) || errors.Is(err, context.Canceled)
}

// readUpTo reports whether the handler read the body at least up to
// offset, and something of it.
func (b *requestBody) readUpTo(offset int64) bool {
	return b != nil && b.n > 0 && offset <= b.n
}

// emptyBody reports whether the request's body was empty, as far as the
// kind knows: read by the handler and ended before its first byte, or
// absent from a request whose method carries one.
func emptyBody(r *nethttp.Request, body *requestBody) bool {
	if body != nil {
		return body.eof && body.n == 0
	}
	if hasBody(r) {
		return false // read outside the kind: unknown
	}
	switch r.Method {
	case nethttp.MethodPost, nethttp.MethodPut, nethttp.MethodPatch:
		return true
	}
	return false
}

// writeProblem writes p as the response.
func writeProblem(w nethttp.ResponseWriter, p merrors.Problem) {
	body, err := json.Marshal(p)
	if err != nil { // strings, an int and a map of strings always encode
		body = []byte(`{"title":"Internal Server Error","status":500,"kind":"internal"}`)
		p.Status = nethttp.StatusInternalServerError
	}
	h := w.Header()
	h.Del("Content-Length")
	h.Set("Content-Type", merrors.ProblemContentType)
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(p.Status)
	_, _ = w.Write(append(body, '\n'))
}

// HandlerFunc is a handler that returns its error instead of writing it:
// a non-nil error is answered with [Error].
//
//	mux.Handle("GET /orders/{id}", mhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
//		order, err := s.orders.Get(r.Context(), r.PathValue("id"))
//		if err != nil {
//			return err // a NotFound *errors.Error becomes a 404 problem
//		}
//		return json.NewEncoder(w).Encode(order)
//	}))
type HandlerFunc func(w nethttp.ResponseWriter, r *nethttp.Request) error

// ServeHTTP calls f and answers its error, if any, with [Error].
func (f HandlerFunc) ServeHTTP(w nethttp.ResponseWriter, r *nethttp.Request) {
	if err := f(w, r); err != nil {
		Error(w, r, err)
	}
}
