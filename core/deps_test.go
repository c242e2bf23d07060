package core_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependencies guards core's promise: its packages (tests aside) link
// the standard library and the TOML parser, nothing else.
func TestDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", "./...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if strings.HasPrefix(pkg, "github.com/mikros-go/mikros/core") || pkg == "github.com/BurntSushi/toml" ||
			strings.HasPrefix(pkg, "github.com/BurntSushi/toml/") {
			continue
		}
		t.Errorf("core depends on %s; only the standard library and github.com/BurntSushi/toml are allowed", pkg)
	}
}
