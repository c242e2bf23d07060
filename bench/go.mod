module github.com/mikros-go/mikros/bench

go 1.26.0

require (
	github.com/mikros-go/mikros/core v0.1.0
	github.com/mikros-go/mikros/features/logger v0.1.0
	github.com/mikros-go/mikros/kinds/grpc v0.1.0
	github.com/mikros-go/mikros/kinds/http v0.1.0
	google.golang.org/grpc v1.85.0
	google.golang.org/protobuf v1.36.12
)

require (
	github.com/BurntSushi/toml v1.6.0 // indirect
	github.com/mikros-go/mikros/features/errors v0.1.0 // indirect
	go.uber.org/multierr v1.10.0 // indirect
	go.uber.org/zap v1.28.0 // indirect
	go.yaml.in/yaml/v3 v3.0.5 // indirect
	golang.org/x/net v0.60.0 // indirect
	golang.org/x/sys v0.48.0 // indirect
	golang.org/x/text v0.42.0 // indirect
	google.golang.org/genproto/googleapis/rpc v0.0.0-20261110000943-09e21b237f2c // indirect
)
