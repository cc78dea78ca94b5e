package cliflags

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
)

func parse(t *testing.T, args ...string) (*Credentials, error) {
	t.Helper()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	c := Register(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	_, err := c.Options()
	return c, err
}

func TestEnvironmentDefaults(t *testing.T) {
	t.Setenv("ACTORGRPC_TOKEN", "from-env")
	t.Setenv("ACTORGRPC_TLS", "yes")
	t.Setenv("ACTORGRPC_CACERT", "/ca.pem")
	c, err := parse(t)
	if err != nil || c.Token != "from-env" || !c.TLS || c.CACert != "/ca.pem" {
		t.Errorf("%+v, %v", c, err)
	}
	// Flags win over the environment.
	c, _ = parse(t, "-token", "flag", "-tls=false", "-cacert", "/other.pem")
	if c.Token != "flag" || c.TLS || c.CACert != "/other.pem" {
		t.Errorf("%+v", c)
	}
	t.Setenv("ACTORGRPC_TLS", "maybe")
	if _, err := parse(t); err == nil {
		t.Error("ACTORGRPC_TLS=maybe accepted")
	}
}

func TestCertificateNeedsKey(t *testing.T) {
	if _, err := parse(t, "-cert", "/c.pem"); err == nil {
		t.Error("-cert without -key accepted")
	}
}

func TestReadToken(t *testing.T) {
	dir := t.TempDir()
	for content, want := range map[string]string{
		"tok-alone\n": "tok-alone",
		"# tokens\n\nadmin first-token\nread second\n": "first-token",
	} {
		path := filepath.Join(dir, "t")
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if got, err := ReadToken(path); err != nil || got != want {
			t.Errorf("%q: %q, %v; want %q", content, got, err, want)
		}
	}
	empty := filepath.Join(dir, "empty")
	os.WriteFile(empty, []byte("# nothing\n"), 0o600)
	if _, err := ReadToken(empty); err == nil {
		t.Error("a file without a token gave one")
	}
	if _, err := ReadToken(filepath.Join(dir, "missing")); err == nil {
		t.Error("a missing file gave a token")
	}
}
