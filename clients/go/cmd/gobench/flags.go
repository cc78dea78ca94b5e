package main

import (
	"flag"

	"github.com/actorgrpc/actorgrpc/clients/go/internal/cliflags"
)

// registerCredentialFlags adds actorctl's (and Python's CLI's) credential
// flags: -token, -token-file, -tls, -cacert, -cert, -key, -tls-server-name.
func registerCredentialFlags(fs *flag.FlagSet) *cliflags.Credentials { return cliflags.Register(fs) }
