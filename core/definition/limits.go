package definition

import (
	"fmt"
	"io"
	"os"
)

// The limits of a service.toml. Parse checks both before it parses the
// text, and reports a file beyond either as one problem at the place where
// the limit is crossed.
const (
	// MaxSize is the most bytes a definition may hold: 256 KiB. A
	// service.toml says who a service is and how it runs in a few
	// kilobytes (the fullest in this repository is under 2 KB); a file
	// larger than this holds data, which belongs in a file the service
	// reads itself. The bound also bounds the TOML parser's work, which
	// on nested inline tables allocates over a kilobyte per byte of text.
	MaxSize = 256 << 10
	// MaxDepth is how deeply a definition may nest, as written: each name
	// of a [table] header or of a (dotted) key counts one level, and so do
	// each key of an inline table, each opening bracket of an array value
	// and the brackets of an [[array of tables]]. The framework's deepest
	// key is 4 levels (features.tracing.headers.<name>); 32 leaves a
	// service's own [service] settings ample room, while bounding the
	// TOML parser's work, which grows with the depth of every key.
	MaxDepth = 32
)

// limits are the bounds Parse works within.
type limits struct {
	size, depth int
}

// check reports a problem when the text of src, of n bytes before any byte
// order mark was removed, is beyond the limits. Its work is linear in the
// text's length.
func (lim limits) check(src *source, n int) (Problem, bool) {
	if n > lim.size {
		// The place is the first byte beyond the limit, in the text
		// without its byte order mark.
		line, col := src.position(lim.size - (n - len(src.text)))
		return Problem{File: src.file, Line: line, Col: col, Message: fmt.Sprintf(
			"too large: the file goes on past %s here, the most service.toml allows (keep data in a file the service reads itself)",
			sizeText(lim.size))}, false
	}
	if off, path := src.tooDeep(lim.depth); off >= 0 {
		line, col := src.position(off)
		return Problem{File: src.file, Line: line, Col: col, Path: path, Message: fmt.Sprintf(
			"nested too deeply: more than %d levels here, the most service.toml allows (each name of a table or key, and each array, is a level); write it flatter",
			lim.depth)}, false
	}
	return Problem{}, true
}

// sizeText writes a size in KiB or MiB when it is a whole number of them.
func sizeText(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// readFile reads the file at path, but never more than MaxSize+1 bytes:
// enough for Parse to tell that it is too large, whatever its size (a
// device or a pipe has none).
func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }() // read only: nothing is lost when closing fails
	return readAtMost(f, MaxSize+1)
}

// readAtMost reads r to its end, or to n bytes.
func readAtMost(r io.Reader, n int64) ([]byte, error) {
	return io.ReadAll(io.LimitReader(r, n))
}
