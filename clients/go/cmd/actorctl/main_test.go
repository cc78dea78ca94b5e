package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/actorgrpc/actorgrpc/clients/go/internal/testcerts"
	"github.com/actorgrpc/actorgrpc/clients/go/internal/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }

// actorctl runs the command in-process against the shared arbiter and
// returns its exit status and output.
func actorctl(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	return actorctlAt(t, testenv.Address(t), args...)
}

func actorctlAt(t *testing.T, address string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	// -timeout: a spawn or stop takes well under a second; 20 s is for a loaded machine.
	code := run(context.Background(), append([]string{"-address", address, "-timeout", "20s"}, args...), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestActorctl(t *testing.T) {
	testenv.Address(t) // skips or fails before the cleanup is registered
	t.Cleanup(func() { actorctl(t, "stop", "go-ctl-w") })
	code, out, errOut := actorctl(t, "spawn", "go-ctl-w")
	var ref struct{ Name, AID string }
	if code != 0 || json.Unmarshal([]byte(out), &ref) != nil || ref.Name != "go-ctl-w" || ref.AID == "" {
		t.Fatalf("spawn: %d %q %q", code, out, errOut)
	}

	code, out, errOut = actorctl(t, "send", "go-ctl-w", "echo", `{"a":[1,"x"]}`)
	var echoed any
	if code != 0 || json.Unmarshal([]byte(out), &echoed) != nil {
		t.Fatalf("send echo: %d %q %q", code, out, errOut)
	}
	if got, _ := json.Marshal(echoed); string(got) != `{"a":[1,"x"]}` {
		t.Errorf("echo printed %s", got)
	}
	code, out, _ = actorctl(t, "send", "go-ctl-w", "greet", "name=shell", "punctuation=.")
	if code != 0 || strings.TrimSpace(out) != `"hello shell. from go-ctl-w"` {
		t.Errorf("send greet with kwargs: %d %q", code, out)
	}
	code, out, _ = actorctl(t, "send", "-via-arbiter", "go-ctl-w", "add", "2", "3")
	if code != 0 || strings.TrimSpace(out) != "5" {
		t.Errorf("send -via-arbiter add: %d %q", code, out)
	}

	code, out, _ = actorctl(t, "ps", "go-ctl-")
	if code != 0 || !strings.Contains(out, "go-ctl-w") || !strings.Contains(out, "running") || !strings.Contains(out, "process") {
		t.Errorf("ps: %d %q", code, out)
	}
	code, out, _ = actorctl(t, "ps", "-json", "go-ctl-")
	var summaries []map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &summaries) != nil || len(summaries) != 1 ||
		summaries[0]["kind"] != "process" || summaries[0]["actor"].(map[string]any)["state"] != "running" {
		t.Errorf("ps -json: %d %q", code, out)
	}
	code, out, _ = actorctl(t, "info", "go-ctl-w")
	if code != 0 || !strings.Contains(out, `"system"`) {
		t.Errorf("info: %d %q", code, out)
	}

	code, _, errOut = actorctl(t, "send", "go-ctl-w", "boom", "kaput")
	if code != 1 || !strings.Contains(errOut, "UNKNOWN: ValueError: kaput") {
		t.Errorf("a failing command: %d %q", code, errOut)
	}
	code, _, errOut = actorctl(t, "stop", "go-ctl-w")
	if code != 0 {
		t.Errorf("stop: %d %q", code, errOut)
	}
	code, _, errOut = actorctl(t, "send", "go-ctl-w", "ping")
	if code != 1 || !strings.Contains(errOut, "NOT_FOUND") {
		t.Errorf("send after stop: %d %q", code, errOut)
	}
	if code, _, _ = actorctl(t, "frobnicate"); code != 2 {
		t.Errorf("an unknown command exits %d, want 2", code)
	}
}

func TestParseValue(t *testing.T) {
	for in, want := range map[string]any{"3": 3.0, "hello": "hello", `"3"`: "3", "null": nil, "true": true} {
		if got := parseValue(in); got != want {
			t.Errorf("parseValue(%q) = %#v, want %#v", in, got, want)
		}
	}
}

// The credential flags and their environment variables reach a secured
// arbiter (mutual TLS and tokens), and its actors directly.
func TestActorctlCredentials(t *testing.T) {
	dir := t.TempDir()
	certs, err := testcerts.Write(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	tokens := filepath.Join(dir, "tokens")
	const token = "go-ctl-admin-token-0123456789"
	if err := os.WriteFile(tokens, []byte("admin "+token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	arb := testenv.StartArbiter(t, "--auth-token-file", tokens, "--tls-cert", certs.ServerCert,
		"--tls-key", certs.ServerKey, "--tls-ca", certs.CA, "--tls-client-ca", certs.CA)
	tlsFlags := []string{"-cacert", certs.CA, "-cert", certs.ClientCert, "-key", certs.ClientKey}
	with := func(args ...string) (int, string, string) {
		return actorctlAt(t, arb.Address, append(append([]string{"-token-file", tokens}, tlsFlags...), args...)...)
	}
	t.Cleanup(func() { with("stop", "go-ctl-sec") })
	if code, out, errOut := with("spawn", "go-ctl-sec"); code != 0 {
		t.Fatalf("spawn: %d %q %q", code, out, errOut)
	}
	if code, out, errOut := with("send", "go-ctl-sec", "echo", "direct"); code != 0 || strings.TrimSpace(out) != `"direct"` {
		t.Errorf("send: %d %q %q", code, out, errOut)
	}
	if code, out, errOut := with("send", "-via-arbiter", "go-ctl-sec", "ping"); code != 0 || strings.TrimSpace(out) != `"pong"` {
		t.Errorf("send -via-arbiter: %d %q %q", code, out, errOut)
	}
	code, _, errOut := actorctlAt(t, arb.Address, append(tlsFlags, "ps")...)
	if code != 1 || !strings.Contains(errOut, "UNAUTHENTICATED") {
		t.Errorf("ps without a token: %d %q", code, errOut)
	}
	if code, _, errOut = actorctlAt(t, arb.Address, "-cert", certs.ClientCert, "ps"); code != 2 {
		t.Errorf("-cert without -key: %d %q", code, errOut)
	}
	// The environment variables, as Python's CLI reads them.
	t.Setenv("ACTORGRPC_TOKEN", token)
	t.Setenv("ACTORGRPC_CACERT", certs.CA)
	t.Setenv("ACTORGRPC_CERT", certs.ClientCert)
	t.Setenv("ACTORGRPC_KEY", certs.ClientKey)
	if code, out, errOut := actorctlAt(t, arb.Address, "send", "go-ctl-sec", "ping"); code != 0 || strings.TrimSpace(out) != `"pong"` {
		t.Errorf("send with the environment's credentials: %d %q %q", code, out, errOut)
	}
}
