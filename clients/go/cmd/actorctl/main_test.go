package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/actorgrpc/actorgrpc/clients/go/internal/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }

// actorctl runs the command in-process and returns its exit status and output.
func actorctl(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	// -timeout: a spawn or stop takes well under a second; 20 s is for a loaded machine.
	code := run(context.Background(), append([]string{"-address", testenv.Address(t), "-timeout", "20s"}, args...), &stdout, &stderr)
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

	code, out, _ = actorctl(t, "ps", "go-ctl-")
	if code != 0 || !strings.Contains(out, "go-ctl-w") || !strings.Contains(out, "running") {
		t.Errorf("ps: %d %q", code, out)
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
