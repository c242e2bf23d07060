package grpc_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mikros-go/mikros/core"
	"github.com/mikros-go/mikros/core/servicetest"
	mgrpc "github.com/mikros-go/mikros/kinds/grpc"
	"github.com/mikros-go/mikros/kinds/grpc/grpctls"
)

// noTLS is the problem of TLS settings in a binary without TLS.
const noTLS = `this binary does not include TLS for the grpc kind: import "github.com/mikros-go/mikros/kinds/grpc/grpctls" and pass grpc.WithTLS(grpctls.New()) to grpc.New`

func TestConfigure(t *testing.T) {
	dir := t.TempDir()
	cert, key := servicetest.SelfSignedFiles(t, dir)
	garbage := filepath.Join(dir, "garbage.pem")
	if err := os.WriteFile(garbage, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.pem")
	tests := []struct {
		name    string
		text    string // appended to the definition
		svc     any    // the service; nil checks the definition alone
		clients []string
		noTLS   bool     // the kind without grpc.WithTLS
		want    []string // every problem, in order; none for a valid definition
	}{
		{
			name: "every key",
			text: fmt.Sprintf(`
[services.grpc]
address = "127.0.0.1"
max_recv_message_bytes = 1048576
max_send_message_bytes = 1048576
max_concurrent_streams = 100
num_stream_workers = 4
reflection = true

[services.grpc.keepalive]
time = "1m"
timeout = "10s"
max_connection_idle = "5m"
max_connection_age = "30m"
max_connection_age_grace = "10s"
min_time = "30s"
permit_without_stream = true

[services.grpc.tls]
cert_file = %q
key_file = %q
client_ca_file = %q

[clients.users]
host = "users.internal"
port = 9000
timeout = "2s"

[clients.users.tls]
ca_file = %q
server_name = "users"
cert_file = %q
key_file = %q

[clients.users.keepalive]
time = "30s"
timeout = "5s"
permit_without_stream = true

[clients.stock]
tls = true
`, cert, key, cert, cert, cert, key),
			svc: &echo{}, clients: []string{"users", "stock", "absent"},
		},
		{
			name: "an unknown key",
			text: "\n[services.grpc]\nmax_recv_mesage_bytes = 10\n",
			svc:  &echo{},
			want: []string{`service.toml:10:1: services.grpc: unknown key "max_recv_mesage_bytes" (did you mean "max_recv_message_bytes"?)`},
		},
		{
			name: "values out of range",
			text: `
[services.grpc]
max_recv_message_bytes = 0
max_send_message_bytes = -1
max_concurrent_streams = -1

[services.grpc.keepalive]
time = "10ms"
timeout = "-1s"
`,
			svc: &echo{},
			want: []string{
				"service.toml:12:1: services.grpc.max_concurrent_streams: -1 is out of range (0 to 4294967295)",
			},
		},
		{
			name: "values that make no sense",
			text: `
[services.grpc]
address = "127.0.0.1:80"
max_recv_message_bytes = 0
max_send_message_bytes = -1

[services.grpc.keepalive]
time = "10ms"
timeout = "-1s"
`,
			svc: &echo{},
			want: []string{
				`service.toml:10:1: services.grpc.address: "127.0.0.1:80" has a port: write the port in port`,
				"service.toml:11:1: services.grpc.max_recv_message_bytes: must be positive, not 0",
				"service.toml:12:1: services.grpc.max_send_message_bytes: must be positive, not -1",
				"service.toml:15:1: services.grpc.keepalive.time: must be at least 1s, not 10ms",
				"service.toml:16:1: services.grpc.keepalive.timeout: must not be negative, not -1s",
			},
		},
		{
			name: "a missing TLS file",
			text: fmt.Sprintf("\n[services.grpc.tls]\ncert_file = %q\nkey_file = %q\n", missing, key),
			svc:  &echo{},
			want: []string{fmt.Sprintf("service.toml:10:1: services.grpc.tls.cert_file: %q does not exist", missing)},
		},
		{
			name: "an invalid key pair and client CA",
			text: fmt.Sprintf("\n[services.grpc.tls]\ncert_file = %q\nkey_file = %q\nclient_ca_file = %q\n", garbage, key, garbage),
			svc:  &echo{},
			want: []string{
				fmt.Sprintf("service.toml:10:1: services.grpc.tls.cert_file: %q and %q are not a valid key pair: tls: failed to find any PEM data in certificate input", garbage, key),
				fmt.Sprintf("service.toml:12:1: services.grpc.tls.client_ca_file: %q is not a bundle of CA certificates: no PEM certificate found", garbage),
			},
		},
		{
			name: "an invalid client key pair and CA",
			text: fmt.Sprintf("\n[clients.users.tls]\nca_file = %q\ncert_file = %q\nkey_file = %q\n", garbage, garbage, key),
			svc:  &echo{}, clients: []string{"users"},
			want: []string{
				fmt.Sprintf("service.toml:10:1: clients.users.tls.ca_file: %q is not a bundle of CA certificates: no PEM certificate found", garbage),
				fmt.Sprintf("service.toml:11:1: clients.users.tls.cert_file: %q and %q are not a valid key pair: tls: failed to find any PEM data in certificate input", garbage, key),
			},
		},
		{
			name: "TLS settings in a binary without TLS",
			text: fmt.Sprintf("\n[services.grpc.tls]\ncert_file = %q\nkey_file = %q\n\n[clients.users.tls]\nca_file = %q\n\n[clients.stock]\ntls = true\n", cert, key, cert),
			svc:  &echo{}, clients: []string{"users", "stock"}, noTLS: true,
			want: []string{
				"service.toml:9:16: services.grpc.tls: " + noTLS,
				"service.toml:13:16: clients.users.tls: " + noTLS,
				"service.toml:17:1: clients.stock.tls: " + noTLS,
			},
		},
		{
			name: "TLS settings in a binary without TLS, with a missing file",
			text: fmt.Sprintf("\n[services.grpc.tls]\ncert_file = %q\nkey_file = %q\n", missing, key),
			svc:  &echo{}, noTLS: true,
			want: []string{
				"service.toml:9:16: services.grpc.tls: " + noTLS,
				fmt.Sprintf("service.toml:10:1: services.grpc.tls.cert_file: %q does not exist", missing),
			},
		},
		{
			name:    "TLS settings checked alone, without TLS: only the files are read",
			text:    fmt.Sprintf("\n[services.grpc.tls]\ncert_file = %q\nkey_file = %q\n\n[clients.users.tls]\nca_file = %q\n\n[clients.stock]\ntls = true\n", garbage, missing, garbage),
			clients: []string{"users", "stock"}, noTLS: true,
			want: []string{fmt.Sprintf("service.toml:11:1: services.grpc.tls.key_file: %q does not exist", missing)},
		},
		{
			name: "a TLS table without a key",
			text: fmt.Sprintf("\n[services.grpc.tls]\ncert_file = %q\n", cert),
			svc:  &echo{},
			want: []string{"service.toml:9:16: services.grpc.tls: needs key_file with cert_file"},
		},
		{
			name: "a service without RegisterGRPC",
			svc:  &struct{}{},
			want: []string{"service.toml:2:1: types: kind grpc: the service (*struct {}) has no method RegisterGRPC(grpc.ServiceRegistrar)"},
		},
		{
			name: "a definition checked alone",
		},
		{
			name: "declared clients with bad tables",
			text: `
[clients.users]
hots = "users"

[clients.orders]
port = 70000

[clients.stock]
tls = "yes"

[clients.billing]
host = "billing:9000"
timeout = "-1s"

[clients.billing.keepalive]
time = "1s"

[clients.ledger.tls]
ca_fle = "ca.pem"
cert_file = "c.pem"

[clients.other]
whatever = 1
`,
			svc: &echo{}, clients: []string{"users", "orders", "stock", "billing", "ledger"},
			want: []string{
				`service.toml:10:1: clients.users: unknown key "hots" (did you mean "host"?)`,
				`service.toml:13:1: clients.orders.port: 70000 is not a port (1 to 65535)`,
				`service.toml:16:1: clients.stock.tls: must be a boolean or a table`,
				`service.toml:19:1: clients.billing.host: "billing:9000" has a port: write the port in port`,
				`service.toml:20:1: clients.billing.timeout: must not be negative, not -1s`,
				`service.toml:23:1: clients.billing.keepalive.time: must be at least 10s, not 1s`,
				`service.toml:26:1: clients.ledger.tls: unknown key "ca_fle" (did you mean "ca_file"?)`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := []mgrpc.Option{mgrpc.WithClients(tt.clients...)}
			if !tt.noTLS {
				opts = append(opts, mgrpc.WithTLS(grpctls.New()))
			}
			_, err := core.Check(tt.svc,
				core.WithDefinition("service.toml", []byte(strings.TrimPrefix(definition, "\n")+tt.text)),
				core.WithKinds(mgrpc.New(opts...)),
				servicetest.Env(nil))
			var got []string
			if err != nil {
				got = strings.Split(err.Error(), "\n")
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestConfigureHidesValuesFromTheEnvironment(t *testing.T) {
	text := strings.Replace(strings.TrimPrefix(definition, "\n"), `product = "shop"`, `product = "shop"
envs    = ["USERS_HOST", "CERT_FILE"]`, 1) + `
[services.grpc.tls]
cert_file = "${CERT_FILE}"
key_file = "${CERT_FILE}"

[clients.users]
host = "${USERS_HOST}"
`
	env := map[string]string{"USERS_HOST": "secret-host:99", "CERT_FILE": "/secret/cert.pem"}
	_, err := core.Check(&echo{},
		core.WithDefinition("service.toml", []byte(text)),
		core.WithKinds(mgrpc.New(mgrpc.WithClients("users"), mgrpc.WithTLS(grpctls.New()))),
		servicetest.Env(env))
	want := strings.Join([]string{
		"service.toml:11:1: services.grpc.tls.cert_file: the file from the environment does not exist",
		"service.toml:12:1: services.grpc.tls.key_file: the file from the environment does not exist",
		"service.toml:15:1: clients.users.host: the host from the environment has a port: write the port in port",
	}, "\n")
	if err == nil || err.Error() != want {
		t.Fatalf("got:\n%v\nwant:\n%s", err, want)
	}
}
