package http

import (
	"encoding/json"
	"errors"
	"log/slog"
	nethttp "net/http"
	"strconv"

	merrors "github.com/mikros-go/mikros/features/errors"
)

// Error answers the request with err as an RFC 9457 problem
// (application/problem+json), as features/errors describes it:
//
//   - an *errors.Error anywhere in err's chain gives its kind's status, and
//     its message, kind, code and details;
//   - a request body over max_body_bytes ([net/http.MaxBytesError] anywhere
//     in err's chain) gives 413, kind resource_exhausted, code
//     REQUEST_BODY_TOO_LARGE, whatever wraps it;
//   - context.Canceled gives 499 and context.DeadlineExceeded 504;
//   - any other error gives 500 "internal error".
//
// The problem's instance is the request's path. err itself, with its
// internal cause, is never written: it is logged once, with the request's
// id, at error level for a 5xx status and at debug level otherwise, through
// the service's logger (slog.Default for a request that did not come
// through the kind). When the response already began, nothing more is
// written and the log line says so. A nil err does nothing.
//
// Error writes the status and body; the handler should return after it.
func Error(w nethttp.ResponseWriter, r *nethttp.Request, err error) {
	if err == nil {
		return
	}
	p := problemOf(err)
	p.Instance = r.URL.Path
	x := exchangeOf(r.Context())
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

// problemOf returns the problem a client gets for err.
func problemOf(err error) merrors.Problem {
	if mbe, ok := errors.AsType[*nethttp.MaxBytesError](err); ok {
		p := merrors.Newf(merrors.ResourceExhausted, "request body larger than %d bytes", mbe.Limit).
			WithCode("REQUEST_BODY_TOO_LARGE").
			WithDetail("limit", strconv.FormatInt(mbe.Limit, 10)).
			Problem()
		p.Status = nethttp.StatusRequestEntityTooLarge
		p.Title = nethttp.StatusText(p.Status)
		return p
	}
	e := merrors.From(err)
	p := e.Problem()
	p.Status = e.Kind().HTTPStatus()
	return p
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
