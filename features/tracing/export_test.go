package tracing

import "io"

// WithStdout makes the stdout exporter write to w.
func WithStdout(w io.Writer) Option {
	return func(f *Feature) { f.stdout = w }
}
