package metrics

import (
	"errors"
	"math"
	"strconv"
	"strings"

	"github.com/mikros-go/mikros/core/definition"
)

// settings is the [features.metrics] table.
type settings struct {
	// Buckets are the upper bounds, in seconds, of the buckets of every
	// latency histogram.
	Buckets []float64 `toml:"buckets"`
	// GoCollector registers the Go runtime's metrics (go_*).
	GoCollector bool `toml:"go_collector"`
	// ProcessCollector registers the process's metrics (process_*).
	ProcessCollector bool `toml:"process_collector"`
}

// DefaultBuckets are the upper bounds, in seconds, of the latency
// histograms' buckets when [features.metrics] sets no buckets: from one
// millisecond to ten seconds.
var DefaultBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// maxBuckets bounds the number of buckets: each is a series per method or
// route of every latency histogram.
const maxBuckets = 64

// defaultSettings returns the settings of an empty [features.metrics].
func defaultSettings() settings {
	return settings{
		Buckets:          append([]float64(nil), DefaultBuckets...),
		GoCollector:      true,
		ProcessCollector: true,
	}
}

// decodeSettings decodes the table strictly and checks its values. The
// error, when there is one, is a [definition.Problems] with every problem
// at its key.
func decodeSettings(sec definition.Section) (settings, error) {
	st := defaultSettings()
	var problems definition.Problems
	if err := sec.Decode(&st); err != nil {
		if !errors.As(err, &problems) {
			return st, err
		}
	}
	if sec.Has("buckets") && !about(problems, sec.Path()+".buckets") {
		problems = append(problems, checkBuckets(sec, st.Buckets, undecoded(problems, sec.Path()+".buckets."))...)
	}
	if len(problems) > 0 {
		problems.Sort()
		return st, problems
	}
	return st, nil
}

// about reports whether one of problems is about the key at path itself.
func about(problems definition.Problems, path string) bool {
	for _, p := range problems {
		if p.Path == path {
			return true
		}
	}
	return false
}

// undecoded returns the indices of the elements of an array, whose paths
// start with prefix, that problems say could not be decoded.
func undecoded(problems definition.Problems, prefix string) map[int]bool {
	bad := map[int]bool{}
	for _, p := range problems {
		if rest, ok := strings.CutPrefix(p.Path, prefix); ok {
			if i, err := strconv.Atoi(rest); err == nil {
				bad[i] = true
			}
		}
	}
	return bad
}

// checkBuckets reports every bucket bound that is not finite, not
// positive, or not greater than the one before it. The bounds at the
// indices in skip could not be decoded and are left out.
func checkBuckets(sec definition.Section, buckets []float64, skip map[int]bool) definition.Problems {
	switch {
	case len(buckets) == 0:
		return definition.Problems{sec.Problem("buckets", "needs at least one bucket bound (seconds, such as [0.01, 0.1, 1])")}
	case len(buckets) > maxBuckets:
		return definition.Problems{sec.Problem("buckets", "has %d bounds; at most %d are allowed, as each is a series of every latency histogram", len(buckets), maxBuckets)}
	}
	var problems definition.Problems
	prev := -1 // the index of the last bound that decoded
	for i, b := range buckets {
		if skip[i] {
			continue
		}
		key := "buckets." + strconv.Itoa(i)
		switch {
		case math.IsNaN(b) || math.IsInf(b, 0):
			problems = append(problems, sec.Problem(key, "bound %d is %v; bounds are finite numbers of seconds (the +Inf bucket is always there)", i+1, b))
		case b <= 0:
			problems = append(problems, sec.Problem(key, "bound %d is %v; bounds are positive numbers of seconds", i+1, b))
		case prev >= 0 && b <= buckets[prev]:
			problems = append(problems, sec.Problem(key, "bound %d (%v) is not greater than the one before it (%v); bounds must be strictly increasing", i+1, b, buckets[prev]))
		}
		prev = i
	}
	return problems
}
