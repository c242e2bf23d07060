module github.com/mikros-go/mikros/bench

go 1.26.0
