package actor_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/actorgrpc/actorgrpc/clients/go/actorgrpc"
	pb "github.com/actorgrpc/actorgrpc/clients/go/actorgrpcv1"
	"github.com/actorgrpc/actorgrpc/clients/go/internal/testcerts"
	"github.com/actorgrpc/actorgrpc/clients/go/internal/testenv"
)

// recovery bounds a restart or a hung detection: with 0.1 s heartbeats and a
// 1 s timeout the arbiter acts within about 1.2 s, then stops, terminates or
// kills the actor (5 s steps at most); 20 s is for a loaded machine.
const recovery = 20 * time.Second

// Killed with SIGKILL, a permanent Go actor is restarted under its name, and
// the name reaches the new incarnation. Frozen (its loop blocked: no beats),
// it is declared hung after its timeout, stopped, and replaced.
func TestKillAndHang(t *testing.T) {
	c := testenv.Client(t)
	first := spawnGo(t, c, "phoenix", actorgrpc.SpawnOptions{Restart: actorgrpc.RestartPermanent, Timeout: time.Second})
	s, _ := running(t, c, first.Name, "")
	kill9(t, s.PID)
	var second actorgrpc.ActorSummary
	waitFor(t, "the killed actor restarted", recovery, func() bool {
		var ok bool
		second, ok = running(t, c, first.Name, first.AID)
		return ok
	})
	if second.Restarts != 1 || second.PID == s.PID || second.Kind != actorgrpc.KindExec {
		t.Errorf("after the kill: %+v", second)
	}
	if old, _ := summary(t, c, first.Name, first.AID); old.CrashReport == nil || old.CrashReport.ExitCode != -9 {
		t.Errorf("the killed incarnation's report: %+v", old.CrashReport)
	}
	if got, err := c.Send(ctxFor(t), first.Name, "ping"); err != nil || got != "pong" {
		t.Errorf("ping after the restart: %#v, %v", got, err)
	}

	// freeze blocks the loop until the actor is stopped: its answer is the
	// stop's, so it is sent without waiting for it.
	if err := c.Tell(ctxFor(t), first.Name, "freeze"); err != nil {
		t.Fatal(err)
	}
	var third actorgrpc.ActorSummary
	waitFor(t, "the hung actor replaced", recovery, func() bool {
		var ok bool
		third, ok = running(t, c, first.Name, second.Actor.AID)
		return ok
	})
	if third.Restarts != 2 {
		t.Errorf("after the hang: %+v", third)
	}
	old, _ := summary(t, c, first.Name, second.Actor.AID)
	if old.CrashReport == nil || !strings.HasPrefix(old.CrashReport.Failure, "hung") {
		t.Errorf("the hung incarnation's report: %+v", old.CrashReport)
	}
	waitFor(t, "the hung process to end", recovery, func() bool { return !alive(second.PID) })
}

// Which exits are restarted: permanent always (unless an operator stopped
// it), transient after an abnormal exit only, temporary never.
func TestRestartPolicies(t *testing.T) {
	c := testenv.Client(t)
	for _, tc := range []struct {
		restart   actorgrpc.RestartType
		exit      string // "kill" (SIGKILL) or "stop" (the stop command: exit 0)
		restarted bool
	}{
		{actorgrpc.RestartPermanent, "stop", true},
		{actorgrpc.RestartTransient, "kill", true},
		{actorgrpc.RestartTransient, "stop", false},
		{actorgrpc.RestartTemporary, "kill", false},
	} {
		name := fmt.Sprintf("policy-%s-%s", tc.restart, tc.exit)
		ref := spawnGo(t, c, name, actorgrpc.SpawnOptions{Restart: tc.restart})
		s, _ := running(t, c, ref.Name, "")
		if tc.exit == "kill" {
			kill9(t, s.PID)
		} else if _, err := c.Send(ctxFor(t), ref.Name, "stop"); err != nil {
			t.Fatal(err)
		}
		waitFor(t, name+": the exit recorded", recovery, func() bool {
			old, ok := summary(t, c, ref.Name, ref.AID)
			return ok && old.CrashReport != nil
		})
		// Asked right after the exit: with a restart pending, GetActor waits
		// for it; without, it answers NOT_FOUND at once.
		resp, err := c.Arbiter().GetActor(ctxFor(t), &pb.GetActorRequest{Target: ref.Name, WaitSeconds: recovery.Seconds()})
		if tc.restarted {
			if err != nil || resp.GetActor().GetActor().GetAid() == ref.AID || resp.GetActor().GetRestarts() != 1 {
				t.Errorf("%s: not restarted: %v, %v", name, resp, err)
			}
		} else if status.Code(err) != codes.NotFound {
			t.Errorf("%s: restarted: %v, %v", name, resp, err)
		}
	}
}

