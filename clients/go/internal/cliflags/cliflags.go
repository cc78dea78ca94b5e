// Package cliflags gives the Go command-line tools the connection flags of
// Python's `actorgrpc` commands, with the same environment variables:
//
//	-token T          $ACTORGRPC_TOKEN        bearer token of every call
//	-token-file F     $ACTORGRPC_TOKEN_FILE   a file holding the token (alone, or
//	                                          the first of a server's token file)
//	-tls              $ACTORGRPC_TLS          TLS, verified with the system's roots
//	-cacert F         $ACTORGRPC_CACERT       TLS, verified with this CA
//	-cert F, -key F   $ACTORGRPC_CERT/_KEY    client certificate (mutual TLS)
//	-tls-server-name  (none)                  name to verify instead of the host
package cliflags

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/actorgrpc/actorgrpc/clients/go/actorgrpc"
)

// Credentials are the values of the connection flags.
type Credentials struct {
	Token, TokenFile           string
	TLS                        bool
	CACert, Cert, Key          string
	ServerName                 string
	tlsEnvError, tokenEnvError error
}

// Register adds the connection flags to fs, their defaults taken from the
// environment.
func Register(fs *flag.FlagSet) *Credentials {
	c := &Credentials{}
	fs.StringVar(&c.Token, "token", os.Getenv("ACTORGRPC_TOKEN"), "bearer token of every call (default $ACTORGRPC_TOKEN)")
	fs.StringVar(&c.TokenFile, "token-file", os.Getenv("ACTORGRPC_TOKEN_FILE"), "file holding the token, alone or first of a token file (default $ACTORGRPC_TOKEN_FILE)")
	tlsDefault, err := envBool("ACTORGRPC_TLS")
	c.tlsEnvError = err
	fs.BoolVar(&c.TLS, "tls", tlsDefault, "use TLS, verified with the system's roots (default $ACTORGRPC_TLS)")
	fs.StringVar(&c.CACert, "cacert", os.Getenv("ACTORGRPC_CACERT"), "use TLS, verified with this PEM CA file (default $ACTORGRPC_CACERT)")
	fs.StringVar(&c.Cert, "cert", os.Getenv("ACTORGRPC_CERT"), "client certificate for mutual TLS, PEM (default $ACTORGRPC_CERT)")
	fs.StringVar(&c.Key, "key", os.Getenv("ACTORGRPC_KEY"), "key of -cert, PEM (default $ACTORGRPC_KEY)")
	fs.StringVar(&c.ServerName, "tls-server-name", "", "name to verify in the server's certificate instead of the address's host")
	return c
}

// envBool reads a boolean environment variable as Python's click does
// (1/true/yes/on, 0/false/no/off; unset or empty is false).
func envBool(name string) (bool, error) {
	v := strings.ToLower(strings.TrimSpace(os.Getenv(name)))
	switch v {
	case "", "0", "false", "f", "no", "n", "off":
		return false, nil
	case "1", "true", "t", "yes", "y", "on":
		return true, nil
	}
	return false, fmt.Errorf("$%s=%q: expected a boolean (1/0, true/false, yes/no, on/off)", name, v)
}

// Options are the client options the flags ask for.
func (c *Credentials) Options() ([]actorgrpc.Option, error) {
	if c.tlsEnvError != nil {
		return nil, c.tlsEnvError
	}
	var opts []actorgrpc.Option
	token := c.Token
	if token == "" && c.TokenFile != "" {
		var err error
		if token, err = ReadToken(c.TokenFile); err != nil {
			return nil, err
		}
	}
	// Given explicitly (a flag or its variable): WithToken. Otherwise Dial
	// still reads $ACTORGRPC_TOKEN, which is the -token default anyway.
	if token != "" {
		opts = append(opts, actorgrpc.WithToken(token))
	}
	if (c.Cert == "") != (c.Key == "") {
		return nil, errors.New("a client certificate needs both -cert and -key")
	}
	if c.CACert != "" || c.Cert != "" || c.ServerName != "" || c.TLS {
		opts = append(opts, actorgrpc.WithTLS(actorgrpc.TLSFiles{
			CAFile: c.CACert, CertFile: c.Cert, KeyFile: c.Key, ServerName: c.ServerName}))
	}
	return opts, nil
}

// ReadToken reads a token from a file holding it alone, or the first one of
// a server's token file ("ROLE TOKEN" lines; # starts a comment line).
func ReadToken(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("cannot read the token file: %w", err)
	}
	defer f.Close()
	scanner := bufio.NewScanner(f)
	for scanner.Scan() {
		fields := strings.Fields(scanner.Text())
		if len(fields) > 0 && !strings.HasPrefix(fields[0], "#") {
			return fields[len(fields)-1], nil
		}
	}
	if err := scanner.Err(); err != nil {
		return "", fmt.Errorf("cannot read the token file %s: %w", path, err)
	}
	return "", fmt.Errorf("the token file %s holds no token", path)
}
