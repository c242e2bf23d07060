module github.com/mikros-go/mikros/examples/script

go 1.26.0

require github.com/mikros-go/mikros/kinds/script v1.0.0-rc.1

require (
	github.com/mikros-go/mikros/core v0.1.0 // indirect
	github.com/mikros-go/mikros/features/logger v0.2.0 // indirect
)
