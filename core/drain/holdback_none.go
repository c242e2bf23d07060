//go:build !linux || 386

package drain

import (
	"errors"
	"net"
)

// canHoldBack says that holdBack cannot work on this platform.
const canHoldBack = false

// holdBack cannot keep new connections out of the accept queue on this
// platform: the drain goes on until the queue stays empty for a while,
// and connections that enter it after that are reset when the socket
// closes.
func holdBack(net.Listener) error {
	return errors.New("new connections cannot be held back on this platform")
}
