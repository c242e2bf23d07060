//go:build !plan9

package http

import (
	"errors"
	"syscall"
)

// connectionLost reports whether err says the peer reset or aborted the
// connection.
func connectionLost(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNABORTED) || errors.Is(err, syscall.EPIPE)
}
