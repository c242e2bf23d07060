module github.com/mikros-go/mikros/kinds/script

go 1.26.0
