package main

import (
	"bytes"
	"errors"
	"io"

	"go.yaml.in/yaml/v3"
	"golang.org/x/mod/semver"
)

// manifest is the schema of versions.yaml:
//
//	modules:
//	  core: v0.1.0
//	  features/logger: v0.1.0
type manifest struct {
	// Modules maps each released module directory to its version.
	Modules map[string]string `yaml:"modules"`
}

// parseManifest parses the contents of versions.yaml and returns the map
// from module directory to version. Unknown keys and duplicate module
// entries are errors; the versions themselves are checked by check.
func parseManifest(data []byte) (map[string]string, error) {
	var m manifest
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&m); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	if m.Modules == nil {
		m.Modules = map[string]string{}
	}
	return m.Modules, nil
}

// validVersion reports whether v may appear in versions.yaml: a semantic
// version spelled out in full as vMAJOR.MINOR.PATCH, optionally with a
// pre-release suffix such as -rc.1. Short forms such as v1.2 and build
// metadata are rejected, as Go module versions cannot use them.
func validVersion(v string) bool {
	return semver.IsValid(v) && semver.Canonical(v) == v
}
