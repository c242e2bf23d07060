// Command greeter is a service that speaks two protocols on one lifecycle:
// gRPC (greeter.v1.GreeterService/SayHello) and HTTP (GET /hello?name=).
//
//	go -C examples/greeter run .
//	grpcurl -plaintext -d '{"name":"Ada"}' localhost:7070 greeter.v1.GreeterService/SayHello
//	curl 'localhost:8080/hello?name=Ada'
//	curl localhost:9090/readyz
//
// It links the env, logger, metrics and tracing features. Only the logger
// is enabled in its service.toml; each of the others is one table away:
//
//   - [features.metrics] enabled = true serves Prometheus metrics of every
//     call at localhost:9090/metrics, on the admin listener.
//   - [features.tracing] enabled = true exports a span of every call, and
//     the startup trace, over OTLP to the endpoint of the table
//     (localhost:4317: a local Jaeger or OpenTelemetry collector).
//   - [features.env] enabled = true loads declared environment variables
//     into a struct of the service's (see greeter below).
package main

import (
	"context"
	"encoding/json"
	"log/slog"
	nethttp "net/http"
	"strings"

	"google.golang.org/grpc"

	"github.com/mikros-go/mikros/core"
	greeterv1 "github.com/mikros-go/mikros/examples/greeter/proto/greeter/v1"
	"github.com/mikros-go/mikros/features/env"
	merrors "github.com/mikros-go/mikros/features/errors"
	"github.com/mikros-go/mikros/features/logger"
	"github.com/mikros-go/mikros/features/metrics"
	"github.com/mikros-go/mikros/features/tracing"
	mgrpc "github.com/mikros-go/mikros/kinds/grpc"
	mhttp "github.com/mikros-go/mikros/kinds/http"
)

// greeter is the service: one greeting, served over gRPC and HTTP.
//
// It reads no environment variable of its own. To read some, enable
// [features.env], declare the variables in service.toml (required ones in
// envs, the others in the optional list of [features.env]) and add a
// field tagged with the feature's name, which the feature fills before
// anything starts:
//
//	type config struct {
//		Greeting string `env:"GREETING" envDefault:"Hello"`
//	}
//
//	type greeter struct {
//		...
//		Env config `mikros:"env"`
//	}
//
// A field tagged mikros:"env" needs the feature enabled: while it is
// disabled, the boot fails and names the field.
type greeter struct {
	greeterv1.UnimplementedGreeterServiceServer

	Log *slog.Logger `mikros:"feature"`
}

// greet is the service's one piece of logic, shared by both protocols.
func (g *greeter) greet(name string) (string, error) {
	if strings.TrimSpace(name) == "" {
		return "", merrors.New(merrors.InvalidArgument, "name must not be empty").
			WithCode("NAME_EMPTY").WithDetail("field", "name")
	}
	return "Hello, " + name, nil
}

// RegisterGRPC puts the GreeterService on the kind's gRPC server.
func (g *greeter) RegisterGRPC(s grpc.ServiceRegistrar) {
	greeterv1.RegisterGreeterServiceServer(s, g)
}

// SayHello answers over gRPC; an error from the model becomes its status.
func (g *greeter) SayHello(_ context.Context, req *greeterv1.SayHelloRequest) (*greeterv1.SayHelloResponse, error) {
	msg, err := g.greet(req.GetName())
	if err != nil {
		return nil, err
	}
	return &greeterv1.SayHelloResponse{Message: msg}, nil
}

// HTTPHandler answers over HTTP; an error becomes application/problem+json.
func (g *greeter) HTTPHandler() nethttp.Handler {
	mux := nethttp.NewServeMux()
	mux.Handle("GET /hello", mhttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) error {
		msg, err := g.greet(r.URL.Query().Get("name"))
		if err != nil {
			return err
		}
		w.Header().Set("Content-Type", "application/json")
		return json.NewEncoder(w).Encode(greeting{Message: msg})
	}))
	return mux
}

// greeting is the JSON body of GET /hello.
type greeting struct {
	Message string `json:"message"`
}

// features returns the features the greeter links, each run only when
// service.toml enables it. The tests run the greeter with these too.
func features() []core.Feature {
	return []core.Feature{env.New(), logger.New(), metrics.New(), tracing.New()}
}

func main() {
	core.Main(&greeter{},
		core.WithKinds(mgrpc.New(), mhttp.New()),
		core.WithFeatures(features()...))
}
