package http

import (
	"context"
	"log/slog"
	"time"
)

// panicLogInterval is how long the repeats of a panic's stack, once
// logged, are only counted: a handler that panics on every request has
// its stack logged once a minute, with the count of the repeats in
// between (see recover).
const panicLogInterval = time.Minute

// logSuppressedPanics logs, one line per stack, the repeats of panics that
// the kind counted and has not reported yet, naming the function that
// panicked; Stop calls it once the server is done.
func (k *Kind) logSuppressedPanics() {
	for _, s := range k.panics.Flush() {
		k.log.LogAttrs(context.Background(), slog.LevelError, "http: identical panics suppressed",
			slog.String("panic.site", s.Site), slog.Int("suppressed", s.Count), slog.Time("suppressed_since", s.Since))
	}
}
