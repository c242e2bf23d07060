module github.com/mikros-go/mikros/examples/script

go 1.26.0
