module github.com/mikros-go/mikros/core

go 1.26.0

require github.com/BurntSushi/toml v1.6.0

require go.uber.org/goleak v1.3.0
