package grpc_test

import (
	"context"
	"net"
	"testing"

	"github.com/mikros-go/mikros/core"
	"github.com/mikros-go/mikros/core/servicetest"
	merrors "github.com/mikros-go/mikros/features/errors"
	mgrpc "github.com/mikros-go/mikros/kinds/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// TestUnaryInterceptor checks that the interceptor the kind gives out is
// the one its server runs unary calls through: called with a method's
// handler, without the transport, it answers errors through the error
// model and recovers panics, and, when a feature observes calls, the
// observer sees the call.
func TestUnaryInterceptor(t *testing.T) {
	if mgrpc.New().UnaryInterceptor() != nil {
		t.Error("UnaryInterceptor of a kind not configured is not nil")
	}
	for _, tc := range []struct {
		name     string
		observed bool
		echo     func(context.Context, *wrapperspb.StringValue) (*wrapperspb.StringValue, error)
		want     codes.Code
		wantMsg  string
	}{
		{name: "ok", want: codes.OK, wantMsg: "hello"},
		{name: "ok/observed", observed: true, want: codes.OK, wantMsg: "hello"},
		{
			name: "error/observed", observed: true, want: codes.NotFound, wantMsg: "no such order",
			echo: func(context.Context, *wrapperspb.StringValue) (*wrapperspb.StringValue, error) {
				return nil, merrors.New(merrors.NotFound, "no such order")
			},
		},
		{
			name: "panic", want: codes.Internal, wantMsg: "internal error",
			echo: func(context.Context, *wrapperspb.StringValue) (*wrapperspb.StringValue, error) {
				panic("boom")
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			kind := mgrpc.New(mgrpc.WithListener(ln))
			def, opts := definition, []core.Option{core.WithKinds(kind)}
			rec := &recorder{}
			if tc.observed {
				def, opts = observedDefinition, append(opts, core.WithFeatures(rec))
			}
			srv := &echo{echo: tc.echo}
			svc := servicetest.Start(t, srv, def, opts...)
			if err := svc.Err(); err != nil {
				t.Fatal(err)
			}
			interceptor := kind.UnaryInterceptor()
			if interceptor == nil {
				t.Fatal("UnaryInterceptor of a configured kind is nil")
			}
			dec := func(m any) error {
				m.(*wrapperspb.StringValue).Value = "hello"
				return nil
			}
			resp, err := echoHandler(srv, context.Background(), dec, interceptor)
			st := status.Convert(err)
			if st.Code() != tc.want {
				t.Fatalf("code %s (%v), want %s", st.Code(), err, tc.want)
			}
			got := st.Message()
			if err == nil {
				got = resp.(*wrapperspb.StringValue).GetValue()
			}
			if got != tc.wantMsg {
				t.Errorf("answer %q, want %q", got, tc.wantMsg)
			}
			o, ok := rec.find(false, echoMethod)
			if ok != tc.observed {
				t.Fatalf("observed %v, want %v", ok, tc.observed)
			}
			if ok && (o.ends != 1 || o.call.Code != int(tc.want)) {
				t.Errorf("observed call: %d ends, code %d; want 1 end, code %d", o.ends, o.call.Code, tc.want)
			}
			if err := svc.Stop(); err != nil {
				t.Fatal(err)
			}
		})
	}
}
