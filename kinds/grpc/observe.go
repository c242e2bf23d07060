package grpc

import (
	"context"
	"io"
	"strings"
	"sync/atomic"
	"time"

	"github.com/mikros-go/mikros/core"
	grpclib "google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
)

// The kind observes its calls through core: it describes each call as a
// core.Call and hands it to the core.CallObserver of its Setup, made of
// the enabled features that observe calls (tracing, metrics). When no such
// feature is enabled, Setup.Calls is nil and the kind's interceptors are
// the plain ones of interceptor.go: nothing is attached and nothing is
// paid. When one is, the observed interceptors below take their place:
// still one interceptor per call type, and one allocation per call for the
// Call, its metadata carrier and, for streams, the stream the handler gets.

// protocol is Call.Protocol for the kind's calls.
const protocol = "grpc"

// serverCall is what the kind keeps of one observed server call: the Call
// the observers see and the carrier over its incoming metadata, allocated
// together.
type serverCall struct {
	call   core.Call
	header incomingCarrier
}

// streamCall is an observed server stream call: its serverCall, and the
// stream its handler gets, whose context is the one the observers
// returned.
type streamCall struct {
	serverCall
	grpclib.ServerStream
	ctx context.Context
}

// Context returns the call's context, as the observers returned it.
func (s *streamCall) Context() context.Context { return s.ctx }

// describe fills the description of a server call that comes with ctx.
// The fields are set one by one: the call was just allocated, zeroed.
func (c *serverCall) describe(ctx context.Context, method string, clientStreams, serverStreams bool) {
	c.header.ctx = ctx
	c.call.Protocol = protocol
	c.call.Method = method
	c.call.ClientStreams = clientStreams
	c.call.ServerStreams = serverStreams
	c.call.Header = &c.header
	if p, ok := peer.FromContext(ctx); ok {
		c.call.Local = p.LocalAddr
	}
	c.call.Start = time.Now()
}

// ended sets when the call ended, now, and its code and message from the
// error it ended with: nil is OK; a status error gives its code and
// message; any other error is converted as gRPC converts it (context
// errors to Canceled and DeadlineExceeded, the rest to Unknown).
func ended(c *core.Call, err error) {
	c.End = time.Now()
	if err == nil {
		c.Code, c.Message = 0, ""
		return
	}
	st := status.Convert(err)
	c.Code, c.Message = int(st.Code()), st.Message()
}

// unaryObserved is unary with the call handed to the kind's observers:
// StartCall before the handler, whose context is the one it returns, and
// EndCall with the status the caller gets, a panic's included.
func (k *Kind) unaryObserved(ctx context.Context, req any, info *grpclib.UnaryServerInfo, handler grpclib.UnaryHandler) (resp any, err error) {
	c := &serverCall{}
	c.describe(ctx, info.FullMethod, false, false)
	ctx = k.calls.StartCall(ctx, &c.call)
	defer func() {
		if r := recover(); r != nil {
			resp, err = nil, k.recovered(info.FullMethod, r)
		}
		ended(&c.call, err)
		k.calls.EndCall(ctx, &c.call)
	}()
	resp, err = handler(ctx, req)
	if err != nil {
		return nil, k.answer(ctx, info.FullMethod, err)
	}
	return resp, nil
}

// streamObserved is stream with the call handed to the kind's observers;
// the handler's stream carries the context StartCall returned.
func (k *Kind) streamObserved(srv any, ss grpclib.ServerStream, info *grpclib.StreamServerInfo, handler grpclib.StreamHandler) (err error) {
	s := &streamCall{ServerStream: ss}
	s.describe(ss.Context(), info.FullMethod, info.IsClientStream, info.IsServerStream)
	s.ctx = k.calls.StartCall(ss.Context(), &s.call)
	defer func() {
		if r := recover(); r != nil {
			err = k.recovered(info.FullMethod, r)
		}
		ended(&s.call, err)
		k.calls.EndCall(s.ctx, &s.call)
	}()
	if err = handler(srv, s); err != nil {
		return k.answer(s.ctx, info.FullMethod, err)
	}
	return nil
}

// incomingCarrier reads a server call's incoming metadata where gRPC left
// it, in the call's context, without copying all of it. Set does nothing.
type incomingCarrier struct{ ctx context.Context }

// Get returns the first value of key in the incoming metadata, or "".
func (c *incomingCarrier) Get(key string) string {
	if v := metadata.ValueFromIncomingContext(c.ctx, key); len(v) > 0 {
		return v[0]
	}
	return ""
}

// Set does nothing: a server does not change what it received.
func (*incomingCarrier) Set(string, string) {}

// Keys lists the keys of the incoming metadata.
func (c *incomingCarrier) Keys() []string {
	md, _ := metadata.FromIncomingContext(c.ctx)
	keys := make([]string, 0, len(md))
	for k := range md {
		keys = append(keys, k)
	}
	return keys
}

// outgoingCarrier collects what observers set into a client call's
// metadata, to be appended to the call's outgoing metadata once they all
// have. Room for two pairs (a trace context and its state) is kept in
// the carrier itself.
type outgoingCarrier struct {
	kv  []string
	buf [4]string
}

// Get returns the value set for key (compared regardless of case), or "".
func (c *outgoingCarrier) Get(key string) string {
	for i := len(c.kv) - 2; i >= 0; i -= 2 {
		if strings.EqualFold(c.kv[i], key) {
			return c.kv[i+1]
		}
	}
	return ""
}

