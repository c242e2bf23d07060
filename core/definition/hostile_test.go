package definition

import (
	"fmt"
	"strings"
)

// hostileHead is the valid head of every hostile definition, so that
// Parse has nothing to report about the file but its size or nesting.
const hostileHead = `name    = "deep"
types   = ["script"]
version = "v1.0.0"
product = "demo"

`

// shapes are the ways a hostile definition nests its values.
var shapes = []string{"arrays", "inline-tables", "tables"}

// hostile returns a valid definition whose values stand depth levels deep
// (counted as service.toml counts them: each name of a table header or a
// key, each inline table's key and each array bracket), in one of shapes,
// written again and again until the text is at least size bytes long:
//
//	arrays:         [service] x0 = [[[1]]]
//	inline-tables:  [service] x0 = {a={a={a=1}}}
//	tables:         [service.t0.a.a] k = 1
//
// depth must be at least 3.
func hostile(shape string, depth, size int) []byte {
	var b strings.Builder
	b.WriteString(hostileHead)
	if shape != "tables" {
		b.WriteString("[service]\n")
	}
	for i := 0; i == 0 || b.Len() < size; i++ {
		switch shape {
		case "arrays":
			// service, x<i>, then an array bracket per level.
			fmt.Fprintf(&b, "x%d = %s1%s\n", i, strings.Repeat("[", depth-2), strings.Repeat("]", depth-2))
		case "inline-tables":
			// service, x<i>, then a key of an inline table per level.
			fmt.Fprintf(&b, "x%d = %s1%s\n", i, strings.Repeat("{a=", depth-2), strings.Repeat("}", depth-2))
		case "tables":
			// service, t<i>, a name per level, then the key k.
			fmt.Fprintf(&b, "[service.t%d%s]\nk = 1\n", i, strings.Repeat(".a", depth-3))
		default:
			panic("unknown shape " + shape)
		}
	}
	return []byte(b.String())
}
