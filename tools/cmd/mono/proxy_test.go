package main

import (
	"bytes"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/module"
	"golang.org/x/mod/sumdb/dirhash"
	modzip "golang.org/x/mod/zip"
)

// proxyModule is a module served by a file proxy made with fileProxy.
type proxyModule struct {
	Path, Version string
	Files         map[string]string // name in the module → contents; go.mod included
	Sum           string            // its go.sum lines, zip and go.mod
}

// fileProxy writes a module proxy for mods into a new directory, in the
// layout the go command reads from a file:// GOPROXY, and returns mods with
// their Sum set. Nothing else is served.
func fileProxy(t *testing.T, dir string, mods ...proxyModule) []proxyModule {
	t.Helper()
	for i, m := range mods {
		escaped, err := module.EscapePath(m.Path)
		if err != nil {
			t.Fatal(err)
		}
		at := filepath.Join(dir, filepath.FromSlash(escaped), "@v")
		src := t.TempDir()
		for name, data := range m.Files {
			writeFile(t, src, name, data)
		}
		var zip bytes.Buffer
		if err := modzip.CreateFromDir(&zip, module.Version{Path: m.Path, Version: m.Version}, src); err != nil {
			t.Fatal(err)
		}
		info := `{"Version":"` + m.Version + `","Time":"2026-01-01T00:00:00Z"}` + "\n"
		for name, data := range map[string][]byte{
			"list":              []byte(m.Version + "\n"),
			m.Version + ".info": []byte(info),
			m.Version + ".mod":  []byte(m.Files["go.mod"]),
			m.Version + ".zip":  zip.Bytes(),
		} {
			writeFile(t, at, name, string(data))
		}
		zipHash, err := dirhash.HashZip(filepath.Join(at, m.Version+".zip"), dirhash.Hash1)
		if err != nil {
			t.Fatal(err)
		}
		modHash, err := dirhash.Hash1([]string{"go.mod"}, func(string) (io.ReadCloser, error) {
			return io.NopCloser(strings.NewReader(m.Files["go.mod"])), nil
		})
		if err != nil {
			t.Fatal(err)
		}
		mods[i].Sum = m.Path + " " + m.Version + " " + zipHash + "\n" +
			m.Path + " " + m.Version + "/go.mod " + modHash + "\n"
	}
	return mods
}

// offline makes the go commands of the test, mono's included, fetch modules
// from the file proxy at dir only, into a module cache of their own, and
// never ask the checksum database about the modules under private (a
// comma-separated list of path patterns). The module cache is emptied when
// the test ends: the go command makes what it extracts read-only.
func offline(t *testing.T, dir, private string) {
	t.Helper()
	cache := t.TempDir()
	t.Cleanup(func() { removeModCache(t, cache) }) // before t.TempDir's own cleanup
	t.Setenv("GOPROXY", "file://"+filepath.ToSlash(dir))
	t.Setenv("GOMODCACHE", cache)
	t.Setenv("GONOSUMDB", private)
	t.Setenv("GONOPROXY", "")
	t.Setenv("GOPRIVATE", "")
	t.Setenv("GOTOOLCHAIN", "local")
}

// removeModCache empties the module cache dir, whose files and directories
// the go command made read-only.
func removeModCache(t *testing.T, dir string) {
	cmd := exec.Command("go", "clean", "-modcache")
	cmd.Env = append(os.Environ(), "GOMODCACHE="+dir, "GOFLAGS=")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Logf("go clean -modcache: %v\n%s", err, out)
	}
	// Whatever is left, such as the download cache, is made writable for
	// t.TempDir to remove it.
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			_ = os.Chmod(p, 0o755)
		}
		return nil
	})
}
