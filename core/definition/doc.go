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
// A definition is small: [Parse] rejects a text longer than [MaxSize]
// (256 KiB) or nested deeper than [MaxDepth] (32 levels, counted as
// written) with one problem at the place where the limit is crossed, before
// the text is parsed, and [Load] never reads more than MaxSize+1 bytes of a
// file. Within the limits, Parse takes time and memory in proportion to the
// text's length, whatever its shape.
//
// A variable of envs that is not set (or is empty) is one problem, at envs;
// the values that use it are left out of their [Section], as if not
// written, so that their owners do not report them again.
//
// The package depends on the standard library and github.com/BurntSushi/toml
// only.
package definition
