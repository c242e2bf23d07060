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
envs    = ["X"]

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
	return hostileWith(shape, depth, size, false)
}

// hostileWith is hostile; with refs, the deepest values are a reference to
// the variable X and a malformed one, instead of 1, so that the walks
// through the values meet a value from the environment and a problem at
// the bottom:
//
//	arrays:         [service] x0 = [[["${X}", "${x y}"]]]
//	inline-tables:  [service] x0 = {a={a={v="${X}", w="${x y}"}}}
//	tables:         [service.t0.a.a] v = "${X}" w = "${x y}"
func hostileWith(shape string, depth, size int, refs bool) []byte {
	var b strings.Builder
	b.WriteString(hostileHead)
	if shape != "tables" {
		b.WriteString("[service]\n")
	}
	for i := 0; i == 0 || b.Len() < size; i++ {
		switch shape {
		case "arrays":
			// service, x<i>, then an array bracket per level.
			leaf := "1"
			if refs {
				leaf = `"${X}", "${x y}"`
			}
			fmt.Fprintf(&b, "x%d = %s%s%s\n", i, strings.Repeat("[", depth-2), leaf, strings.Repeat("]", depth-2))
		case "inline-tables":
			// service, x<i>, then a key of an inline table per level.
			leaf := "1"
			if refs {
				leaf = `{v="${X}", w="${x y}"}`
			}
			fmt.Fprintf(&b, "x%d = %s%s%s\n", i, strings.Repeat("{a=", depth-2), leaf, strings.Repeat("}", depth-2))
		case "tables":
			// service, t<i>, a name per level, then the key k.
			leaf := "k = 1"
			if refs {
				leaf = "v = \"${X}\"\nw = \"${x y}\""
			}
			fmt.Fprintf(&b, "[service.t%d%s]\n%s\n", i, strings.Repeat(".a", depth-3), leaf)
		default:
			panic("unknown shape " + shape)
		}
	}
	return []byte(b.String())
}

// hostileTree is the tree the TOML parser makes of hostileWith(shape,
// depth, 0, true), built without it: the TOML parser's own work grows with
// the square of the depth of inline tables and table headers, which would
// hide Parse's.
func hostileTree(shape string, depth int) map[string]any {
	refs := map[string]any{"v": "${X}", "w": "${x y}"}
	var service map[string]any
	switch shape {
	case "arrays":
		var v any = []any{"${X}", "${x y}"}
		for range depth - 3 {
			v = []any{v}
		}
		service = map[string]any{"x0": v}
	case "inline-tables":
		var v any = refs
		for range depth - 2 {
			v = map[string]any{"a": v}
		}
		service = map[string]any{"x0": v}
	case "tables":
		v := refs
		for range depth - 3 {
			v = map[string]any{"a": v}
		}
		service = map[string]any{"t0": v}
	default:
		panic("unknown shape " + shape)
	}
	return map[string]any{
		"name": "deep", "types": []any{"script"}, "version": "v1.0.0", "product": "demo",
		"envs": []any{"X"}, "service": service,
	}
}