// Set adds key with value to the call's outgoing metadata; gRPC sends
// keys in lower case.
func (c *outgoingCarrier) Set(key, value string) {
	if c.kv == nil {
		c.kv = c.buf[:0]
	}
	c.kv = append(c.kv, key, value)
}

// Keys lists the keys set, in the order they were.
func (c *outgoingCarrier) Keys() []string {
	keys := make([]string, 0, len(c.kv)/2)
	for i := 0; i < len(c.kv); i += 2 {
		keys = append(keys, c.kv[i])
	}
	return keys
}

// outgoing returns ctx with what the observers set appended to its
// outgoing metadata.
func (c *outgoingCarrier) outgoing(ctx context.Context) context.Context {
	if len(c.kv) == 0 {
		return ctx
	}
	return metadata.AppendToOutgoingContext(ctx, c.kv...)
}

// clientCall is what the caller keeps of one observed client call: the
// Call the observers see and the carrier of its outgoing metadata,
// allocated together.
type clientCall struct {
	call   core.Call
	header outgoingCarrier
}

// describe fills the description of a client call, just allocated.
func (c *clientCall) describe(cl *caller, method string, clientStreams, serverStreams bool) {
	c.call.Protocol = protocol
	c.call.Client = true
	c.call.Method = method
	c.call.ClientStreams = clientStreams
	c.call.ServerStreams = serverStreams
	c.call.Target = cl.target
	c.call.Header = &c.header
	c.call.Start = time.Now()
}

// unaryObserved is caller.unary with the call handed to the connection's
// observers: what they set in the carrier is sent in the call's metadata,
// and the call ends with the status the server answered.
func (c *caller) unaryObserved(ctx context.Context, method string, req, reply any, cc *grpclib.ClientConn, invoker grpclib.UnaryInvoker, opts ...grpclib.CallOption) error {
	if c.timeout > 0 {
		if _, ok := ctx.Deadline(); !ok {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, c.timeout)
			defer cancel()
		}
	}
	call := &clientCall{}
	call.describe(c, method, false, false)
	ctx = c.calls.StartCall(ctx, &call.call)
	err := invoker(call.header.outgoing(ctx), method, req, reply, cc, opts...)
	ended(&call.call, err)
	c.calls.EndCall(ctx, &call.call)
	if err != nil {
		return c.fromStatus(err)
	}
	return nil
}

// streamObserved is caller.stream with the call handed to the
// connection's observers; the call ends when the stream does (see
// observedClientStream).
func (c *caller) streamObserved(ctx context.Context, desc *grpclib.StreamDesc, cc *grpclib.ClientConn, method string, streamer grpclib.Streamer, opts ...grpclib.CallOption) (grpclib.ClientStream, error) {
	s := &observedClientStream{desc: desc}
	s.c = c
	s.describe(c, method, desc.ClientStreams, desc.ServerStreams)
	s.ctx = c.calls.StartCall(ctx, &s.call)
	cs, err := streamer(s.header.outgoing(s.ctx), desc, cc, method, opts...)
	if err != nil {
		s.end(err)
		return nil, c.fromStatus(err)
	}
	s.ClientStream = cs
	// A stream abandoned by canceling its context ends there.
	s.stop = context.AfterFunc(s.ctx, func() { s.end(status.FromContextError(s.ctx.Err()).Err()) })
	return s, nil
}

// observedClientStream is an observed client stream: the call, its
// carrier and the stream the caller gets, allocated together. The call
// ends, once, when the stream does: when a receive returns the stream's
// status (io.EOF: OK), after the one response of a stream that is not
// server-streaming, when a send or the headers fail, or when the caller's
// context ends first.
type observedClientStream struct {
	clientCall
	clientStream
	desc  *grpclib.StreamDesc
	ctx   context.Context // what StartCall returned
	stop  func() bool     // stops watching ctx
	ended atomic.Bool
}

// finish ends the call with the stream's error (nil: OK), and stops
// watching the caller's context.
func (s *observedClientStream) finish(err error) {
	if s.stop != nil {
		s.stop()
	}
	s.end(err)
}

// end ends the call, once.
func (s *observedClientStream) end(err error) {
	if s.ended.Swap(true) {
		return
	}
	ended(&s.call, err)
	s.c.calls.EndCall(s.ctx, &s.call)
}

// RecvMsg receives a message; the call ends when the stream's status
// comes, or with the one response of a stream that is not
// server-streaming.
func (s *observedClientStream) RecvMsg(m any) error {
	err := s.ClientStream.RecvMsg(m)
	switch {
	case err == io.EOF:
		s.finish(nil)
	case err != nil:
		s.finish(err)
	case !s.desc.ServerStreams:
		s.finish(nil)
	}
	return s.c.streamErr(err)
}

// SendMsg sends a message; the call ends when the send fails, except with
// io.EOF, which says the stream ended and leaves its status to RecvMsg.
func (s *observedClientStream) SendMsg(m any) error {
	err := s.ClientStream.SendMsg(m)
	if err != nil && err != io.EOF {
		s.finish(err)
	}
	return s.c.streamErr(err)
}

// Header returns the server's header metadata; the call ends when that
// fails.
func (s *observedClientStream) Header() (metadata.MD, error) {
	md, err := s.ClientStream.Header()
	if err != nil {
		s.finish(err)
	}
	return md, s.c.streamErr(err)
}
