module github.com/mikros-go/mikros/features/extra

go 1.26.0
