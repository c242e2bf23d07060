module github.com/mikros-go/mikros/features/logger

require (
	github.com/mikros-go/mikros/core v0.1.0
	github.com/mikros-go/mikros/features/ghost v0.1.0
	github.com/mikros-go/mikros/tools v0.0.0
)
