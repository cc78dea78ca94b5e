package actorgrpc_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/actorgrpc/actorgrpc/clients/go/actorgrpc"
	"github.com/actorgrpc/actorgrpc/clients/go/internal/testcerts"
	"github.com/actorgrpc/actorgrpc/clients/go/internal/testenv"
)

// Tokens of the secured test arbiters (at least 16 characters, as the
// arbiter's token file wants).
const (
	adminToken = "go-test-admin-token-0123456789"
	readToken  = "go-test-read-token-0123456789"
)

// failedDialTimeout bounds a dial that cannot succeed (a refused TLS
// handshake fails within milliseconds; Dial retries until its context ends).
const failedDialTimeout = 300 * time.Millisecond

func tokenFile(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tokens")
	data := "# role token\nadmin " + adminToken + "\nread " + readToken + "\n"
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func dial(t *testing.T, address string, opts ...actorgrpc.Option) *actorgrpc.Client {
	t.Helper()
	c, err := actorgrpc.Dial(ctxFor(t), address, opts...)
	if err != nil {
		t.Fatalf("dial %s: %v", address, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// spawnOn starts a process actor on a secured arbiter; stopped when t ends.
func spawnOn(t *testing.T, c *actorgrpc.Client, name string) actorgrpc.ActorRef {
	t.Helper()
	ref, err := c.Spawn(ctxFor(t), actorgrpc.SpawnOptions{Name: name})
	if err != nil {
		t.Fatalf("spawn %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		defer cancel()
		c.Stop(ctx, name)
	})
	return ref
}

// roundTrips checks every path with a client that may do everything: a
// direct ask and tell (to the actor's own mailbox), a send through the arbiter.
func roundTrips(t *testing.T, c *actorgrpc.Client, name string) {
	t.Helper()
	ctx := ctxFor(t)
	if got, err := c.Send(ctx, name, "echo", "direct"); err != nil || got != "direct" {
		t.Errorf("direct send: %#v, %v", got, err)
	}
	if err := c.Tell(ctx, name, "remember", "k", "told"); err != nil {
		t.Errorf("tell: %v", err)
	}
	// Behind the tell on the same stream: it sees the told value.
	if got, err := c.Send(ctx, name, "remember", "k", "asked"); err != nil || got != "told" {
		t.Errorf("direct send after the tell: %#v, %v", got, err)
	}
	if got, err := c.SendViaArbiter(ctx, name, "remember", "k", "via"); err != nil || got != "asked" {
		t.Errorf("send via the arbiter: %#v, %v", got, err)
	}
}

func TestTokens(t *testing.T) {
	arb := testenv.StartArbiter(t, "--auth-token-file", tokenFile(t))
	admin := dial(t, arb.Address, actorgrpc.WithToken(adminToken))
	ref := spawnOn(t, admin, "go-test-tokens")
	roundTrips(t, admin, ref.Name)
	ctx := ctxFor(t)

	// $ACTORGRPC_TOKEN is the default token.
	t.Setenv(actorgrpc.TokenEnv, adminToken)
	roundTrips(t, dial(t, arb.Address), ref.Name)

	// No token, or a wrong one: every call is refused, the mailbox's too.
	for what, opt := range map[string]actorgrpc.Option{
		"no token":    actorgrpc.WithToken(""),
		"wrong token": actorgrpc.WithToken("go-test-wrong-token-0123456789"),
	} {
		c := dial(t, arb.Address, opt)
		_, err := c.ListActors(ctx, actorgrpc.ListOptions{})
		wantErr(t, what+": ListActors", err, actorgrpc.ErrUnauthenticated)
		_, err = c.Send(ctx, ref.Name, "ping")
		wantErr(t, what+": send (resolving)", err, actorgrpc.ErrUnauthenticated)
		_, err = c.SendCommand(ctx, actorgrpc.Command{Ref: &ref, Action: "ping"})
		wantErr(t, what+": send to the mailbox", err, actorgrpc.ErrUnauthenticated)
		_, err = c.SendViaArbiter(ctx, ref.Name, "ping")
		wantErr(t, what+": send via the arbiter", err, actorgrpc.ErrUnauthenticated)
	}

	// A read token may look, not act: the mailbox refuses its stream.
	reader := dial(t, arb.Address, actorgrpc.WithToken(readToken))
	if actors, err := reader.ListActors(ctx, actorgrpc.ListOptions{NamePrefix: ref.Name}); err != nil || len(actors) != 1 {
		t.Errorf("a read token lists %v, %v", actors, err)
	}
	_, err := reader.Spawn(ctx, actorgrpc.SpawnOptions{Name: "go-test-read-spawn"})
	wantErr(t, "a read token spawns", err, actorgrpc.ErrPermissionDenied)
	_, err = reader.Send(ctx, ref.Name, "ping")
	wantErr(t, "a read token sends directly", err, actorgrpc.ErrPermissionDenied)
	_, err = reader.SendViaArbiter(ctx, ref.Name, "ping")
	wantErr(t, "a read token sends via the arbiter", err, actorgrpc.ErrPermissionDenied)
}

func TestMutualTLSAndTokens(t *testing.T) {
	dir := t.TempDir()
	certs, err := testcerts.Write(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	other, err := testcerts.Write(dir, "other-")
	if err != nil {
		t.Fatal(err)
	}
	arb := testenv.StartArbiter(t, "--auth-token-file", tokenFile(t),
		"--tls-cert", certs.ServerCert, "--tls-key", certs.ServerKey,
		"--tls-ca", certs.CA, "--tls-client-ca", certs.CA)
	good := actorgrpc.TLSFiles{CAFile: certs.CA, CertFile: certs.ClientCert, KeyFile: certs.ClientKey}
	admin := dial(t, arb.Address, actorgrpc.WithTLS(good), actorgrpc.WithToken(adminToken))
	ref := spawnOn(t, admin, "go-test-mtls")
	if !strings.HasPrefix(ref.Address, "127.0.0.1:") {
		t.Fatalf("the actor serves on %s", ref.Address)
	}
	// The actor's mailbox serves TLS with the arbiter's certificate and wants
	// the client's: the direct path uses the same credentials.
	roundTrips(t, admin, ref.Name)

	// The name to verify may differ from the address's host.
	named := good
	named.ServerName = "localhost"
	roundTrips(t, dial(t, arb.Address, actorgrpc.WithTLS(named), actorgrpc.WithToken(adminToken)), ref.Name)

	refused := map[string][]actorgrpc.Option{
		"plaintext":             {actorgrpc.WithToken(adminToken)},
		"no client certificate": {actorgrpc.WithTLS(actorgrpc.TLSFiles{CAFile: certs.CA}), actorgrpc.WithToken(adminToken)},
		"another CA's server":   {actorgrpc.WithTLS(actorgrpc.TLSFiles{CAFile: other.CA, CertFile: certs.ClientCert, KeyFile: certs.ClientKey})},
		"another CA's client":   {actorgrpc.WithTLS(actorgrpc.TLSFiles{CAFile: certs.CA, CertFile: other.ClientCert, KeyFile: other.ClientKey})},
		"a wrong server name":   {actorgrpc.WithTLS(actorgrpc.TLSFiles{CAFile: certs.CA, CertFile: certs.ClientCert, KeyFile: certs.ClientKey, ServerName: "elsewhere.example"})},
	}
	for what, opts := range refused {
		ctx, cancel := context.WithTimeout(context.Background(), failedDialTimeout)
		c, err := actorgrpc.Dial(ctx, arb.Address, opts...)
		cancel()
		if err == nil {
			// A server may accept the handshake and refuse the first call
			// (TLS 1.3 checks a client certificate after the handshake).
			_, err = c.ListActors(ctxFor(t), actorgrpc.ListOptions{})
			c.Close()
		}
		wantErr(t, what, err, actorgrpc.ErrUnavailable)
	}

	// Files that cannot be used are refused by Dial, before any connection.
	for what, files := range map[string]actorgrpc.TLSFiles{
		"a missing CA file":         {CAFile: filepath.Join(dir, "nope.pem")},
		"a CA file that is no PEM":  {CAFile: tokenFile(t)},
		"a certificate without key": {CAFile: certs.CA, CertFile: certs.ClientCert},
	} {
		_, err := actorgrpc.Dial(ctxFor(t), arb.Address, actorgrpc.WithTLS(files))
		wantErr(t, what, err, actorgrpc.ErrInvalidArgument)
	}
}
