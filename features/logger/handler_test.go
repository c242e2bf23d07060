package logger_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"testing"
	"testing/slogtest"
)

// TestHandlerConformance runs the standard library's checks for slog
// handlers on the feature's handler, with and without the optional fields.
func TestHandlerConformance(t *testing.T) {
	tests := []struct{ name, def string }{
		{"defaults", ""},
		{"caller and stacks", `
[features.logger]
caller           = true
stacktrace_level = "debug"
`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out *bytes.Buffer
			slogtest.Run(t,
				func(t *testing.T) slog.Handler {
					out = new(bytes.Buffer)
					return started(t, tt.def, out, nil).LogHandler()
				},
				func(t *testing.T) map[string]any {
					var line map[string]any
					if err := json.Unmarshal(out.Bytes(), &line); err != nil {
						t.Fatalf("%v: %q", err, out)
					}
					return line
				},
			)
		})
	}
}
