package grpctls_test

import grpclib "google.golang.org/grpc"

// service is a gRPC service without services of its own.
type service struct{}

func (service) RegisterGRPC(grpclib.ServiceRegistrar) {}
