module github.com/mikros-go/mikros/kore

go 1.26

toolchain go1.26.1

require (
	github.com/BurntSushi/toml v1.5.0
	github.com/mikros-go/mikros/features/logger v0.1.0
)

replace github.com/BurntSushi/toml => ../toml
