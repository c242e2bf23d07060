//go:build !linux || 386

package http

import (
	"errors"
	"net"
)

// canHoldBack says that holdBack cannot work on this platform.
const canHoldBack = false

// holdBack cannot keep new connections out of the accept queue on this
// platform: the stop drains the queue until it is found empty, and
// connections that enter it after that are reset when the socket closes.
func holdBack(net.Listener) error {
	return errors.New("new connections cannot be held back on this platform")
}
