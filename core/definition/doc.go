// Package definition reads and validates service.toml, the file in which a
// Mikros service describes itself.
//
// [Parse] checks everything the file says that the framework owns (identity,
// types, envs, log, lifecycle, admin) and collects every problem it finds, so
// that one run reports them all. Each problem names the file, the line and
// column, and the key path, in the form
//
//	service.toml:9:1: lifecycle.stop_timeout: 30 is not a duration (write it like "30s")
//
// The tables that belong to others — [features.<name>], [services.<kind>],
// [clients.<name>] and [service] — are handed to their owners as [Section]
// values, which decode strictly into the owner's struct with [Section.Decode]:
// an unknown key, a wrong type or a bad value is a [Problem] at its line.
//
// The package depends on the standard library and github.com/BurntSushi/toml
// only.
package definition
