// Package errors is the Mikros error model: one kind of error that every
// transport answers the same way, with internal causes kept out of what
// callers see.
//
// It imports no transport. The gRPC and HTTP kinds read it; services return
// it. Users import it under another name, so that the standard library's
// errors stays at hand:
//
//	import merrors "github.com/mikros-go/mikros/features/errors"
//
// # The model
//
// An [Error] has:
//
//   - a [Kind], such as NotFound: what went wrong, in terms every transport
//     understands, and what the caller branches on;
//   - an optional domain code, such as "ORDER_NOT_FOUND", to branch on more
//     finely ([Error.WithCode]);
//   - a message, safe to show to callers ([New], [Newf]);
//   - optional details, keys and values safe to show ([Error.WithDetail]);
//   - an optional cause, what really happened, for the logs only
//     ([Error.WithCause]).
//
// Errors are immutable values; the With methods return copies. A service
// returns them as it would any error, wrapped with %w or not:
//
//	if errors.Is(err, sql.ErrNoRows) {
//		return merrors.Newf(merrors.NotFound, "order %d not found", id).WithCause(err)
//	}
//
// Any other error a service returns reaches its caller as Internal with the
// message "internal error" ([From]). An *Error works as a sentinel for the
// standard library's errors.Is: it matches errors of its kind and, if it has
// one, its code ([Error.Is]).
//
// # The table
//
// One table maps every kind to its name, its gRPC code and its HTTP status;
// [Kind.String], [ParseKind], [Kind.GRPCCode], [KindFromGRPCCode],
// [Kind.HTTPStatus], [KindFromHTTPStatus] and [Error.Problem] all read it.
// The HTTP statuses are those google.rpc.Code gives:
//
//	kind                 gRPC code                HTTP status
//	unknown              2  Unknown               500 Internal Server Error
//	invalid_argument     3  InvalidArgument       400 Bad Request
//	not_found            5  NotFound              404 Not Found
//	already_exists       6  AlreadyExists         409 Conflict
//	failed_precondition  9  FailedPrecondition    400 Bad Request
//	permission_denied    7  PermissionDenied      403 Forbidden
//	unauthenticated      16 Unauthenticated       401 Unauthorized
//	resource_exhausted   8  ResourceExhausted     429 Too Many Requests
//	unavailable          14 Unavailable           503 Service Unavailable
//	deadline_exceeded    4  DeadlineExceeded      504 Gateway Timeout
//	canceled             1  Canceled              499 Client Closed Request
//	aborted              10 Aborted               409 Conflict
//	out_of_range         11 OutOfRange            400 Bad Request
//	unimplemented        12 Unimplemented         501 Not Implemented
//	internal             13 Internal              500 Internal Server Error
//	data_loss            15 DataLoss              500 Internal Server Error
//
// A kind goes to a gRPC code and back unchanged. Several kinds share an HTTP
// status, so a client that reads only the status gets the most general of
// them (see [KindFromHTTPStatus]); a [Problem] carries the kind itself, so
// an Error sent over HTTP as a Problem comes back whole ([FromProblem]).
//
// # How the kinds use it
//
// A server kind passes whatever the service returned to [From] and answers
// with the result: the gRPC kind with a status of [Kind.GRPCCode] and
// [Error.Message], carrying the code and the details; the HTTP kind with
// [Kind.HTTPStatus] and the [Error.Problem] as a [ProblemContentType] body.
// Either logs the error the service returned, cause and all. Clients go the
// other way, with [KindFromGRPCCode] and [FromProblem].
//
// # Causes never reach callers
//
// Only [Error.Kind], [Error.Code], [Error.Message] and [Error.Details] are
// meant for callers, and [Error.Problem] is made of them alone. The cause
// appears only in [Error.Error], [Error.Cause] and [Error.Unwrap], which are
// for logs and for the service's own code. The message is the one place
// where the service decides what callers see: [From] gives errors that are
// not an *Error a generic message, and [Newf] does not wrap.
//
// # Panics
//
// A server that recovers its handlers' panics logs each with its stack. A
// [StackLimiter] keeps a panic that repeats on every call from writing the
// same stack each time: the first of each distinct stack is logged, and the
// repeats within an interval are counted and reported with the next one
// logged. [StackLimiter.Flush] returns the counts not reported yet, each
// with the function that panicked, for the server to log when it stops.
package errors
