package grpc_test

import (
	"context"
	"testing"

	"go.uber.org/goleak"
	grpclib "google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// echoServer is a tiny gRPC service written by hand, so that the tests need
// no generated code: Echo answers a StringValue with a StringValue, and
// Repeat streams it back.
type echoServer interface {
	Echo(ctx context.Context, in *wrapperspb.StringValue) (*wrapperspb.StringValue, error)
	Repeat(in *wrapperspb.StringValue, ss grpclib.ServerStream) error
}

const (
	echoMethod   = "/mikros.test.Echo/Echo"
	repeatMethod = "/mikros.test.Echo/Repeat"
)

var echoDesc = grpclib.ServiceDesc{
	ServiceName: "mikros.test.Echo",
	HandlerType: (*echoServer)(nil),
	Methods:     []grpclib.MethodDesc{{MethodName: "Echo", Handler: echoHandler}},
	Streams:     []grpclib.StreamDesc{{StreamName: "Repeat", Handler: repeatHandler, ServerStreams: true}},
}

var repeatDesc = &echoDesc.Streams[0]

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

// echo is the service under test. Its behaviour is set per test.
type echo struct {
	echo    func(ctx context.Context, in *wrapperspb.StringValue) (*wrapperspb.StringValue, error)
	repeat  func(in *wrapperspb.StringValue, ss grpclib.ServerStream) error
	onStart func(ctx context.Context) error
}

func (e *echo) RegisterGRPC(s grpclib.ServiceRegistrar) { s.RegisterService(&echoDesc, e) }

func (e *echo) Echo(ctx context.Context, in *wrapperspb.StringValue) (*wrapperspb.StringValue, error) {
	if e.echo != nil {
		return e.echo(ctx, in)
	}
	return in, nil
}

func (e *echo) Repeat(in *wrapperspb.StringValue, ss grpclib.ServerStream) error {
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
