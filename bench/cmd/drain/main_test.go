package main

import "testing"

func TestSetKey(t *testing.T) {
	tests := []struct {
		name, text, table, key, value, want string
	}{
		{
			name:  "replaced in its table",
			text:  "name = \"g\"\n\n[lifecycle]\ndrain_delay  = \"2s\"\nstop_timeout = \"15s\"\n",
			table: "lifecycle", key: "drain_delay", value: `"500ms"`,
			want: "name = \"g\"\n\n[lifecycle]\ndrain_delay = \"500ms\"\nstop_timeout = \"15s\"\n",
		},
		{
			name:  "added to its table, a key of the same name elsewhere left",
			text:  "[admin]\nport = 9090  # a comment\n\n[services.grpc]\nreflection = true\naddress = \"0.0.0.0\"\n",
			table: "admin", key: "address", value: `"127.0.0.1"`,
			want: "[admin]\naddress = \"127.0.0.1\"\nport = 9090  # a comment\n\n[services.grpc]\nreflection = true\naddress = \"0.0.0.0\"\n",
		},
		{
			name:  "a dotted table replaced",
			text:  "[services.grpc]\naddress = \"0.0.0.0\"\n",
			table: "services.grpc", key: "address", value: `"127.0.0.1"`,
			want: "[services.grpc]\naddress = \"127.0.0.1\"\n",
		},
		{
			name:  "the table added",
			text:  "name = \"g\"\n",
			table: "log", key: "level", value: `"info"`,
			want: "name = \"g\"\n\n\n[log]\nlevel = \"info\"",
		},
	}
	for _, tt := range tests {
		if got := setKey(tt.text, tt.table, tt.key, tt.value); got != tt.want {
			t.Errorf("%s:\n got %q\nwant %q", tt.name, got, tt.want)
		}
	}
}

func TestChoose(t *testing.T) {
	tests := []struct {
		server, proto string
		ok            bool
		servers       int
	}{
		{"all", "all", true, 2},
		{"greeter", "grpc", true, 1},
		{"barehttp", "http", true, 1},
		{"nginx", "all", false, 0},
		{"all", "quic", false, 0},
	}
	for _, tt := range tests {
		o := options{runs: 1, clients: 1, before: 1, duration: 3, drainDelay: 1, logLevel: "info"}
		err := o.choose(tt.server, tt.proto)
		if (err == nil) != tt.ok || tt.ok && len(o.servers) != tt.servers {
			t.Errorf("choose(%q, %q): %v, servers %v", tt.server, tt.proto, err, o.servers)
		}
	}
}
