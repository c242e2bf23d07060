module github.com/mikros-go/mikros/examples/script

go 1.26.0

require (
	github.com/mikros-go/mikros/core v0.1.0
	github.com/mikros-go/mikros/features/logger v0.1.0
	go.uber.org/goleak v1.3.0
	github.com/mikros-go/mikros/kinds/script v0.1.0
)
