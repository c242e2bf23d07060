package logger

import "testing"

func TestPrefix(t *testing.T) {
	if got := Prefix("svc"); got != "SVC: " {
		t.Errorf("Prefix(svc) = %q", got)
	}
}
