//go:build unix

package bench

import (
	"syscall"
	"testing"
)

// cpuTime returns the CPU time the process has used, user and system, in
// nanoseconds: every goroutine's, such as the tracing feature's exporting
// one, which the time per call does not show when it runs on another CPU.
func cpuTime(tb testing.TB) int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// reportCPU reports the process's CPU time per iteration since before
// (from cpuTime), as cpu-ns/op.
func reportCPU(b *testing.B, before int64) {
	b.ReportMetric(float64(cpuTime(b)-before)/float64(b.N), "cpu-ns/op")
}
