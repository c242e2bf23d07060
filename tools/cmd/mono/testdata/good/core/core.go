// Package core is a fixture module.
package core

import "strings"

// Name returns s in upper case.
func Name(s string) string { return strings.ToUpper(s) }
