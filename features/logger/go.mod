module github.com/mikros-go/mikros/features/logger

go 1.26.0
