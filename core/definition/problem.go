package definition

import (
	"fmt"
	"sort"
	"strings"
)

// Problem is one thing wrong with a service definition, at its place.
type Problem struct {
	// File is the definition's file name as given to [Parse].
	File string
	// Line and Col are 1-based, Col counting bytes; both are 0 when the
	// problem has no place in the file (a missing top-level key, a bad
	// MIKROS_* variable). A missing key inside a table is placed at the
	// table.
	Line, Col int
	// Path is the dotted key path the problem is about, such as
	// "lifecycle.stop_timeout"; empty for syntax errors.
	Path string
	// Message says what is wrong, lowercase, without trailing punctuation.
	Message string
}

// Error formats the problem as FILE:LINE:COL: PATH: MESSAGE, leaving out the
// parts it does not have (the line and column are shown only with a file).
func (p Problem) Error() string {
	var b strings.Builder
	if p.File != "" {
		b.WriteString(p.File)
		if p.Line > 0 {
			fmt.Fprintf(&b, ":%d", p.Line)
			if p.Col > 0 {
				fmt.Fprintf(&b, ":%d", p.Col)
			}
		}
		b.WriteString(": ")
	}
	if p.Path != "" {
		b.WriteString(p.Path)
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// Problems is every problem found in a definition. As an error it prints one
// problem per line. Callers use errors.As to tell an invalid definition
// (exit status 2) from other failures.
type Problems []Problem

// Error joins the problems, one per line.
func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.Error()
	}
	return strings.Join(lines, "\n")
}

// Sort orders the problems by place: located problems by line and column
// first, then those without a place, each group stable.
func (ps Problems) Sort() {
	sort.SliceStable(ps, func(i, j int) bool {
		a, b := ps[i], ps[j]
		if (a.Line == 0) != (b.Line == 0) {
			return a.Line != 0
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
}

// Err returns ps as an error, or nil when there is no problem.
func (ps Problems) Err() error {
	if len(ps) == 0 {
		return nil
	}
	return ps
}
