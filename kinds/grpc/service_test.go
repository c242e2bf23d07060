package grpc_test

import (
	"context"
	"io"
	"strings"
	"testing"

	"go.uber.org/goleak"
	grpclib "google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// echoServer is a tiny gRPC service written by hand, so that the tests need
// no generated code: Echo answers a StringValue with a StringValue,
// Repeat streams it back, Gather answers a stream of them with one, and
// Chat answers each of a stream.
type echoServer interface {
	Echo(ctx context.Context, in *wrapperspb.StringValue) (*wrapperspb.StringValue, error)
	Repeat(in *wrapperspb.StringValue, ss grpclib.ServerStream) error
	Gather(ss grpclib.ServerStream) error
	Chat(ss grpclib.ServerStream) error
}

const (
	echoMethod   = "/mikros.test.Echo/Echo"
	repeatMethod = "/mikros.test.Echo/Repeat"
	gatherMethod = "/mikros.test.Echo/Gather"
	chatMethod   = "/mikros.test.Echo/Chat"
)

var echoDesc = grpclib.ServiceDesc{
	ServiceName: "mikros.test.Echo",
	HandlerType: (*echoServer)(nil),
	Methods:     []grpclib.MethodDesc{{MethodName: "Echo", Handler: echoHandler}},
	Streams: []grpclib.StreamDesc{
		{StreamName: "Repeat", Handler: repeatHandler, ServerStreams: true},
		{StreamName: "Gather", Handler: gatherHandler, ClientStreams: true},
		{StreamName: "Chat", Handler: chatHandler, ClientStreams: true, ServerStreams: true},
	},
}

var (
	repeatDesc = &echoDesc.Streams[0]
	gatherDesc = &echoDesc.Streams[1]
	chatDesc   = &echoDesc.Streams[2]
)

func echoHandler(srv any, ctx context.Context, dec func(any) error, interceptor grpclib.UnaryServerInterceptor) (any, error) {
	in := new(wrapperspb.StringValue)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(echoServer).Echo(ctx, in)
	}
	info := &grpclib.UnaryServerInfo{Server: srv, FullMethod: echoMethod}
	return interceptor(ctx, in, info, func(ctx context.Context, req any) (any, error) {
		return srv.(echoServer).Echo(ctx, req.(*wrapperspb.StringValue))
	})
}

func repeatHandler(srv any, ss grpclib.ServerStream) error {
	in := new(wrapperspb.StringValue)
	if err := ss.RecvMsg(in); err != nil {
		return err
	}
	return srv.(echoServer).Repeat(in, ss)
}

func gatherHandler(srv any, ss grpclib.ServerStream) error { return srv.(echoServer).Gather(ss) }

func chatHandler(srv any, ss grpclib.ServerStream) error { return srv.(echoServer).Chat(ss) }

// echo is the service under test. Its behaviour is set per test.
type echo struct {
	echo    func(ctx context.Context, in *wrapperspb.StringValue) (*wrapperspb.StringValue, error)
	repeat  func(in *wrapperspb.StringValue, ss grpclib.ServerStream) error
	gather  func(ss grpclib.ServerStream) error
	chat    func(ss grpclib.ServerStream) error
	onStart func(ctx context.Context) error
	// seen, when set, is given the context of every call of the Echo
	// service, before the call is handled.
	seen func(ctx context.Context)
}

func (e *echo) RegisterGRPC(s grpclib.ServiceRegistrar) { s.RegisterService(&echoDesc, e) }

func (e *echo) Echo(ctx context.Context, in *wrapperspb.StringValue) (*wrapperspb.StringValue, error) {
	if e.seen != nil {
		e.seen(ctx)
	}
	if e.echo != nil {
		return e.echo(ctx, in)
	}
	return in, nil
}

func (e *echo) Repeat(in *wrapperspb.StringValue, ss grpclib.ServerStream) error {
	if e.seen != nil {
		e.seen(ss.Context())
	}
	if e.repeat != nil {
		return e.repeat(in, ss)
	}
	for range 3 {
		if err := ss.SendMsg(in); err != nil {
			return err
		}
	}
	return nil
}

// Gather answers the messages it received, joined.
func (e *echo) Gather(ss grpclib.ServerStream) error {
	if e.seen != nil {
		e.seen(ss.Context())
	}
	if e.gather != nil {
		return e.gather(ss)
	}
	var all []string
	for {
		in := new(wrapperspb.StringValue)
		err := ss.RecvMsg(in)
		if err == io.EOF {
			return ss.SendMsg(wrapperspb.String(strings.Join(all, " ")))
		}
		if err != nil {
			return err
		}
		all = append(all, in.GetValue())
	}
}

// Chat answers each message it receives with itself.
func (e *echo) Chat(ss grpclib.ServerStream) error {
	if e.seen != nil {
		e.seen(ss.Context())
	}
	if e.chat != nil {
		return e.chat(ss)
	}
	for {
		in := new(wrapperspb.StringValue)
		err := ss.RecvMsg(in)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if err := ss.SendMsg(in); err != nil {
			return err
		}
	}
}

func (e *echo) OnStart(ctx context.Context) error {
	if e.onStart != nil {
		return e.onStart(ctx)
	}
	return nil
}

// call makes one Echo call on conn.
func call(ctx context.Context, conn grpclib.ClientConnInterface, msg string) (string, error) {
	out := new(wrapperspb.StringValue)
	if err := conn.Invoke(ctx, echoMethod, wrapperspb.String(msg), out); err != nil {
		return "", err
	}
	return out.GetValue(), nil
}

const definition = `
name    = "orders"
types   = ["grpc"]
version = "v1.0.0"
product = "shop"

[lifecycle]
stop_timeout = "5s"
`
