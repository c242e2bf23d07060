package grpc

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/mikros-go/mikros/core/definition"
	"google.golang.org/grpc/credentials"
)

// TLS makes transport credentials from what [services.grpc.tls] and
// [clients.<name>] tls name. The kind uses TLS only through it, so that a
// service without TLS links neither TLS handshakes nor certificate
// parsing: a service that uses TLS passes the one of package
// github.com/mikros-go/mikros/kinds/grpc/grpctls with [WithTLS].
type TLS interface {
	// Credentials returns the transport credentials of a server or a
	// client with the material m. When the material does not parse, the
	// error holds a *TLSError for each part at fault (joined with
	// errors.Join when there are two), so that the kind places each at
	// the key that names its file.
	Credentials(m TLSMaterial) (credentials.TransportCredentials, error)
}

// TLSMaterial is what a TLS setting names: the files, read.
type TLSMaterial struct {
	// Client is true for a client's TLS, false for the server's.
	Client bool
	// CertPEM and KeyPEM are a certificate (chain) and its private key,
	// PEM: the server's; a client's own, for mutual TLS, or empty.
	CertPEM, KeyPEM []byte
	// CAPEM is a bundle of CA certificates, PEM: for the server, the CAs
	// that sign its clients' certificates (set, every client must present
	// one); for a client, the CAs it trusts instead of the system's.
	// Empty: none.
	CAPEM []byte
	// ServerName is, for a client, the name to verify in the server's
	// certificate; empty: the host dialed.
	ServerName string
}

// TLSError is a part of a [TLSMaterial] that does not parse.
type TLSError struct {
	// CA is true when CAPEM is at fault, false when the key pair is.
	CA bool
	// Err says what is wrong.
	Err error
}

// Error names the part at fault and what is wrong with it.
func (e *TLSError) Error() string {
	if e.CA {
		return "CA certificates: " + e.Err.Error()
	}
	return "key pair: " + e.Err.Error()
}

// Unwrap returns Err.
func (e *TLSError) Unwrap() error { return e.Err }

// WithTLS lets the kind serve and call with TLS, as [services.grpc.tls]
// and [clients.<name>] tls ask, through t:
//
//	mgrpc.New(mgrpc.WithTLS(grpctls.New()))
//
// Without it, those settings are a problem at boot that names the package
// to import. A definition checked without a service (mikros check) is
// then only checked for files that cannot be read.
func WithTLS(t TLS) Option {
	return func(k *Kind) { k.tls = t }
}

// tlsImport is how a service adds TLS, for the problems that say it lacks
// it.
const tlsImport = `this binary does not include TLS for the grpc kind: import "github.com/mikros-go/mikros/kinds/grpc/grpctls" and pass grpc.WithTLS(grpctls.New()) to grpc.New`

// tlsSetup is what the kind makes TLS settings with.
type tlsSetup struct {
	impl TLS // nil: the binary has no TLS
	// check is true when the definition is checked without a service:
	// then, without impl, the files are only read.
	check bool
}

// tlsSetup returns what the kind makes TLS settings with.
func (k *Kind) tlsSetup() tlsSetup { return tlsSetup{impl: k.tls, check: k.checking} }

// missing returns the problem, placed at sec's tls, of a TLS setting the
// binary cannot serve; nil in check mode.
func (ts tlsSetup) missing(sec definition.Section) *definition.Problem {
	if ts.check {
		return nil
	}
	p := sec.Problem("tls", "%s", tlsImport)
	return &p
}

// systemRoots returns the credentials of a client that trusts the
// system's CAs (tls = true).
func (ts tlsSetup) systemRoots(sec definition.Section) (credentials.TransportCredentials, *definition.Problem) {
	if ts.impl == nil {
		return nil, ts.missing(sec)
	}
	creds, err := ts.impl.Credentials(TLSMaterial{Client: true})
	if err != nil {
		p := sec.Problem("tls", "%v", err)
		return nil, &p
	}
	return creds, nil
}

// credentials reads the key pair and the client CA, and returns the
// server's credentials; with a client CA, clients must present a
// certificate it signed. Without a TLS implementation, it returns none.
func (t *serverTLS) credentials(sec definition.Section, ts tlsSetup) (credentials.TransportCredentials, definition.Problems) {
	switch {
	case t.CertFile == "" && t.KeyFile == "":
		return nil, definition.Problems{sec.Problem("tls", "needs cert_file and key_file")}
	case t.CertFile == "":
		return nil, definition.Problems{sec.Problem("tls", "needs cert_file with key_file")}
	case t.KeyFile == "":
		return nil, definition.Problems{sec.Problem("tls", "needs key_file with cert_file")}
	}
	pair := readKeyPair(sec, "tls", t.CertFile, t.KeyFile)
	problems := pair.problems
	var ca *pemFile
	if t.ClientCAFile != "" {
		ca = readFile(sec, "tls.client_ca_file", t.ClientCAFile)
		if ca.problem != nil {
			problems = append(problems, *ca.problem)
		}
	}
	if ts.impl == nil {
		if p := ts.missing(sec); p != nil {
			problems = append(problems, *p)
		}
		return nil, problems
	}
	if len(problems) > 0 {
		return nil, problems
	}
	m := TLSMaterial{CertPEM: pair.cert.data, KeyPEM: pair.key.data}
	if ca != nil {
		m.CAPEM = ca.data
	}
	return ts.credentials(sec, m, pair, ca)
}

