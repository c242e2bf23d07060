module github.com/mikros-go/mikros/core

go 1.26.0
