package main

import "syscall"

// dieWithParent makes a server die with the command, should the command
// be killed before it could kill the server.
func dieWithParent() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