// When its arbiter dies (SIGKILL: no stop order), the Go actor sees stdin
// end and its heartbeat stream break, and exits.
func TestDiesWithItsArbiter(t *testing.T) {
	arb := testenv.StartArbiter(t, testenv.DemoActorArgs()...)
	c, err := actorgrpc.Dial(ctxFor(t), arb.Address)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ref, err := c.Spawn(ctxFor(t), actorgrpc.SpawnOptions{Name: "go-actor-orphan", Kind: actorgrpc.KindExec, Program: testenv.DemoProgram})
	if err != nil {
		t.Fatal(err)
	}
	s, _ := running(t, c, ref.Name, "")
	arb.KillOnlyArbiter()
	// End of file on stdin is seen at once; the margin is for a loaded machine.
	waitFor(t, "the orphan to exit", 10*time.Second, func() bool { return !alive(s.PID) })
}

// With tokens and mutual TLS on the arbiter, a Go actor serves its mailbox
// with the arbiter's certificate and checks tokens by their digests; its own
// heartbeat goes over mTLS with the arbiter's internal credential.
func TestSecuredGoActor(t *testing.T) {
	dir := t.TempDir()
	certs, err := testcerts.Write(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	const admin, read = "go-actor-admin-token-0123456789", "go-actor-read-token-0123456789"
	tokens := filepath.Join(dir, "tokens")
	if err := os.WriteFile(tokens, []byte("admin "+admin+"\nread "+read+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	arb := testenv.StartArbiter(t, append(testenv.DemoActorArgs(), "--auth-token-file", tokens,
		"--tls-cert", certs.ServerCert, "--tls-key", certs.ServerKey, "--tls-ca", certs.CA, "--tls-client-ca", certs.CA)...)
	files := actorgrpc.TLSFiles{CAFile: certs.CA, CertFile: certs.ClientCert, KeyFile: certs.ClientKey}
	dial := func(token string) *actorgrpc.Client {
		c, err := actorgrpc.Dial(ctxFor(t), arb.Address, actorgrpc.WithTLS(files), actorgrpc.WithToken(token))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	c := dial(admin)
	ref, err := c.Spawn(ctxFor(t), actorgrpc.SpawnOptions{Name: "go-actor-secured", Kind: actorgrpc.KindExec, Program: testenv.DemoProgram})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := c.Send(ctxFor(t), ref.Name, "add", 1, 2); err != nil || got != 3.0 {
		t.Errorf("direct send with an admin token: %#v, %v", got, err)
	}
	if got, err := c.SendViaArbiter(ctxFor(t), ref.Name, "greet"); err != nil || got != "hello world! from "+ref.Name {
		t.Errorf("send via the arbiter: %#v, %v", got, err)
	}
	_, err = dial(read).SendCommand(ctxFor(t), actorgrpc.Command{Ref: &ref, Action: "ping"})
	wantErr(t, "a read token at the Go actor's mailbox", err, actorgrpc.ErrPermissionDenied)
	_, err = dial("go-actor-wrong-token-0123456789").SendCommand(ctxFor(t), actorgrpc.Command{Ref: &ref, Action: "ping"})
	wantErr(t, "a wrong token at the Go actor's mailbox", err, actorgrpc.ErrUnauthenticated)
	// The actor's own calls (to a Python actor's mailbox, over mTLS, with the
	// internal credential) get through.
	python, err := c.Spawn(ctxFor(t), actorgrpc.SpawnOptions{Name: "go-actor-secured-python"})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := c.Send(ctxFor(t), ref.Name, "relay", python.Name, "echo", "through"); err != nil || got != "through" {
		t.Errorf("relay on the secured arbiter: %#v, %v", got, err)
	}
	if _, err := c.Stop(ctxFor(t), python.Name); err != nil {
		t.Error(err)
	}
	// Beats arrive over mTLS: the arbiter sees the actor's load.
	waitFor(t, "a beat from the secured actor", recovery, func() bool {
		s, ok := running(t, c, ref.Name, "")
		return ok && s.MemoryRSSBytes > 0
	})
	if stopped, err := c.Stop(ctxFor(t), ref.Name); err != nil || stopped.ExitCode != 0 {
		t.Errorf("stop: %+v, %v", stopped, err)
	}
}
