package actor_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/actorgrpc/actorgrpc/clients/go/actorgrpc"
	"github.com/actorgrpc/actorgrpc/clients/go/internal/testenv"
)

// The shared arbiter of these tests registers the Go demo actor (go-demo),
// and go-broken, the same with -fail-start. Heartbeats every 0.1 s make a
// hung actor visible after the 1 s timeout its tests spawn it with.
func TestMain(m *testing.M) {
	args := append(testenv.DemoActorArgs(), "--heartbeat-interval", "0.1")
	if path, err := testenv.DemoActor(); err == nil {
		args = append(args, "--program", "go-broken="+path+" -fail-start")
	}
	os.Exit(testenv.Run(m, args...))
}

// callTimeout bounds every call of these tests: a Go actor starts in a few
// milliseconds, a restart after a kill in well under a second; 20 s is for a
// loaded machine.
const callTimeout = 20 * time.Second

func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	t.Cleanup(cancel)
	return ctx
}

// spawnGo starts a Go demo actor named "go-actor-" + name; stopped when the
// test ends (unless the test did).
func spawnGo(t *testing.T, c *actorgrpc.Client, name string, o actorgrpc.SpawnOptions) actorgrpc.ActorRef {
	t.Helper()
	o.Name, o.Kind = "go-actor-"+name, actorgrpc.KindExec
	if o.Program == "" {
		o.Program = testenv.DemoProgram
	}
	ref, err := c.Spawn(ctxFor(t), o)
	if err != nil {
		t.Fatalf("spawn %s: %v", o.Name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		defer cancel()
		if _, err := c.Stop(ctx, ref.Name); err != nil && !errors.Is(err, actorgrpc.ErrNotFound) {
			t.Errorf("stop %s: %v", ref.Name, err)
		}
	})
	return ref
}

type sender struct {
	name string
	send func(c *actorgrpc.Client, ctx context.Context, cmd actorgrpc.Command) (any, error)
}

var senders = []sender{
	{"direct", func(c *actorgrpc.Client, ctx context.Context, cmd actorgrpc.Command) (any, error) {
		return c.SendCommand(ctx, cmd)
	}},
	{"via-arbiter", func(c *actorgrpc.Client, ctx context.Context, cmd actorgrpc.Command) (any, error) {
		return c.SendCommandViaArbiter(ctx, cmd)
	}},
}

func wantErr(t *testing.T, what string, err, sentinel error) *actorgrpc.Error {
	t.Helper()
	var e *actorgrpc.Error
	if !errors.Is(err, sentinel) || !errors.As(err, &e) {
		t.Errorf("%s: got %v; want %v", what, err, sentinel)
		return &actorgrpc.Error{}
	}
	return e
}

// waitFor polls cond until it holds or the timeout passes (then fails t).
func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(5 * time.Millisecond) // polling interval, not a margin
	}
}

// summary is what the arbiter knows of the incarnation aid of name (live or
// exited), or false.
func summary(t *testing.T, c *actorgrpc.Client, name, aid string) (actorgrpc.ActorSummary, bool) {
	t.Helper()
	all, err := c.ListActors(ctxFor(t), actorgrpc.ListOptions{NamePrefix: name, IncludeExited: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range all {
		if s.Actor.Name == name && s.Actor.AID == aid {
			return s, true
		}
	}
	return actorgrpc.ActorSummary{}, false
}

// running is the running incarnation of name other than notAID, if any.
func running(t *testing.T, c *actorgrpc.Client, name, notAID string) (actorgrpc.ActorSummary, bool) {
	t.Helper()
	all, err := c.ListActors(ctxFor(t), actorgrpc.ListOptions{NamePrefix: name})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range all {
		if s.Actor.Name == name && s.Actor.AID != notAID && s.Actor.State == actorgrpc.StateRunning {
			return s, true
		}
	}
	return actorgrpc.ActorSummary{}, false
}

// alive reports whether pid is a live process (not a zombie).
func alive(pid int) bool {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	i := bytes.LastIndexByte(data, ')')
	return i >= 0 && !strings.HasPrefix(strings.TrimSpace(string(data[i+1:])), "Z")
}

func kill9(t *testing.T, pid int) {
	t.Helper()
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatalf("kill -9 %d: %v", pid, err)
	}
}
