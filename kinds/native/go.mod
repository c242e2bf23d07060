module github.com/mikros-go/mikros/kinds/native

go 1.26.0
