module github.com/mikros-go/mikros/examples/script

go 1.26.0

require github.com/mikros-go/mikros/kinds/script v1.0.0-rc.1
