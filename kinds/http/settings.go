package http

import (
	"errors"
	"time"

	"github.com/mikros-go/mikros/core/definition"
)

// Defaults of [services.http].
const (
	// DefaultPort is the port the kind listens on when neither
	// MIKROS_HTTP_PORT, types, nor [services.http] port chooses one.
	DefaultPort = 8080
	// DefaultReadHeaderTimeout bounds how long a client may take to send a
	// request's headers.
	DefaultReadHeaderTimeout = 5 * time.Second
	// DefaultReadTimeout, 0, leaves the time a client may take to send a
	// whole request, body included, unbounded: each request would
	// otherwise arm a timer for it, and a long upload is cut. Headers are
	// bounded by read_header_timeout, bodies in size by max_body_bytes.
	DefaultReadTimeout = 0
	// DefaultWriteTimeout, 0, leaves the time from the end of the
	// request's headers to the end of the response unbounded: each request
	// would otherwise arm a timer for it, and a long response (a stream, a
	// download) is cut.
	DefaultWriteTimeout = 0
	// DefaultIdleTimeout bounds how long a keep-alive connection waits for
	// its next request.
	DefaultIdleTimeout = 120 * time.Second
	// DefaultMaxHeaderBytes is the largest request line and headers the
	// server reads (net/http's own default, 1 MiB).
	DefaultMaxHeaderBytes = 1 << 20
	// DefaultMaxBodyBytes is the largest request body a handler may read.
	DefaultMaxBodyBytes = 4 << 20
)

// settings is [services.http] (without port, which core reads).
type settings struct {
	Address           string        `toml:"address"`
	ReadHeaderTimeout time.Duration `toml:"read_header_timeout"`
	ReadTimeout       time.Duration `toml:"read_timeout"`
	WriteTimeout      time.Duration `toml:"write_timeout"`
	IdleTimeout       time.Duration `toml:"idle_timeout"`
	MaxHeaderBytes    int           `toml:"max_header_bytes"`
	MaxBodyBytes      int64         `toml:"max_body_bytes"`
}

// decodeSettings decodes [services.http] strictly over the defaults and
// checks the values; it returns every problem, each at its key.
func decodeSettings(sec definition.Section) (settings, error) {
	st := settings{
		ReadHeaderTimeout: DefaultReadHeaderTimeout,
		ReadTimeout:       DefaultReadTimeout,
		WriteTimeout:      DefaultWriteTimeout,
		IdleTimeout:       DefaultIdleTimeout,
		MaxHeaderBytes:    DefaultMaxHeaderBytes,
		MaxBodyBytes:      DefaultMaxBodyBytes,
	}
	var problems definition.Problems
	if err := sec.Decode(&st); err != nil {
		if !errors.As(err, &problems) {
			return st, err
		}
	}
	// A key that failed to decode kept its default, which is valid, so
	// the checks below only report keys that decoded.
	if st.ReadHeaderTimeout <= 0 {
		problems = append(problems, sec.Problem("read_header_timeout",
			"must be more than 0s, not %s: it is what stops a client that sends its headers slowly from holding a connection", st.ReadHeaderTimeout))
	}
	for _, d := range []struct {
		key string
		v   time.Duration
	}{
		{"read_timeout", st.ReadTimeout},
		{"write_timeout", st.WriteTimeout},
		{"idle_timeout", st.IdleTimeout},
	} {
		if d.v < 0 {
			problems = append(problems, sec.Problem(d.key, "must not be negative, not %s", d.v))
		}
	}
	if st.IdleTimeout == 0 && st.ReadTimeout == 0 {
		problems = append(problems, sec.Problem("idle_timeout",
			"must be more than 0s while read_timeout is 0s: 0s means read_timeout, and keep-alive connections would wait for their next request forever"))
	}
	if st.MaxHeaderBytes <= 0 {
		problems = append(problems, sec.Problem("max_header_bytes", "must be positive, not %d", st.MaxHeaderBytes))
	}
	if st.MaxBodyBytes <= 0 {
		problems = append(problems, sec.Problem("max_body_bytes", "must be positive, not %d", st.MaxBodyBytes))
	}
	problems.Sort()
	return st, problems.Err()
}
