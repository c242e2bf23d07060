// Package config is a fixture package.
package config

import "github.com/mikros-go/mikros/core"

// Key returns the configuration key for s.
func Key(s string) string { return core.Name(s) }
