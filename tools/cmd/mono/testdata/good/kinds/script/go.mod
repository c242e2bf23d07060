module github.com/mikros-go/mikros/kinds/script

go 1.26.0

require github.com/mikros-go/mikros/features/logger v0.2.0

require github.com/mikros-go/mikros/core v0.1.0 // indirect
