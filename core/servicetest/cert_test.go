package servicetest_test

import (
	"crypto/tls"
	"crypto/x509"
	"net"
	"testing"

	"github.com/mikros-go/mikros/core/servicetest"
)

// TestSelfSigned serves TLS with the certificate on loopback and connects
// with a client that trusts it, by address and by name.
func TestSelfSigned(t *testing.T) {
	certFile, keyFile := servicetest.SelfSignedFiles(t, t.TempDir())
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(mustLeaf(t, cert))
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = ln.Close() }()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	for _, host := range []string{"127.0.0.1", "localhost"} {
		t.Run(host, func(t *testing.T) {
			done := make(chan error, 1)
			go func() {
				c, err := ln.Accept()
				if err == nil {
					err = c.(*tls.Conn).Handshake()
					_ = c.Close()
				}
				done <- err
			}()
			c, err := tls.Dial("tcp", net.JoinHostPort("127.0.0.1", port), &tls.Config{RootCAs: pool, ServerName: host, MinVersion: tls.VersionTLS12})
			if err != nil {
				t.Fatal(err)
			}
			_ = c.Close()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
		})
	}
}

func mustLeaf(t *testing.T, cert tls.Certificate) *x509.Certificate {
	t.Helper()
	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	return leaf
}
