//go:build !linux

package main

import "syscall"

// dieWithParent returns nil: only Linux kills a child with its parent.
// The command kills its servers itself when it ends.
func dieWithParent() *syscall.SysProcAttr { return nil }
