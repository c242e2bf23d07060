package http

// connectionLost reports whether err says the peer reset or aborted the
// connection; Plan 9 has no error numbers to tell.
func connectionLost(error) bool { return false }
