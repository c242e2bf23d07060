package logger_test

import (
	"bytes"
	"context"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mikros-go/mikros/core"
	"github.com/mikros-go/mikros/features/logger"
)

// plain is a service that logs through core's *slog.Logger only.
type plain struct {
	Log *slog.Logger `mikros:"feature"`
}

// TestSameLayoutWithoutTheFeature runs one service twice, with the logger
// feature and without it, and expects the same lines from both: core's
// standard-library fallback writes the layout the feature writes.
func TestSameLayoutWithoutTheFeature(t *testing.T) {
	run := func(enabled string) []string {
		var out bytes.Buffer
		svc := &plain{}
		kind := once{run: func(context.Context) error {
			svc.Log.Info("hello", "count", 3, "ok", true, "took", 1500*time.Millisecond)
			svc.Log.Warn("careful", "who", "ada")
			return nil
		}}
		def := strings.Replace(greeterTOML, "enabled = true", "enabled = "+enabled, 1)
		err := core.Run(context.Background(), svc,
			core.WithDefinition("service.toml", []byte(strings.ReplaceAll(def, "%s", ""))),
			core.WithKinds(kind), core.WithFeatures(logger.New()),
			core.WithLogOutput(&out), core.WithLookupEnv(func(string) (string, bool) { return "", false }))
		if err != nil {
			t.Fatal(err)
		}
		times := regexp.MustCompile(`"time":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"`)
		durations := regexp.MustCompile(`in [0-9.]+[µnm]?s(: configure [0-9.]+[µnm]?s, build [0-9.]+[µnm]?s, start [0-9.]+[µnm]?s)?`)
		var lines []string
		for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
			if !times.MatchString(l) {
				t.Errorf("time not in RFC 3339 UTC with milliseconds: %s", l)
			}
			l = times.ReplaceAllString(l, `"time":"T"`)
			lines = append(lines, durations.ReplaceAllString(l, "in D"))
		}
		return lines
	}
	with, without := run("true"), run("false")
	if strings.Join(with, "\n") != strings.Join(without, "\n") {
		t.Errorf("the layouts differ\nwith the feature:\n%s\nwithout:\n%s", strings.Join(with, "\n"), strings.Join(without, "\n"))
	}
	want := `{"time":"T","level":"info","msg":"hello","service.name":"greeter","service.version":"v1.0.0","service.product":"demo","service.env":"local","service.type":"once","team":"platform","count":3,"ok":true,"took":"1.5s"}`
	found := false
	for _, l := range with {
		found = found || l == want
	}
	if !found {
		t.Errorf("no line is\n%s\nin\n%s", want, strings.Join(with, "\n"))
	}
}
