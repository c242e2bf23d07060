module github.com/mikros-go/mikros/features/metrics

go 1.26.0

require github.com/mikros-go/mikros/core v0.1.0
