module github.com/mikros-go/mikros/features/errors

go 1.26.0
