package env_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain checks that no test leaves a goroutine behind: the tests that
// run a whole service start the lifecycle's.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
