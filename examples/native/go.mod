module github.com/mikros-go/mikros/examples/native

go 1.26.0
