package main

import (
	"path/filepath"
	"reflect"
	"testing"

	"golang.org/x/mod/module"
)

func TestParseWork(t *testing.T) {
	root := t.TempDir()
	tests := []struct {
		name    string
		data    string
		want    *Workspace
		wantErr bool
	}{
		{
			name: "single and block uses",
			data: "go 1.26.0\n\nuse ./core\n\nuse (\n\t./features/logger\n\t./kinds/script/\n)\n",
			want: &Workspace{Go: "1.26.0", Uses: []string{"core", "features/logger", "kinds/script"}},
		},
		{
			name: "root and unprefixed paths",
			data: "go 1.26.0\nuse (\n\t.\n\tcore\n)\n",
			want: &Workspace{Go: "1.26.0", Uses: []string{".", "core"}},
		},
		{
			name: "duplicates are reported once each",
			data: "go 1.26.0\nuse (\n\t./core\n\tcore\n\t./core/\n)\n",
			want: &Workspace{Go: "1.26.0", Uses: []string{"core"},
				Problems: []string{"uses core more than once", "uses ./core/ more than once"}},
		},
		{
			name: "paths outside the repository",
			data: "go 1.26.0\nuse (\n\t../other\n\t./core/../..\n)\n",
			want: &Workspace{Go: "1.26.0", Problems: []string{
				"uses ../other, which is outside the repository",
				"uses ./core/../.., which is outside the repository",
			}},
		},
		{
			name: "absolute paths",
			data: "go 1.26.0\nuse (\n\t" + filepath.Join(root, "core") + "\n\t" + filepath.Join(filepath.Dir(root), "elsewhere") + "\n)\n",
			want: &Workspace{Go: "1.26.0", Uses: []string{"core"}, Problems: []string{
				"uses " + filepath.Join(filepath.Dir(root), "elsewhere") + ", which is outside the repository",
			}},
		},
		{
			name: "toolchain and replace",
			data: "go 1.26.0\ntoolchain go1.26.1\nuse ./core\nreplace example.com/a v1.0.0 => ./a\nreplace example.com/b => example.com/c v1.2.3\n",
			want: &Workspace{Go: "1.26.0", Toolchain: "go1.26.1", Uses: []string{"core"},
				Replaces: []Replace{
					{Old: module.Version{Path: "example.com/a", Version: "v1.0.0"}, New: module.Version{Path: "./a"}},
					{Old: module.Version{Path: "example.com/b"}, New: module.Version{Path: "example.com/c", Version: "v1.2.3"}},
				}},
		},
		{
			name: "no go line",
			data: "use ./core\n",
			want: &Workspace{Uses: []string{"core"}},
		},
		{
			name: "empty",
			data: "",
			want: &Workspace{},
		},
		{
			name:    "syntax error",
			data:    "go 1.26.0\nuse (\n",
			wantErr: true,
		},
		{
			name:    "unknown directive",
			data:    "go 1.26.0\nmodule example.com/m\n",
			wantErr: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseWork([]byte(tt.data), root)
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseWork() error = %v, want error: %v", err, tt.wantErr)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("parseWork() =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

func TestReplaceString(t *testing.T) {
	tests := []struct {
		r    Replace
		want string
	}{
		{Replace{Old: module.Version{Path: "a", Version: "v1.0.0"}, New: module.Version{Path: "./a"}}, "a v1.0.0 => ./a"},
		{Replace{Old: module.Version{Path: "a"}, New: module.Version{Path: "b", Version: "v2.0.0"}}, "a => b v2.0.0"},
	}
	for _, tt := range tests {
		if got := tt.r.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
}
