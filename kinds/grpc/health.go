package grpc

import (
	"context"

	"github.com/mikros-go/mikros/core"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
)

const (
	serving    = healthpb.HealthCheckResponse_SERVING
	notServing = healthpb.HealthCheckResponse_NOT_SERVING
)

// setStatus sets the status of the whole server ("") and of each of the
// service's gRPC services.
func (k *Kind) setStatus(st healthpb.HealthCheckResponse_ServingStatus) {
	k.hs.SetServingStatus("", st)
	for _, name := range k.names {
		k.hs.SetServingStatus(name, st)
	}
}

// follow mirrors the service's state in the health service: SERVING once
// ready, NOT_SERVING for good once draining begins.
func (k *Kind) follow(st core.State) {
	switch st {
	case core.Starting:
	case core.Ready:
		k.setStatus(serving)
	default:
		k.hs.Shutdown()
	}
}

// healthService is the standard health service, whose Watch streams end
// when the kind stops. The standard one keeps them open until the client
// leaves, which would hold a graceful stop until its deadline.
type healthService struct {
	*health.Server
	stopping context.Context
}

// Watch streams the status of a service, as the standard one does. When
// the kind stops, it sends NOT_SERVING (unless that was the last status
// sent) and ends the stream with Unavailable.
func (h *healthService) Watch(req *healthpb.HealthCheckRequest, stream healthpb.Health_WatchServer) error {
	ctx, cancel := context.WithCancel(stream.Context())
	defer cancel()
	unhook := context.AfterFunc(h.stopping, cancel)
	defer unhook()
	w := &watchStream{Health_WatchServer: stream, ctx: ctx, last: -1}
	err := h.Server.Watch(req, w)
	if h.stopping.Err() == nil || stream.Context().Err() != nil {
		return err
	}
	if w.last != notServing {
		if err := stream.Send(&healthpb.HealthCheckResponse{Status: notServing}); err != nil {
			return err
		}
	}
	return status.Error(codes.Unavailable, "the server is stopping")
}

// watchStream is a Watch stream with a context that also ends when the
// kind stops, and that remembers the last status sent.
type watchStream struct {
	healthpb.Health_WatchServer
	ctx  context.Context
	last healthpb.HealthCheckResponse_ServingStatus
}

func (w *watchStream) Context() context.Context { return w.ctx }

func (w *watchStream) Send(m *healthpb.HealthCheckResponse) error {
	if err := w.Health_WatchServer.Send(m); err != nil {
		return err
	}
	w.last = m.GetStatus()
	return nil
}
