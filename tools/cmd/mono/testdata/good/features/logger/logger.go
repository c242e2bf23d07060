// Package logger is a fixture module.
package logger

import "github.com/mikros-go/mikros/core"

// Prefix returns the log prefix for service s.
func Prefix(s string) string { return core.Name(s) + ": " }
