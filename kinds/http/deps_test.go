package http_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependencies guards the kind's promise: its packages (tests aside)
// link the standard library, core and features/errors, and no telemetry
// library: requests are observed through core's Setup.Calls by the
// features that the service enables.
func TestDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", "./...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	allowed := []string{
		"github.com/mikros-go/mikros/kinds/http",
		"github.com/mikros-go/mikros/core",
		"github.com/mikros-go/mikros/features/errors",
		"github.com/BurntSushi/toml", // core's
	}
	for _, pkg := range strings.Fields(string(out)) {
		ok := false
		for _, a := range allowed {
			if pkg == a || strings.HasPrefix(pkg, a+"/") {
				ok = true
				break
			}
		}
		if !ok {
			t.Errorf("the kind depends on %s; only the standard library, core and features/errors are allowed", pkg)
		}
	}
}
