//go:build unix

package http

import (
	"io"
	nethttp "net/http"
	"syscall"
	"testing"
	"time"
)

// BenchmarkTimeouts measures a GET round trip over a loopback keep-alive
// connection, client and server in this process, with the kind's default
// settings (defaults) and with read_timeout = "30s" and write_timeout =
// "60s" (read-write-timeouts), the defaults before they were 0s. Besides
// the time per request, it reports the process's CPU time per request
// (user and system, client included): the difference is what arming the
// two deadlines costs the server.
func BenchmarkTimeouts(b *testing.B) {
	for _, bc := range []struct {
		name         string
		read, write  time.Duration
		wantDefaults bool
	}{
		{name: "defaults", wantDefaults: true},
		{name: "read-write-timeouts", read: 30 * time.Second, write: 60 * time.Second},
	} {
		b.Run(bc.name, func(b *testing.B) {
			k := runningKind(b, nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
				_, _ = io.WriteString(w, "hello")
			}), func(s *settings) {
				if bc.wantDefaults {
					if s.ReadTimeout != 0 || s.WriteTimeout != 0 {
						b.Fatalf("default timeouts %s and %s, want 0s", s.ReadTimeout, s.WriteTimeout)
					}
					return
				}
				s.ReadTimeout, s.WriteTimeout = bc.read, bc.write
			})
			tr := &nethttp.Transport{DisableCompression: true}
			b.Cleanup(tr.CloseIdleConnections)
			c := &nethttp.Client{Transport: tr, Timeout: 10 * time.Second}
			url := "http://" + k.Addr().String() + "/"
			var buf [16]byte
			roundTrip := func() {
				resp, err := c.Get(url)
				if err != nil {
					b.Fatal(err)
				}
				n, _ := io.ReadFull(resp.Body, buf[:])
				_ = resp.Body.Close()
				if resp.StatusCode != nethttp.StatusOK || string(buf[:n]) != "hello" {
					b.Fatalf("%d %q", resp.StatusCode, buf[:n])
				}
			}
			roundTrip() // connects
			b.ReportAllocs()
			before := cpuTime(b)
			for b.Loop() {
				roundTrip()
			}
			reportCPU(b, before)
		})
	}
}

// cpuTime returns the CPU time the process has used, user and system, in
// nanoseconds. With other work on the machine, it varies less than the
// time a benchmark took.
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
