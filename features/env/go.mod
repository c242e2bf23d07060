module github.com/mikros-go/mikros/features/env

go 1.26.0

require (
	github.com/caarlos0/env/v11 v11.4.2
	github.com/mikros-go/mikros/core v0.1.0
	go.uber.org/goleak v1.3.0
)

require github.com/BurntSushi/toml v1.6.0 // indirect
