package core

import (
	"slices"
	"strings"

	"github.com/mikros-go/mikros/core/definition"
)

// order sorts the enabled features so that each comes after the features it
// depends on; features with no order between them are sorted by name.
func order(features map[string]Feature, def *definition.Definition) ([]Feature, definition.Problems) {
	var problems definition.Problems
	deps := map[string][]string{}
	for name, f := range features {
		d, ok := f.(Dependent)
		if !ok {
			continue
		}
		for _, dep := range d.DependsOn() {
			if _, on := features[dep]; !on {
				problems = append(problems, def.Problem("features."+name, "needs the %s feature; enable it with [features.%s] enabled = true", dep, dep))
				continue
			}
			deps[name] = append(deps[name], dep)
		}
	}
	var out []Feature
	done := map[string]bool{}
	for len(out) < len(features) {
		var ready []string
		for name := range features {
			if !done[name] && allDone(deps[name], done) {
				ready = append(ready, name)
			}
		}
		if len(ready) == 0 {
			var cycle []string
			for name := range features {
				if !done[name] {
					cycle = append(cycle, name)
				}
			}
			slices.Sort(cycle)
			problems = append(problems, def.Problem("features", "features %s depend on each other in a cycle", strings.Join(cycle, ", ")))
			return nil, problems
		}
		slices.Sort(ready)
		name := ready[0]
		done[name] = true
		out = append(out, features[name])
	}
	return out, problems
}

func allDone(names []string, done map[string]bool) bool {
	for _, n := range names {
		if !done[n] {
			return false
		}
	}
	return true
}
