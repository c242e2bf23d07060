package main

import (
	"net/http"
	"testing"
	"time"

	mhttp "github.com/mikros-go/mikros/kinds/http"
)

// limits are the fields of an http.Server that the kind's settings set.
type limits struct {
	readHeader, read, write, idle time.Duration
	maxHeaderBytes                int
}

// limitsOf returns s's limits.
func limitsOf(s *http.Server) limits {
	return limits{s.ReadHeaderTimeout, s.ReadTimeout, s.WriteTimeout, s.IdleTimeout, s.MaxHeaderBytes}
}

// TestServer checks that -timeouts gives the bare server the http kind's
// defaults, and that without it only ReadHeaderTimeout is set.
func TestServer(t *testing.T) {
	for _, tc := range []struct {
		name         string
		kindDefaults bool
		want         limits
	}{
		{name: "bare", want: limits{readHeader: mhttp.DefaultReadHeaderTimeout}},
		{name: "timeouts", kindDefaults: true, want: limits{
			readHeader:     mhttp.DefaultReadHeaderTimeout,
			read:           mhttp.DefaultReadTimeout,
			write:          mhttp.DefaultWriteTimeout,
			idle:           mhttp.DefaultIdleTimeout,
			maxHeaderBytes: mhttp.DefaultMaxHeaderBytes,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := limitsOf(newServer(http.NotFoundHandler(), tc.kindDefaults)); got != tc.want {
				t.Errorf("limits %+v, want %+v", got, tc.want)
			}
		})
	}
}
