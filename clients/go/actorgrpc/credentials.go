package actorgrpc

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
)

// TokenEnv is where Dial finds a token when it is given none (WithToken).
const TokenEnv = "ACTORGRPC_TOKEN"

// WithToken presents token (`authorization: Bearer TOKEN`) on every call to
// the arbiter and to every actor mailbox. Without this option the token is
// $ACTORGRPC_TOKEN, if set; WithToken("") sends none.
func WithToken(token string) Option {
	return func(o *options) { o.token, o.tokenSet = token, true }
}

// TLSFiles are the PEM files of a TLS client.
type TLSFiles struct {
	// CAFile holds the certificates that signed the servers' certificate;
	// empty: the system's roots.
	CAFile string
	// CertFile and KeyFile are the client's certificate chain and key, for
	// servers that require client certificates (mutual TLS); both or neither.
	CertFile, KeyFile string
	// ServerName is the name to verify in the servers' certificates instead
	// of the host of each address.
	ServerName string
}

// WithTLS turns on TLS, with the same files for the arbiter and every actor
// mailbox (an arbiter started with --tls-cert serves its actors' mailboxes
// with the same certificate). The files are read by Dial.
func WithTLS(files TLSFiles) Option {
	return func(o *options) { o.tlsFiles = &files }
}

// WithTLSConfig turns on TLS with a configuration of the caller's own (its
// ServerName, if set, is verified for every address).
func WithTLSConfig(config *tls.Config) Option {
	return func(o *options) { o.tlsConfig = config.Clone() }
}

// tlsConfig builds the TLS configuration of the options, or nil for plaintext.
func (o *options) buildTLS() (*tls.Config, error) {
	if o.tlsConfig != nil {
		return o.tlsConfig, nil
	}
	f := o.tlsFiles
	if f == nil {
		return nil, nil
	}
	config := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: f.ServerName}
	if f.CAFile != "" {
		pem, err := readPEM(f.CAFile, "CA certificate")
		if err != nil {
			return nil, err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("the CA certificate %s holds no PEM certificate", f.CAFile)
		}
		config.RootCAs = pool
	}
	if (f.CertFile == "") != (f.KeyFile == "") {
		return nil, errors.New("a client certificate needs both a certificate file and a key file")
	}
	if f.CertFile != "" {
		pair, err := tls.LoadX509KeyPair(f.CertFile, f.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("the client certificate %s / key %s: %w", f.CertFile, f.KeyFile, err)
		}
		config.Certificates = []tls.Certificate{pair}
	}
	return config, nil
}

func readPEM(path, what string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read the %s: %w", what, err)
	}
	if !strings.Contains(string(data), "-----BEGIN ") {
		return nil, fmt.Errorf("the %s %s is not a PEM file", what, path)
	}
	return data, nil
}

// credentialOptions are the dial options of the token and TLS.
func (o *options) credentialOptions() ([]grpc.DialOption, error) {
	var out []grpc.DialOption
	config, err := o.buildTLS()
	if err != nil {
		return nil, err
	}
	if config != nil {
		out = append(out, grpc.WithTransportCredentials(credentials.NewTLS(config)))
	}
	token := o.token
	if !o.tokenSet {
		token = os.Getenv(TokenEnv)
	}
	if token != "" {
		if strings.ContainsAny(token, " \t\r\n") {
			return nil, errors.New("the token holds white space")
		}
		out = append(out, grpc.WithPerRPCCredentials(bearer(token)))
	}
	return out, nil
}

// bearer presents a token on every call. It does not require TLS: a loopback
// arbiter may check tokens over plaintext.
type bearer string

func (b bearer) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + string(b)}, nil
}

func (bearer) RequireTransportSecurity() bool { return false }
