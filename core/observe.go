package core

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// This file holds what lets features observe the service without the kinds
// knowing them: a kind describes each call it serves or sends as a [Call]
// and hands it to the [CallObserver] of its [Setup], which core made from
// the enabled features that observe calls (tracing, metrics). A kind never
// imports a telemetry library, and a service without such a feature pays
// nothing: Setup.Calls is nil and the kind attaches nothing.

// Carrier carries trace context across a call: a server's incoming metadata
// or headers, a client's outgoing ones. Its method set is OpenTelemetry's
// propagation.TextMapCarrier, so that a propagator takes it as it is.
type Carrier interface {
	// Get returns the value of key, or "".
	Get(key string) string
	// Set sets key to value (clients only; a server's carrier ignores it).
	Set(key, value string)
	// Keys lists the keys the carrier holds.
	Keys() []string
}

// Call is one call a kind serves (Client false) or sends (Client true), as
// observers see it. The kind owns it: it fills the fields that describe the
// call before [CallObserver.StartCall], and the outcome before
// [CallObserver.EndCall]. Observers read it and must not keep it after
// EndCall.
type Call struct {
	// Protocol is the kind's protocol: "grpc" or "http".
	Protocol string
	// Client is true for a call the service sends.
	Client bool
	// Method is, for gRPC, the full method ("/greeter.v1.GreeterService/SayHello");
	// for HTTP, the request's method.
	Method string
	// ClientStreams and ServerStreams say, for gRPC, whether the caller
	// and the server send streams (both false: a unary call).
	ClientStreams, ServerStreams bool
	// Local is, for a server call, the local address of its connection;
	// nil when unknown.
	Local net.Addr
	// Target is, for a client call, the "host:port" it is sent to.
	Target string
	// Request is, for an HTTP server call, the request as the service's
	// handler got it: once a ServeMux routed it, its Pattern is set. The
	// kind may replace it after StartCall (with the same request carrying
	// the observers' context), so observers read it at EndCall rather than
	// keep the pointer they saw at StartCall.
	Request *http.Request
	// Header is the call's metadata: incoming on a server, outgoing on a
	// client (an observer injects trace context into it).
	Header Carrier
	// Start is when the kind began the call.
	Start time.Time
	// End is when the call ended: set by the kind before EndCall, so that
	// observers share one reading of the clock.
	End time.Time

	// Code is the outcome: a gRPC status code, or an HTTP status.
	Code int
	// Message is, for gRPC, the status message of a failed call.
	Message string
	// Aborted is true for an HTTP response that was cut: the handler
	// panicked once it had written, or aborted with http.ErrAbortHandler.
	Aborted bool
	// RequestBytes and ResponseBytes are, for HTTP, the bytes of the
	// request body the handler read and of the response body it wrote.
	RequestBytes, ResponseBytes int64
}

// CallObserver observes the calls of the kinds. A feature that implements
// it (tracing, metrics) is handed, through [Setup].Calls, to every kind,
// which calls StartCall when a call begins and EndCall with the same
// context when it ends. Both run on the call's path: they must be cheap and
// must not block.
type CallObserver interface {
	// StartCall returns the context the call proceeds with (carrying a
	// span, for instance).
	StartCall(ctx context.Context, c *Call) context.Context
	// EndCall records the call's outcome; ctx is what StartCall returned.
	EndCall(ctx context.Context, c *Call)
}

// Phase is one phase of the lifecycle that ran.
type Phase struct {
	// Name is "configure", "build" or "start".
	Name string
	// Start and End bound the phase.
	Start, End time.Time
	// Err is how the phase failed; nil when it succeeded.
	Err error
}

// StartupRecorder is implemented by features that record how the service
// started: as spans of a startup trace, as a startup duration. Once the
// start phase ended, successfully or not, each started feature that
// implements it gets the phases that ran, in order.
type StartupRecorder interface {
	RecordStartup(ctx context.Context, phases []Phase)
}

// LogContext is implemented by features that add fields to the log lines
// written with a context, such as the trace_id and span_id of the span the
// context carries. Once the feature started, every line logged through
// core's *slog.Logger with a context gets the fields AppendLogAttrs
// appends.
type LogContext interface {
	AppendLogAttrs(ctx context.Context, attrs []slog.Attr) []slog.Attr
}

// Filler is implemented by features that fill a field of the service of a
// type the service chooses, such as the env feature loading the service's
// environment into its own struct. A field tagged with the feature's name
// (`mikros:"env"`) is handed to the feature's Fill, as a pointer, during
// configure: what Fill returns are configuration problems (exit status 2).
type Filler interface {
	Fill(target any) error
}

// observers is the CallObserver of several features: StartCall in start
// order, EndCall in reverse.
type observers []CallObserver

func (os observers) StartCall(ctx context.Context, c *Call) context.Context {
	for _, o := range os {
		ctx = o.StartCall(ctx, c)
	}
	return ctx
}

func (os observers) EndCall(ctx context.Context, c *Call) {
	for i := len(os) - 1; i >= 0; i-- {
		os[i].EndCall(ctx, c)
	}
}

// callObserver returns the CallObserver made of the features given that
// observe calls: nil when none does, the feature itself when one does.
func callObserver(features []Feature) CallObserver {
	var os observers
	for _, f := range features {
		if o, ok := f.(CallObserver); ok {
			os = append(os, o)
		}
	}
	switch len(os) {
	case 0:
		return nil
	case 1:
		return os[0]
	}
	return os
}

// logContexts are the started features that add fields to log lines.
type logContexts []LogContext

// maxContextAttrs is the room for context fields kept on the stack.
const maxContextAttrs = 4

func (lc logContexts) add(ctx context.Context, rec *slog.Record) {
	var buf [maxContextAttrs]slog.Attr
	attrs := buf[:0]
	for _, l := range lc {
		attrs = l.AppendLogAttrs(ctx, attrs)
	}
	if len(attrs) > 0 {
		rec.AddAttrs(attrs...)
	}
}
