//go:build !unix

package bench

import "testing"

// cpuTime is unknown here: the benchmarks report no CPU time.
func cpuTime(testing.TB) int64 { return 0 }

// reportCPU reports nothing where cpuTime is unknown.
func reportCPU(*testing.B, int64) {}
