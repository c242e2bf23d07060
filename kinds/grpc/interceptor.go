package grpc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"time"

	merrors "github.com/mikros-go/mikros/features/errors"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	grpclib "google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// The kind has one unary and one stream interceptor, not a chain: each
// link of a chain costs a closure call and an allocation per call. Both do
// the same two things: recover panics, and answer errors through the error
// model. The success path allocates nothing and logs nothing. When a
// feature observes calls, their observed versions take their place (see
// observe.go): one interceptor per call type still.

// unary is the server's unary interceptor.
func (k *Kind) unary(ctx context.Context, req any, info *grpclib.UnaryServerInfo, handler grpclib.UnaryHandler) (resp any, err error) {
	defer func() {
		if r := recover(); r != nil {
			resp, err = nil, k.recovered(info.FullMethod, r)
		}
	}()
	resp, err = handler(ctx, req)
	if err != nil {
		return nil, k.answer(ctx, info.FullMethod, err)
	}
	return resp, nil
}

// stream is the server's stream interceptor.
func (k *Kind) stream(srv any, ss grpclib.ServerStream, info *grpclib.StreamServerInfo, handler grpclib.StreamHandler) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = k.recovered(info.FullMethod, r)
		}
	}()
	if err = handler(srv, ss); err != nil {
		return k.answer(ss.Context(), info.FullMethod, err)
	}
	return nil
}

// internalError is what a caller sees of a panic.
var internalError = merrors.New(merrors.Internal, "internal error")

// panicLogInterval is how often the stack of one panic is logged at most:
// a panic that repeats on every call is logged once a minute, with the
// count of the repeats in between.
const panicLogInterval = time.Minute

// recovered logs a handler's panic with its stack, unless the kind's
// limiter counts it as a repeat of one logged less than panicLogInterval
// ago, and answers Internal. A line logged after repeats says how many
// were suppressed, and since when.
func (k *Kind) recovered(method string, r any) error {
	stack := debug.Stack()
	if ok, suppressed, since := k.panics.Allow(stack); ok {
		attrs := []any{"method", method, "panic", fmt.Sprint(r), "stack", string(stack)}
		if suppressed > 0 {
			attrs = append(attrs, "suppressed", suppressed, "suppressed_since", since)
		}
		k.log.Error("grpc call panicked", attrs...)
	}
	return k.status(internalError)
}

// logSuppressedPanics logs, one line per stack, the repeats of panics that
// the kind counted and has not reported yet, naming the function that
// panicked; Stop calls it once the server is done.
func (k *Kind) logSuppressedPanics() {
	for _, s := range k.panics.Flush() {
		k.log.Error("grpc: identical panics suppressed", "panic.site", s.Site, "suppressed", s.Count, "suppressed_since", s.Since)
	}
}

// grpcStatus is implemented by the errors of google.golang.org/grpc/status.
type grpcStatus interface {
	error
	GRPCStatus() *status.Status
}

// answer turns a handler's error into the status the caller gets, and logs
// the error once, cause included: at error level for the kinds that mean
// the service failed, at debug level for the others.
//
// An error of the model (anywhere in err's chain) gives a status with the
// kind's code, the safe message, and an ErrorInfo. A status error, as a
// call through another client returns, is answered as it is. Anything else
// is Internal with a generic message.
func (k *Kind) answer(ctx context.Context, method string, err error) error {
	if _, ok := errors.AsType[*merrors.Error](err); !ok {
		if se, ok := errors.AsType[grpcStatus](err); ok {
			st := se.GRPCStatus()
			k.logFailure(ctx, method, merrors.KindFromGRPCCode(uint32(st.Code())), "", err)
			if se == err {
				return err
			}
			return st.Err()
		}
	}
	e := merrors.From(err)
	k.logFailure(ctx, method, e.Kind(), e.Code(), err)
	return k.status(e)
}

// logFailure logs a failed call.
func (k *Kind) logFailure(ctx context.Context, method string, kind merrors.Kind, code string, err error) {
	level := slog.LevelDebug
	switch kind {
	case merrors.Internal, merrors.Unknown, merrors.DataLoss:
		level = slog.LevelError
	}
	if !k.log.Enabled(ctx, level) {
		return
	}
	attrs := []any{"method", method, "kind", kind.String()}
	if code != "" {
		attrs = append(attrs, "code", code)
	}
	k.log.Log(ctx, level, "grpc call failed", append(attrs, "error", err.Error())...)
}

// status turns an error of the model into a status error: the kind's code,
// the safe message, and an ErrorInfo whose reason is the error's code (the
// kind's name when it has none), whose domain is the service's name, and
// whose metadata are the details. The cause is not part of it.
func (k *Kind) status(e *merrors.Error) error {
	st := status.New(codes.Code(e.Kind().GRPCCode()), e.Message())
	reason := e.Code()
	if reason == "" {
		reason = e.Kind().String()
	}
	if d, err := st.WithDetails(&errdetails.ErrorInfo{Reason: reason, Domain: k.domain, Metadata: e.Details()}); err == nil {
		st = d
	}
	return st.Err()
}
