//go:build linux && !386

package drain

import (
	"errors"
	"net"
	"syscall"
	"unsafe"
)

// canHoldBack says that holdBack can work on this platform.
const canHoldBack = true

// synOnly is a classic BPF program for a listening TCP socket: it drops
// the segments that open a connection (SYN without ACK) and lets every
// other through, so that the handshakes under way still complete. A
// socket filter on a TCP socket sees the segment from its TCP header; the
// flags are its 14th byte.
var synOnly = []syscall.SockFilter{
	{Code: syscall.BPF_LD | syscall.BPF_B | syscall.BPF_ABS, K: 13},           // A = the TCP flags
	{Code: syscall.BPF_ALU | syscall.BPF_AND | syscall.BPF_K, K: 0x12},        // A &= SYN|ACK
	{Code: syscall.BPF_JMP | syscall.BPF_JEQ | syscall.BPF_K, K: 0x02, Jf: 1}, // SYN alone?
	{Code: syscall.BPF_RET | syscall.BPF_K, K: 0},                             // drop it
	{Code: syscall.BPF_RET | syscall.BPF_K, K: 0xffffffff},                    // keep the rest
}

// holdBack keeps new connections out of ln's accept queue: it attaches
// synOnly to the listening socket. A client whose SYN is dropped sends it
// again about a second later, and is refused once the socket is closed.
// It fails for a listener that is not on TCP or does not give its socket
// (syscall.Conn), and for a Multipath TCP one (Go's default for listeners
// on Linux), which takes no socket filter.
func holdBack(ln net.Listener) error {
	if _, ok := ln.Addr().(*net.TCPAddr); !ok {
		return errors.New("not a TCP listener")
	}
	sc, ok := ln.(syscall.Conn)
	if !ok {
		return errors.New("the listener does not give its socket")
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return err
	}
	prog := syscall.SockFprog{Len: uint16(len(synOnly)), Filter: &synOnly[0]}
	var errno syscall.Errno
	err = rc.Control(func(fd uintptr) {
		_, _, errno = syscall.Syscall6(syscall.SYS_SETSOCKOPT, fd, syscall.SOL_SOCKET, syscall.SO_ATTACH_FILTER,
			uintptr(unsafe.Pointer(&prog)), unsafe.Sizeof(prog), 0)
	})
	if err != nil {
		return err
	}
	if errno != 0 {
		return errno
	}
	return nil
}
