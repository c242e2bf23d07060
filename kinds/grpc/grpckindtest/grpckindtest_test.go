package grpckindtest_test

import (
	"testing"

	"go.uber.org/goleak"
	grpclib "google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/mikros-go/mikros/core"
	mgrpc "github.com/mikros-go/mikros/kinds/grpc"
	"github.com/mikros-go/mikros/kinds/grpc/grpckindtest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

type empty struct{}

func (empty) RegisterGRPC(grpclib.ServiceRegistrar) {}

const definition = `
	name    = "empty"
	types   = ["grpc"]
	version = "v1.0.0"
	product = "demo"
`

func TestStart(t *testing.T) {
	tests := []struct {
		name string
		opts []core.Option
	}{
		{name: "the kind added by Start"},
		{name: "a kind in the options is replaced", opts: []core.Option{core.WithKinds(mgrpc.New())}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc, conn := grpckindtest.Start(t, empty{}, definition, tt.opts...)
			if err := svc.Err(); err != nil {
				t.Fatal(err)
			}
			r, err := healthpb.NewHealthClient(conn).Check(t.Context(), &healthpb.HealthCheckRequest{})
			if err != nil || r.GetStatus() != healthpb.HealthCheckResponse_SERVING {
				t.Fatalf("health: %v %v, want SERVING", r, err)
			}
			if err := svc.Stop(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestStartFailure(t *testing.T) {
	svc, _ := grpckindtest.Start(t, struct{}{}, definition)
	if core.ExitCode(svc.Err()) != core.ExitInvalid {
		t.Fatalf("a service without RegisterGRPC: %v, want exit 2", svc.Err())
	}
}
