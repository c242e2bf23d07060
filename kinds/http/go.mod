module github.com/mikros-go/mikros/kinds/http

go 1.26.0

require (
	github.com/mikros-go/mikros/core v0.1.0
	github.com/mikros-go/mikros/features/errors v0.1.0
	go.uber.org/goleak v1.3.0
)

require github.com/BurntSushi/toml v1.6.0 // indirect
