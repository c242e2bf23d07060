package definition

import "testing"

func TestNames(t *testing.T) {
	tests := []struct {
		check func(string) bool
		yes   []string
		no    []string
	}{
		{isName, []string{"a", "orders", "order-api2"},
			[]string{"", "Orders", "1a", "-a", "a_b", "a.b", "a" + repeat('b', 63)}},
		{isEnvName, []string{"A", "_", "DATABASE_URL", "A1"}, []string{"", "a", "1A", "A-B", "A B"}},
		{isKindName, []string{"grpc", "http-spec", "a_b", "k8s"}, []string{"", "Grpc", "9", "-a"}},
		{isSemver, []string{"1.2.3", "v1.4.2", "0.0.0", "1.2.3-rc.1", "1.2.3-0.a", "1.2.3+build.7", "1.2.3-rc.1+b.01", "10.20.30", "1.0.0-x-y-z.--"},
			[]string{"", "1.2", "1.2.3.4", "01.2.3", "1.02.3", "1.2.3-", "1.2.3-01", "1.2.3+", "1.2.3-rc..1", "vv1.2.3", "1.2.3-rc_1", "one"}},
	}
	for _, tt := range tests {
		for _, s := range tt.yes {
			if !tt.check(s) {
				t.Errorf("%q rejected", s)
			}
		}
		for _, s := range tt.no {
			if tt.check(s) {
				t.Errorf("%q accepted", s)
			}
		}
	}
}

func repeat(c byte, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = c
	}
	return string(b)
}

func TestExpandRefs(t *testing.T) {
	tests := []struct {
		in, out  string
		unclosed bool
	}{
		{"plain", "plain", false},
		{"${A}", "<A>", false},
		{"x${A}y${B}z", "x<A>y<B>z", false},
		{"${}", "<>", false},
		{"${A", "${A", true},
		{"${A}${", "<A>${", true},
		{"${ab${C}", "<ab${C>", false},
	}
	for _, tt := range tests {
		out, unclosed := expandRefs(tt.in, func(_, name string) string { return "<" + name + ">" })
		if out != tt.out || unclosed != tt.unclosed {
			t.Errorf("expandRefs(%q) = %q, %v; want %q, %v", tt.in, out, unclosed, tt.out, tt.unclosed)
		}
	}
	if name, ok := oldRef("DB_URL@env"); !ok || name != "DB_URL" {
		t.Errorf("oldRef = %q, %v", name, ok)
	}
	for _, s := range []string{"db@env", "@env", "DB_URL", "DB_URL@envs"} {
		if _, ok := oldRef(s); ok {
			t.Errorf("oldRef(%q) accepted", s)
		}
	}
}