// credentials returns a client's credentials: trusting the system's
// roots, or those of ca_file; with a client certificate when cert_file
// and key_file are set. Without a TLS implementation, it returns none.
func (t *clientTLS) credentials(sec definition.Section, ts tlsSetup) (credentials.TransportCredentials, definition.Problems) {
	var problems definition.Problems
	var ca *pemFile
	if t.CAFile != "" {
		ca = readFile(sec, "tls.ca_file", t.CAFile)
		if ca.problem != nil {
			problems = append(problems, *ca.problem)
		}
	}
	var pair keyPairFiles
	switch {
	case t.CertFile != "" && t.KeyFile != "":
		pair = readKeyPair(sec, "tls", t.CertFile, t.KeyFile)
		problems = append(problems, pair.problems...)
	case t.CertFile != "":
		problems = append(problems, sec.Problem("tls.cert_file", "needs key_file"))
	case t.KeyFile != "":
		problems = append(problems, sec.Problem("tls.key_file", "needs cert_file"))
	}
	if ts.impl == nil {
		if p := ts.missing(sec); p != nil {
			problems = append(problems, *p)
		}
		return nil, problems
	}
	if len(problems) > 0 {
		return nil, problems
	}
	m := TLSMaterial{Client: true, ServerName: t.ServerName}
	if ca != nil {
		m.CAPEM = ca.data
	}
	if pair.cert != nil {
		m.CertPEM, m.KeyPEM = pair.cert.data, pair.key.data
	}
	return ts.credentials(sec, m, pair, ca)
}

// credentials returns the credentials of m, placing each part that does
// not parse at the key that names its file.
func (ts tlsSetup) credentials(sec definition.Section, m TLSMaterial, pair keyPairFiles, ca *pemFile) (credentials.TransportCredentials, definition.Problems) {
	creds, err := ts.impl.Credentials(m)
	if err == nil {
		return creds, nil
	}
	errs := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	}
	var problems definition.Problems
	for _, err := range errs {
		te, ok := errors.AsType[*TLSError](err)
		switch {
		case ok && te.CA && ca != nil:
			problems = append(problems, sec.Problem(ca.key, "%s is not a bundle of CA certificates: %v", ca.shown(), te.Err))
		case ok && !te.CA && pair.cert != nil:
			problems = append(problems, sec.Problem(pair.cert.key, "%s and %s are not a valid key pair: %v", pair.cert.shown(), pair.key.shown(), te.Err))
		default:
			problems = append(problems, sec.Problem("tls", "%v", err))
		}
	}
	return nil, problems
}

// pemFile is a PEM file read from a key of a section.
type pemFile struct {
	sec     definition.Section
	key     string // the key that names the file
	name    string // the file's name
	data    []byte
	problem *definition.Problem // why it could not be read
}

// readFile reads the file that key names, placing a problem at key when
// it is missing or cannot be read.
func readFile(sec definition.Section, key, file string) *pemFile {
	f := &pemFile{sec: sec, key: key, name: file}
	data, err := os.ReadFile(file)
	if err != nil {
		p := sec.Problem(key, "%s", fileError(f.shown(), err))
		f.problem = &p
		return f
	}
	f.data = data
	return f
}

// shown returns the file's name as messages show it.
func (f *pemFile) shown() string { return shown(f.sec, f.key, f.name, "file") }

// keyPairFiles are a certificate and its key, read from table.cert_file
// and table.key_file.
type keyPairFiles struct {
	cert, key *pemFile
	problems  definition.Problems // why they could not be read
}

// readKeyPair reads a certificate and its key, placing a problem at the
// key naming each file that is missing or cannot be read.
func readKeyPair(sec definition.Section, table, certFile, keyFile string) keyPairFiles {
	kp := keyPairFiles{
		cert: readFile(sec, table+".cert_file", certFile),
		key:  readFile(sec, table+".key_file", keyFile),
	}
	for _, f := range []*pemFile{kp.cert, kp.key} {
		if f.problem != nil {
			kp.problems = append(kp.problems, *f.problem)
		}
	}
	return kp
}

// fileError says why a file could not be read; name is the file's name as
// shown.
func fileError(name string, err error) string {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return name + " does not exist"
	case errors.Is(err, fs.ErrPermission):
		return name + " cannot be read: permission denied"
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return fmt.Sprintf("%s cannot be read: %v", name, err)
}
