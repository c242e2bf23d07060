package bench

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync/atomic"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// SayHelloMethod is the full name of the gRPC method Greeter serves.
const SayHelloMethod = "/greeter.v1.GreeterService/SayHello"

// GreeterService is greeter.v1.GreeterService of examples/greeter, written
// against messages of the same shape: its SayHelloRequest and
// SayHelloResponse each hold one string, field 1, as
// google.protobuf.StringValue does, so the bytes on the wire are the same.
// (This module cannot import the example's generated package: examples
// are not served by the workspace at a version.)
type GreeterService interface {
	SayHello(ctx context.Context, req *wrapperspb.StringValue) (*wrapperspb.StringValue, error)
}

// greeterServiceDesc describes GreeterService to a gRPC server, as
// generated code would.
var greeterServiceDesc = grpc.ServiceDesc{
	ServiceName: "greeter.v1.GreeterService",
	HandlerType: (*GreeterService)(nil),
	Methods:     []grpc.MethodDesc{{MethodName: "SayHello", Handler: sayHelloHandler}},
	Metadata:    "greeter/v1/greeter.proto",
}

// sayHelloHandler decodes a call to SayHello and makes it, through the
// server's interceptor when it has one.
func sayHelloHandler(srv any, ctx context.Context, dec func(any) error, interceptor grpc.UnaryServerInterceptor) (any, error) {
	req := new(wrapperspb.StringValue)
	if err := dec(req); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(GreeterService).SayHello(ctx, req)
	}
	info := &grpc.UnaryServerInfo{Server: srv, FullMethod: SayHelloMethod}
	handler := func(ctx context.Context, req any) (any, error) {
		return srv.(GreeterService).SayHello(ctx, req.(*wrapperspb.StringValue))
	}
	return interceptor(ctx, req, info, handler)
}

// Greeter answers as examples/greeter does, without Mikros:
// greeter.v1.GreeterService/SayHello over gRPC and GET /hello?name= over
// HTTP, both "Hello, <name>", and an empty name is refused. It has the
// methods the grpc and http kinds look for (RegisterGRPC, HTTPHandler), so
// the same value is served bare and by Mikros.
//
// It counts the greetings it answered, so that a load test can check what
// the load generator reports against what the server did.
type Greeter struct {
	answered atomic.Uint64
}

// greet is the one piece of logic, shared by both protocols.
func greet(name string) (string, bool) {
	if strings.TrimSpace(name) == "" {
		return "", false
	}
	return "Hello, " + name, true
}

// Answered returns how many greetings g answered, over both protocols.
func (g *Greeter) Answered() uint64 { return g.answered.Load() }

// SayHello answers "Hello, <name>", or InvalidArgument for an empty name.
func (g *Greeter) SayHello(_ context.Context, req *wrapperspb.StringValue) (*wrapperspb.StringValue, error) {
	msg, ok := greet(req.GetValue())
	if !ok {
		return nil, status.Error(codes.InvalidArgument, "name must not be empty")
	}
	g.answered.Add(1)
	return &wrapperspb.StringValue{Value: msg}, nil
}

// RegisterGRPC puts the GreeterService on s.
func (g *Greeter) RegisterGRPC(s grpc.ServiceRegistrar) {
	s.RegisterService(&greeterServiceDesc, g)
}

// Greeting is the JSON body of GET /hello.
type Greeting struct {
	Message string `json:"message"`
}

// HTTPHandler returns a ServeMux that answers GET /hello?name= with
// {"message":"Hello, <name>"}, or 400 for an empty name.
func (g *Greeter) HTTPHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /hello", func(w http.ResponseWriter, r *http.Request) {
		msg, ok := greet(r.URL.Query().Get("name"))
		if !ok {
			http.Error(w, "name must not be empty", http.StatusBadRequest)
			return
		}
		g.answered.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(Greeting{Message: msg})
	})
	return mux
}
