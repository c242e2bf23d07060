module github.com/mikros-go/mikros/tools

go 1.26.0

require (
	github.com/mikros-go/mikros/core v0.1.0
	github.com/mikros-go/mikros/features/logger v0.1.0
	github.com/mikros-go/mikros/kinds/native v0.1.0
	github.com/mikros-go/mikros/kinds/script v0.1.0
	golang.org/x/mod v0.43.0
	gopkg.in/yaml.v3 v3.0.1
)

require (
	github.com/BurntSushi/toml v1.6.0 // indirect
	go.uber.org/multierr v1.10.0 // indirect
	go.uber.org/zap v1.28.0 // indirect
)
