module github.com/mikros-go/mikros/tools

go 1.26.0
