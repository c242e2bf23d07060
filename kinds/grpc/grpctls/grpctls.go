// Package grpctls gives the gRPC kind its TLS. The kind links no TLS
// handshake or certificate parsing of its own, so that services without
// TLS do not carry them (about 1 MiB of binary, and 0.6 MiB of memory
// once running); a service that sets [services.grpc.tls], or tls in a
// [clients.<name>] table, passes this package's TLS to the kind:
//
//	k := mgrpc.New(mgrpc.WithTLS(grpctls.New()))
//	core.Main(svc, core.WithKinds(k))
//
// Without it, those settings fail the boot with a problem that names this
// package. The settings are described in the kind's documentation.
//
// Connections use TLS 1.2 or later. A server with client CAs requires
// every client to present a certificate they signed (mutual TLS). A
// client trusts the system's CAs unless given its own.
package grpctls

import (
	"crypto/tls"
	"crypto/x509"
	"errors"

	mgrpc "github.com/mikros-go/mikros/kinds/grpc"
	"google.golang.org/grpc/credentials"
)

// TLS is the kind's TLS, on crypto/tls and gRPC's TLS credentials. The
// zero value is ready to use.
type TLS struct{}

var _ mgrpc.TLS = TLS{}

// New returns the kind's TLS, to pass to grpc.WithTLS.
func New() TLS { return TLS{} }

// errNoCertificate says a CA bundle holds no certificate.
var errNoCertificate = errors.New("no PEM certificate found")

// Credentials returns gRPC's TLS credentials for m. A key pair that does
// not parse, and a CA bundle without a certificate, are each a
// *grpc.TLSError.
func (TLS) Credentials(m mgrpc.TLSMaterial) (credentials.TransportCredentials, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	var errs []error
	switch {
	case len(m.CertPEM) > 0 || len(m.KeyPEM) > 0:
		cert, err := tls.X509KeyPair(m.CertPEM, m.KeyPEM)
		if err != nil {
			errs = append(errs, &mgrpc.TLSError{Err: err})
		}
		cfg.Certificates = []tls.Certificate{cert}
	case !m.Client:
		errs = append(errs, &mgrpc.TLSError{Err: errors.New("a server needs a certificate and its key")})
	}
	if len(m.CAPEM) > 0 {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(m.CAPEM) {
			errs = append(errs, &mgrpc.TLSError{CA: true, Err: errNoCertificate})
		}
		if m.Client {
			cfg.RootCAs = pool
		} else {
			cfg.ClientCAs = pool
			cfg.ClientAuth = tls.RequireAndVerifyClientCert
		}
	}
	if m.Client {
		cfg.ServerName = m.ServerName
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return credentials.NewTLS(cfg), nil
}
