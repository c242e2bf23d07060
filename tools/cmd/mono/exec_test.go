package main

import "testing"

func TestSanitizeGOFLAGS(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"-mod=mod", ""},
		{"-buildvcs=false -mod=vendor -race", "-buildvcs=false -race"},
		{"--mod=readonly -modfile=alt.mod -modcacherw", "-modcacherw"},
		{"  -tags=integration   -trimpath ", "-tags=integration -trimpath"},
	}
	for _, tt := range tests {
		if got := sanitizeGOFLAGS(tt.in); got != tt.want {
			t.Errorf("sanitizeGOFLAGS(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestOneLine(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"single", "single"},
		{"first\n\tsecond\n\nthird\n", "first; second; third"},
	}
	for _, tt := range tests {
		if got := oneLine(tt.in); got != tt.want {
			t.Errorf("oneLine(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCommandLine(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"go", "test", "./..."}, "go test ./..."},
		{[]string{"sh", "-c", "test -f CHANGELOG.md"}, `sh -c "test -f CHANGELOG.md"`},
		{[]string{"echo", ""}, `echo ""`},
		{[]string{"grep", "-r", "a|b"}, `grep -r "a|b"`},
	}
	for _, tt := range tests {
		if got := commandLine(tt.args); got != tt.want {
			t.Errorf("commandLine(%q) = %s, want %s", tt.args, got, tt.want)
		}
	}
}
