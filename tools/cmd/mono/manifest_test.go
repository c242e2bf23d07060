package main

import (
	"maps"
	"testing"
)

func TestParseManifest(t *testing.T) {
	tests := []struct {
		name    string
		data    string
		want    map[string]string
		wantErr bool
	}{
		{
			name: "modules",
			data: "# comment\nmodules:\n  core: v0.1.0\n  features/logger: v1.2.3-rc.1 # trailing comment\n",
			want: map[string]string{"core": "v0.1.0", "features/logger": "v1.2.3-rc.1"},
		},
		{
			name: "versions are taken as written",
			data: "modules:\n  core: 0.1\n  kinds/script:\n",
			want: map[string]string{"core": "0.1", "kinds/script": ""},
		},
		{name: "empty file", data: "", want: map[string]string{}},
		{name: "comments only", data: "# nothing released yet\n", want: map[string]string{}},
		{name: "empty modules", data: "modules: {}\n", want: map[string]string{}},
		{name: "unknown key", data: "modules:\n  core: v0.1.0\nrelease: true\n", wantErr: true},
		{name: "duplicate module", data: "modules:\n  core: v0.1.0\n  core: v0.2.0\n", wantErr: true},
		{name: "modules as a list", data: "modules:\n  - core\n", wantErr: true},
		{name: "nested version", data: "modules:\n  core:\n    version: v0.1.0\n", wantErr: true},
		{name: "malformed", data: "modules:\n  core: [v0.1.0\n", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseManifest([]byte(tt.data))
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseManifest() error = %v, want error: %v", err, tt.wantErr)
			}
			if !tt.wantErr && !maps.Equal(got, tt.want) {
				t.Errorf("parseManifest() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestValidVersion(t *testing.T) {
	tests := []struct {
		v    string
		want bool
	}{
		{"v0.1.0", true},
		{"v1.22.333", true},
		{"v1.0.0-rc.1", true},
		{"v2.0.0-alpha", true},
		{"0.1.0", false},
		{"v1.2", false},
		{"v1", false},
		{"v01.2.3", false},
		{"v1.2.3+build", false},
		{"v1.2.3-", false},
		{"V1.2.3", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := validVersion(tt.v); got != tt.want {
			t.Errorf("validVersion(%q) = %v, want %v", tt.v, got, tt.want)
		}
	}
}
