package errors_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependencies guards the package's promise: it links the standard
// library only, and no transport of it either, so that every kind and
// service can import it for free.
func TestDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.Standard}} {{.ImportPath}}", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	const self = "github.com/mikros-go/mikros/features/errors"
	for line := range strings.Lines(string(out)) {
		standard, pkg, _ := strings.Cut(strings.TrimSpace(line), " ")
		switch {
		case pkg == self:
		case standard != "true":
			t.Errorf("the package depends on %s; only the standard library is allowed", pkg)
		case pkg == "net/http" || pkg == "net" || strings.HasPrefix(pkg, "net/http/"):
			t.Errorf("the package depends on %s; it must import no transport", pkg)
		}
	}
}
