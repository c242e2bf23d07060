package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
)

// guard restricts the modules that the non-test packages of one module may
// depend on. The standard library and the module's own packages are always
// allowed.
type guard struct {
	// dir is the directory of the guarded module.
	dir string

	// name names the guard in messages.
	name string

	// rule states what the guard allows, for messages.
	rule string

	// allowed reports whether packages of the module with the given path
	// may be dependencies.
	allowed func(modulePath string) bool
}

// heavyModules are the modules that examples/script must not pull in: the
// script kind exists to give services a small footprint. A pattern ending in
// "/" matches every module under it; any other pattern matches that module
// and the modules nested in it.
var heavyModules = []string{
	"google.golang.org/grpc",
	"google.golang.org/protobuf",
	"github.com/golang/protobuf",
	"go.opentelemetry.io/",
	"github.com/prometheus/",
}

// guards are the dependency rules that check enforces.
var guards = []guard{
	{
		dir:  "core",
		name: "dependency guard",
		rule: "core may depend only on the standard library and github.com/BurntSushi/toml",
		allowed: func(p string) bool {
			return p == "github.com/BurntSushi/toml"
		},
	},
	{
		dir:  "examples/script",
		name: "footprint guard",
		rule: "examples/script must not depend on gRPC, protobuf, OpenTelemetry or Prometheus",
		allowed: func(p string) bool {
			return !slices.ContainsFunc(heavyModules, func(pattern string) bool {
				return matchModule(pattern, p)
			})
		},
	},
}

// matchModule reports whether the module path p matches pattern, as
// described for heavyModules.
func matchModule(pattern, p string) bool {
	if strings.HasSuffix(pattern, "/") {
		return strings.HasPrefix(p, pattern)
	}
	return p == pattern || strings.HasPrefix(p, pattern+"/")
}

// listedPackage is a package as reported by "go list -deps -json".
type listedPackage struct {
	ImportPath string
	Standard   bool
	DepOnly    bool // a dependency rather than a package matched by ./...
	Imports    []string
	Module     *struct{ Path string }
}

// modulePath returns the path of the module that provides p, falling back
// to the import path for a package outside any module.
func (p *listedPackage) modulePath() string {
	if p.Module != nil {
		return p.Module.Path
	}
	return p.ImportPath
}

// lister returns the non-test packages of the module in directory dir of the
// repository rooted at root, together with all their dependencies.
type lister func(ctx context.Context, root, dir string) ([]listedPackage, error)

// goList is the lister that runs "go list -deps ./..." in the repository's
// workspace, whatever GOWORK says in mono's environment.
func goList(ctx context.Context, root, dir string) ([]listedPackage, error) {
	out, err := goCommand(ctx, filepath.Join(root, filepath.FromSlash(dir)),
		goEnv("GOWORK="+filepath.Join(root, workFile)),
		"list", "-deps", "-json=ImportPath,Standard,DepOnly,Imports,Module", "./...")
	if err != nil {
		return nil, err
	}
	var pkgs []listedPackage
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p listedPackage
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			return pkgs, nil
		} else if err != nil {
			return nil, fmt.Errorf("decoding go list output: %w", err)
		}
		pkgs = append(pkgs, p)
	}
}

// checkGuards runs every guard with list.
func checkGuards(ctx context.Context, r *Repo, list lister) []Problem {
	var ps []Problem
	for _, g := range guards {
		if m := r.Module(g.dir); m == nil || !m.InTree {
			ps = append(ps, Problem{g.dir, fmt.Sprintf("module not found; the %s cannot run", g.name)})
			continue
		}
		pkgs, err := list(ctx, r.Root, g.dir)
		if err != nil {
			ps = append(ps, Problem{g.dir, fmt.Sprintf("%s cannot run: %s", g.name, oneLine(err.Error()))})
			continue
		}
		ps = append(ps, evaluateGuard(g, pkgs)...)
	}
	return ps
}

// evaluateGuard reports every module that g does not allow among pkgs, the
// listing of the guarded module's packages and their dependencies. Each
// problem shows a shortest chain of imports from a package of the guarded
// module to the offending module.
func evaluateGuard(g guard, pkgs []listedPackage) []Problem {
	own := make(map[string]bool)
	for _, p := range pkgs {
		if !p.DepOnly {
			own[p.modulePath()] = true
		}
	}
	offending := make(map[string]bool)
	for _, p := range pkgs {
		if mod := p.modulePath(); !p.Standard && !own[mod] && !g.allowed(mod) {
			offending[mod] = true
		}
	}
	mods := make([]string, 0, len(offending))
	for mod := range offending {
		mods = append(mods, mod)
	}
	slices.Sort(mods)

	var ps []Problem
	for _, mod := range mods {
		chain := importChain(pkgs, func(p *listedPackage) bool { return p.modulePath() == mod })
		ps = append(ps, Problem{g.dir, fmt.Sprintf("%s: depends on %s through %s; %s",
			g.name, mod, strings.Join(chain, " -> "), g.rule)})
	}
	return ps
}

// importChain returns a shortest chain of import paths that leads from a
// package matched by ./... (one that is not DepOnly) to a package for which
// target returns true, or nil if there is none.
func importChain(pkgs []listedPackage, target func(*listedPackage) bool) []string {
	byPath := make(map[string]*listedPackage, len(pkgs))
	prev := make(map[string]string)
	var queue []string
	for i := range pkgs {
		p := &pkgs[i]
		byPath[p.ImportPath] = p
		if !p.DepOnly {
			prev[p.ImportPath] = ""
			queue = append(queue, p.ImportPath)
		}
	}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		p := byPath[cur]
		if p == nil {
			continue
		}
		if target(p) {
			var chain []string
			for at := cur; at != ""; at = prev[at] {
				chain = append(chain, at)
			}
			slices.Reverse(chain)
			return chain
		}
		for _, imp := range p.Imports {
			if _, seen := prev[imp]; !seen {
				prev[imp] = cur
				queue = append(queue, imp)
			}
		}
	}
	return nil
}
