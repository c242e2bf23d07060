// Package script is a fixture module.
package script

import "github.com/mikros-go/mikros/features/logger"

// Banner returns the banner of service s.
func Banner(s string) string { return logger.Prefix(s) + "started" }
