// Command mono is the maintenance tool of the mikros monorepo.
//
// The repository is a Go workspace: go.work at its root lists every module,
// and versions.yaml records the version each released module is published
// at. Sibling modules require one another at those versions, which resolve
// through the workspace until they are tagged. mono runs the chores that
// span modules and enforces the rules that keep the layout releasable.
//
// Run it from anywhere inside the repository; it finds the root by walking
// up to the directory that holds go.work:
//
//	go run ./tools/cmd/mono <command> [arguments]
//
// The commands are:
//
//	list
//		Print one line per workspace module: its directory, its module
//		path and its version in versions.yaml, or "(unreleased)".
//
//	each [DIR...] -- CMD [ARG...]
//		Run CMD in every module directory in turn, each under a header
//		line. A failure does not stop the loop; the failed modules are
//		named at the end and the exit status is 1.
//
//	test [DIR...] [-- FLAG...]
//		Run "go vet ./..." and "go test -race -count=1 ./..." in every
//		module, streaming their output, and summarise the results.
//		Flags after "--" are appended to the go test command line.
//		Packages without test files are still vetted and compiled; a
//		module without any Go package is skipped.
//
//	check
//		Verify the repository layout and print every problem found, one
//		per line as "path: problem". See below for the rules.
//
//	standalone [DIR...]
//		Prove that every module builds, vets and passes its tests with
//		only what its own go.mod and go.sum declare, with the workspace
//		turned off. See below.
//
//	tidy [-check] [DIR...]
//		Run "go mod tidy" on every module on its own and write back the
//		go.mod and go.sum it produces, printing what changes in each
//		module or "unchanged". With -check, change nothing, and exit 1
//		if any module's go.mod or go.sum is not tidy. See below.
//
// Modules are the directories named by go.work's use directives; the
// commands that take DIR arguments can be limited to some of them. Every
// command but check warns about a go.mod in the tree that go.work does not
// use, and about anything else that makes the list of modules unreliable.
//
// # Rules enforced by check
//
// Every go.mod in the tree (directories named testdata or starting with
// "." or "_" are skipped, as the go command skips them) must declare the
// module path github.com/mikros-go/mikros/<dir>, carry exactly the go line
// "go 1.26.0", and have neither a toolchain line nor replace directives.
//
// go.work must carry the same go line and no toolchain line, and use
// exactly the modules of the tree. Because siblings require one another at
// versions that are not published until they are tagged, go.work serves
// each released module's version from its directory, and replaces nothing
// else (an unreleased sibling may be served the same way):
//
//	replace github.com/mikros-go/mikros/core v0.1.0 => ./core
//
// Every module is released except tools, bench and those under examples.
// versions.yaml must list exactly the released modules, each at a semantic
// version of the form vMAJOR.MINOR.PATCH (a pre-release suffix is allowed).
// A requirement on a sibling module must name the sibling's version in
// versions.yaml, released modules must not require unreleased ones, and
// every released module must have a CHANGELOG.md.
//
// Every .go file must be formatted as gofmt formats it.
//
// Every go.mod and go.sum must be tidy: "mono tidy -check" must find
// nothing to change. (A go.mod that check already rejects for replace
// directives or cannot parse is not tidied.) This runs the go command,
// which needs the module cache or the module proxy, as the guards below do.
//
// Two guards run "go list -deps" over a module's non-test packages: core
// may depend only on the standard library and github.com/BurntSushi/toml,
// and examples/script must not pull in gRPC, protobuf, OpenTelemetry or
// Prometheus. A violation names the chain of imports that reaches the
// offending module.
//
// # Standalone builds
//
// In the workspace every sibling resolves to its local directory, which
// hides a go.mod that forgets a requirement or a go.sum that lacks a
// checksum. standalone copies each module to a temporary directory, adds
// replace directives for the siblings it requires (directly or through
// other siblings) pointing at their directories in the tree, and runs
// "go build ./...", "go vet ./..." and "go test -count=1 ./..." there with
// GOWORK=off and the default -mod=readonly (a module without any Go
// package has nothing to build and passes). The replaced siblings'
// go.sum files are deliberately not merged in: a module's own go.sum must
// cover its siblings' dependencies, exactly as it must once the siblings
// are fetched from a proxy. When a module fails, standalone runs
// "go mod tidy" in the copy, with every sibling replaced, and reports the
// requirements and checksums that the module's own go.mod and go.sum are
// missing, naming the file each belongs in; "mono tidy" adds them.
//
// # Tidying
//
// A module requires its siblings at versions that no proxy serves until
// they are tagged, so "go mod tidy" cannot run in the module's directory,
// and in the workspace nothing shows that a go.mod lacks the indirect
// requirements, or a go.sum the checksums, that its siblings' dependencies
// call for. tidy copies each module to a temporary directory, adds replace
// directives pointing every sibling at its directory in the tree, and runs
// "go mod tidy" there with GOWORK=off. It then removes exactly the replace
// directives it added from the resulting go.mod, has every requirement on a
// sibling name the sibling's version in versions.yaml (go mod tidy can only
// invent a placeholder version for a sibling it adds; an unreleased sibling
// keeps the version already required, or gets v0.0.0), formats the file and
// writes it and go.sum back to the module's directory. Each change is
// printed on a line of its own after the file's path: "- LINE" for a
// directive or checksum that goes, "+ LINE" for one that comes.
//
// Because tidying a module reads its siblings' go.mod files, tidy handles
// a sibling before the modules that require it, so that one run leaves
// every module tidy. "mono tidy -check" makes the same copies and changes
// nothing; check runs it for every module.
//
// # Exit status
//
// mono exits 0 on success (help, -h and --help print the usage to stdout
// and exit 0), 1 when a command finds a problem or a command it runs fails,
// and 2 on a usage error, with the usage on stderr. (go run reports every
// non-zero status of the program it runs as 1.)
package main
