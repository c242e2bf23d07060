package definition

import "strings"

// The name checks below are written out rather than as regular expressions:
// compiling those at package init cost every service about a millisecond of
// start-up and linked the regexp engine into every binary.

// isName reports whether s is a service name: lowercase kebab-case, a
// letter first, at most 63 characters.
func isName(s string) bool {
	if len(s) == 0 || len(s) > 63 || !lower(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !lower(c) && !digit(c) && c != '-' {
			return false
		}
	}
	return true
}

// isEnvName reports whether s is an environment variable name like
// DATABASE_URL.
func isEnvName(s string) bool {
	if len(s) == 0 || (!upper(s[0]) && s[0] != '_') {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !upper(c) && !digit(c) && c != '_' {
			return false
		}
	}
	return true
}

// isKindName reports whether s can name a kind: a lowercase letter, then
// lowercase letters, digits, '_' or '-'.
func isKindName(s string) bool {
	if len(s) == 0 || !lower(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !lower(c) && !digit(c) && c != '_' && c != '-' {
			return false
		}
	}
	return true
}

// isSemver reports whether s is a Semantic Versioning 2.0.0 version, with
// an optional leading "v": MAJOR.MINOR.PATCH, numbers without leading
// zeros, then an optional -pre.release (numeric identifiers without leading
// zeros) and +build.metadata.
func isSemver(s string) bool {
	s = strings.TrimPrefix(s, "v")
	core, build, hasBuild := strings.Cut(s, "+")
	core, pre, hasPre := strings.Cut(core, "-")
	nums := strings.Split(core, ".")
	if len(nums) != 3 {
		return false
	}
	for _, n := range nums {
		if !numeric(n) {
			return false
		}
	}
	if hasPre && !identifiers(pre, true) {
		return false
	}
	if hasBuild && !identifiers(build, false) {
		return false
	}
	return true
}

// numeric reports whether s is a number without leading zeros.
func numeric(s string) bool {
	if len(s) == 0 || (len(s) > 1 && s[0] == '0') {
		return false
	}
	for i := range len(s) {
		if !digit(s[i]) {
			return false
		}
	}
	return true
}

// identifiers reports whether s is dot-separated non-empty identifiers of
// [0-9A-Za-z-]; in a pre-release, all-digit identifiers have no leading
// zero.
func identifiers(s string, pre bool) bool {
	for _, id := range strings.Split(s, ".") {
		if id == "" {
			return false
		}
		allDigits := true
		for i := range len(id) {
			c := id[i]
			if !lower(c) && !upper(c) && !digit(c) && c != '-' {
				return false
			}
			allDigits = allDigits && digit(c)
		}
		if pre && allDigits && !numeric(id) {
			return false
		}
	}
	return true
}

// oldRef returns NAME for mikros Go's whole-value "NAME@env" notation.
func oldRef(s string) (string, bool) {
	name, ok := strings.CutSuffix(s, "@env")
	return name, ok && isEnvName(name)
}

// expandRefs replaces every "${...}" in s by what fn returns for the text
// between the braces. It reports whether a "${" is left without its "}".
func expandRefs(s string, fn func(ref, name string) string) (out string, unclosed bool) {
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			return b.String(), false
		}
		j := strings.IndexByte(s[i+2:], '}')
		if j < 0 {
			b.WriteString(s)
			return b.String(), true
		}
		b.WriteString(s[:i])
		b.WriteString(fn(s[i:i+2+j+1], s[i+2:i+2+j]))
		s = s[i+2+j+1:]
	}
}

func lower(c byte) bool { return 'a' <= c && c <= 'z' }
func upper(c byte) bool { return 'A' <= c && c <= 'Z' }
func digit(c byte) bool { return '0' <= c && c <= '9' }
