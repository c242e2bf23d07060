module github.com/mikros-go/mikros/tools

go 1.26.0

require (
	golang.org/x/mod v0.43.0
	gopkg.in/yaml.v3 v3.0.1
)
