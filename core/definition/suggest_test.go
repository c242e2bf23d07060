package definition

import (
	"strings"
	"testing"
)

func TestDistance(t *testing.T) {
	t.Parallel()
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"", "abc", 3},
		{"abc", "", 3},
		{"level", "level", 0},
		{"levle", "level", 1}, // a transposition is one edit
		{"prodcut", "product", 1},
		{"ab", "ba", 1},
		{"abc", "ca", 3}, // optimal string alignment: no edit twice
		{"lifecylce", "lifecycle", 1},
		{"grcp", "grpc", 1},
		{"scrpt", "script", 1}, // a deletion
		{"scriipt", "script", 1},
		{"kitten", "sitting", 3},
		{"héllo", "hello", 1}, // runes, not bytes
		{"stop_timout", "stop_timeout", 1},
	}
	for _, tt := range tests {
		if got := distance(tt.a, tt.b); got != tt.want {
			t.Errorf("distance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
		if got := distance(tt.b, tt.a); got != tt.want {
			t.Errorf("distance(%q, %q) = %d, want %d (not symmetric)", tt.b, tt.a, got, tt.want)
		}
	}
}

func TestSuggest(t *testing.T) {
	t.Parallel()
	keys := []string{"name", "types", "version", "product", "language", "envs", "log", "lifecycle", "admin", "features", "services", "clients", "service", "tests"}
	tests := []struct {
		word string
		want string
	}{
		{"prodcut", "product"},
		{"lifecylce", "lifecycle"},
		{"servcie", "service"},
		{"service", "service"},
		{"featurs", "features"},
		{"lgo", "log"}, // short words allow one edit
		{"env", "envs"},
		{"x", ""},
		{"database", ""}, // far from every key
		{"versions", "version"},
		{"namespace", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := suggest(tt.word, keys); got != tt.want {
			t.Errorf("suggest(%q) = %q, want %q", tt.word, got, tt.want)
		}
	}
	if got := suggest("grcp", []string{"http", "grpc", "native"}); got != "grpc" {
		t.Errorf("suggest(grcp) = %q", got)
	}
	// The nearest wins, and the first of equals.
	if got := suggest("abcd", []string{"abxx", "abcx", "abcy"}); got != "abcx" {
		t.Errorf("suggest(abcd) = %q", got)
	}
	if got := suggest("abc", nil); got != "" {
		t.Errorf("suggest with no candidates = %q", got)
	}
	if got := didYouMean("levle", []string{"level"}); got != ` (did you mean "level"?)` {
		t.Errorf("didYouMean = %q", got)
	}
	if got := alsoDidYouMean("levle", []string{"level"}); got != `; did you mean "level"?` {
		t.Errorf("alsoDidYouMean = %q", got)
	}
	if got := didYouMean("zzz", []string{"level"}) + alsoDidYouMean("zzz", []string{"level"}); got != "" {
		t.Errorf("no hint: %q", got)
	}
}

func TestSnakeAndKebab(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"Name":              "name",
		"ReadHeaderTimeout": "read_header_timeout",
		"URL":               "url",
		"HTTPServer":        "http_server",
		"APIKey":            "api_key",
		"ID2":               "id2",
		"X":                 "x",
		"already_snake":     "already_snake",
	} {
		if got := snake(in); got != want {
			t.Errorf("snake(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"Hello_World": "hello-world",
		"HelloWorld":  "hello-world",
		"hello world": "hello-world",
		"orders":      "orders",
	} {
		if got := kebab(in); got != want {
			t.Errorf("kebab(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTidy(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"Key 'b' has already been defined.": "key 'b' has already been defined",
		"expected value":                    "expected value",
		"NULL bytes are not allowed":        "NULL bytes are not allowed",
		"":                                  "",
		"X":                                 "x",
	} {
		if got := tidy(in); got != want {
			t.Errorf("tidy(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDistanceOfLongWords(t *testing.T) {
	long := strings.Repeat("ab", maxHintRunes)
	if got := distance(long, long+"c"); got != 1 {
		t.Errorf("distance of long words = %d, want 1", got)
	}
	if got := distance(long+"c", long); got != 1 {
		t.Errorf("distance of long words = %d, want 1", got)
	}
	if n := testing.AllocsPerRun(10, func() { distance("stop_timout", "stop_timeout") }); n != 0 {
		t.Errorf("distance of short words allocates %v times", n)
	}
}

func TestSuggestWithin(t *testing.T) {
	t.Parallel()
	// A word or a candidate longer than maxHintRunes gets no hint.
	long := strings.Repeat("a", maxHintRunes+1)
	if s := suggest(long, []string{long + "b"}); s != "" {
		t.Errorf("suggest of a long word = %q", s)
	}
	// Each comparison spends (n+1)*(m+1) of the budget; candidates too
	// far in length from the word are not compared, and cost nothing.
	budget := 2 * 5 * 5
	for _, want := range []string{"grpc", "grpc", ""} {
		if got := suggestWithin("grcp", []string{"much-longer-than-grcp", "grpc"}, &budget); got != want {
			t.Errorf("suggestWithin with %d left = %q, want %q", budget, got, want)
		}
	}
	if budget != 0 {
		t.Errorf("budget left: %d", budget)
	}
}
