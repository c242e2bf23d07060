module github.com/mikros-go/mikros/kinds/script

go 1.26.0

requires github.com/mikros-go/mikros/core v0.1.0
