package grpctls_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/mikros-go/mikros/core"
	"github.com/mikros-go/mikros/core/servicetest"
	mgrpc "github.com/mikros-go/mikros/kinds/grpc"
	"github.com/mikros-go/mikros/kinds/grpc/grpctls"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestCredentials(t *testing.T) {
	cert, key := servicetest.SelfSigned(t)
	garbage := []byte("not PEM")
	tests := []struct {
		name string
		m    mgrpc.TLSMaterial
		want []bool // the parts at fault, as TLSError.CA; none: credentials
	}{
		{name: "a server", m: mgrpc.TLSMaterial{CertPEM: cert, KeyPEM: key}},
		{name: "a server with client CAs", m: mgrpc.TLSMaterial{CertPEM: cert, KeyPEM: key, CAPEM: cert}},
		{name: "a server without a key pair", m: mgrpc.TLSMaterial{}, want: []bool{false}},
		{name: "a server with an invalid key pair", m: mgrpc.TLSMaterial{CertPEM: garbage, KeyPEM: key}, want: []bool{false}},
		{name: "a server with switched files", m: mgrpc.TLSMaterial{CertPEM: key, KeyPEM: cert}, want: []bool{false}},
		{name: "a server with client CAs that are not", m: mgrpc.TLSMaterial{CertPEM: cert, KeyPEM: key, CAPEM: garbage}, want: []bool{true}},
		{name: "a server with both wrong", m: mgrpc.TLSMaterial{CertPEM: garbage, KeyPEM: key, CAPEM: garbage}, want: []bool{false, true}},
		{name: "a client trusting the system", m: mgrpc.TLSMaterial{Client: true}},
		{name: "a client trusting its CAs", m: mgrpc.TLSMaterial{Client: true, CAPEM: cert, ServerName: "localhost"}},
		{name: "a client with a certificate", m: mgrpc.TLSMaterial{Client: true, CAPEM: cert, CertPEM: cert, KeyPEM: key}},
		{name: "a client with a key alone", m: mgrpc.TLSMaterial{Client: true, KeyPEM: key}, want: []bool{false}},
		{name: "a client with CAs that are not", m: mgrpc.TLSMaterial{Client: true, CAPEM: garbage}, want: []bool{true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			creds, err := grpctls.New().Credentials(tt.m)
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if p := creds.Info().SecurityProtocol; p != "tls" {
					t.Errorf("security protocol %q, want tls", p)
				}
				return
			}
			if creds != nil {
				t.Errorf("credentials %v with an error", creds)
			}
			errs := []error{err}
			if j, ok := err.(interface{ Unwrap() []error }); ok {
				errs = j.Unwrap()
			}
			var got []bool
			for _, e := range errs {
				te, ok := errors.AsType[*mgrpc.TLSError](e)
				if !ok {
					t.Fatalf("%T %v is not a *grpc.TLSError", e, e)
				}
				got = append(got, te.CA)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("parts at fault (CA) %v, want %v: %v", got, tt.want, err)
			}
		})
	}
}

// A client that trusts the system's CAs (tls = true) needs the kind's
// TLS: without it, the definition is a problem at boot.
func Example() {
	definition := []byte(`name    = "orders"
types   = ["grpc"]
version = "v1.0.0"
product = "shop"

[clients.billing]
tls = true
`)
	for _, k := range []*mgrpc.Kind{
		mgrpc.New(mgrpc.WithClients("billing")),
		mgrpc.New(mgrpc.WithClients("billing"), mgrpc.WithTLS(grpctls.New())),
	} {
		_, err := core.Check(service{}, core.WithDefinition("service.toml", definition), core.WithKinds(k))
		fmt.Println(err)
	}
	// Output:
	// service.toml:7:1: clients.billing.tls: this binary does not include TLS for the grpc kind: import "github.com/mikros-go/mikros/kinds/grpc/grpctls" and pass grpc.WithTLS(grpctls.New()) to grpc.New
	// <nil>
}
