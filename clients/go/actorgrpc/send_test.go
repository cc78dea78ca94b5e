package actorgrpc_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/stats"

	"github.com/actorgrpc/actorgrpc/clients/go/actorgrpc"
	"github.com/actorgrpc/actorgrpc/clients/go/internal/testenv"
)

// Thousands of asks at once from many goroutines, of several commands with
// and without keyword arguments: they share frames and envelopes
// (batch_args_json, answered with batch_results_json), and every caller
// gets its own result.
func TestBurstOfAsks(t *testing.T) {
	frames := &frameCounter{}
	c := testenv.Client(t, actorgrpc.WithDialOptions(grpc.WithStatsHandler(frames)))
	ref := spawn(t, c, actorgrpc.SpawnOptions{Name: "burst"})
	if _, err := c.Send(ctxFor(t), ref.Name, "ping"); err != nil { // the stream opens
		t.Fatal(err)
	}
	before := frames.n.Load()
	const n = 3000
	ctx := ctxFor(t)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var got, want any
			var err error
			switch i % 5 {
			case 0, 1, 2:
				got, err = c.Send(ctx, ref.Name, "echo", i)
				want = float64(i)
			case 3:
				got, err = c.Send(ctx, ref.Name, "add", i, 1)
				want = float64(i + 1)
			case 4:
				got, err = c.SendCommand(ctx, actorgrpc.Command{Target: ref.Name, Action: "greet",
					Kwargs: map[string]any{"name": fmt.Sprint(i)}})
				want = fmt.Sprintf("hello %d! from %s", i, ref.Name)
			}
			if err != nil || got != want {
				errs <- fmt.Errorf("call %d: %#v, %v; want %#v", i, got, err, want)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	// Calls made while others wait gather in frames (a receiver pays per
	// frame far more than per call): about ten frames here. The bound leaves
	// room for any scheduling; mailbox_test.go checks the rule itself.
	if sent := frames.n.Load() - before; sent > n/2 {
		t.Errorf("%d asks went out in %d frames", n, sent)
	}
}

// frameCounter counts the messages written on mailbox streams.
type frameCounter struct{ n atomic.Int64 }

type methodKey struct{}

func (f *frameCounter) TagRPC(ctx context.Context, info *stats.RPCTagInfo) context.Context {
	return context.WithValue(ctx, methodKey{}, info.FullMethodName)
}
func (f *frameCounter) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context {
	return ctx
}
func (f *frameCounter) HandleConn(context.Context, stats.ConnStats) {}
func (f *frameCounter) HandleRPC(ctx context.Context, st stats.RPCStats) {
	if _, ok := st.(*stats.OutPayload); ok && ctx.Value(methodKey{}) == "/actorgrpc.v1.MailboxService/Stream" {
		f.n.Add(1)
	}
}

// Calls of one goroutine reach the actor in order, tells and asks alike:
// remember returns the previous value, so each ask sees the last tell.
func TestOneSendersCallsKeepTheirOrder(t *testing.T) {
	c := testenv.Client(t)
	ref := spawn(t, c, actorgrpc.SpawnOptions{Name: "order"})
	ctx := ctxFor(t)
	for i := range 2000 {
		if i%250 == 249 {
			got, err := c.Send(ctx, ref.Name, "remember", "seq", i)
			if err != nil || got != float64(i-1) {
				t.Fatalf("ask %d saw %#v, %v; want %d", i, got, err, i-1)
			}
			continue
		}
		if err := c.Tell(ctx, ref.Name, "remember", "seq", i); err != nil {
			t.Fatalf("tell %d: %v", i, err)
		}
	}
	if got, err := c.Send(ctx, ref.Name, "remember", "seq", "end"); err != nil || got != 1999.0 {
		t.Errorf("last = %#v, %v; want 1999", got, err)
	}
}

// Close writes the tells still queued before it ends the stream.
func TestCloseDeliversQueuedTells(t *testing.T) {
	c := testenv.Client(t)
	ref := spawn(t, c, actorgrpc.SpawnOptions{Name: "flush"})
	teller := testenv.Client(t)
	ctx := ctxFor(t)
	for i := range 5000 {
		if err := teller.Tell(ctx, ref.Name, "remember", "flush", i); err != nil {
			t.Fatal(err)
		}
	}
	if err := teller.Close(); err != nil {
		t.Fatal(err)
	}
	if got, err := c.Send(ctx, ref.Name, "remember", "flush", "after"); err != nil || got != 4999.0 {
		t.Errorf("after Close the actor had %#v, %v; want 4999", got, err)
	}
	if err := teller.Tell(ctx, ref.Name, "ping"); !errors.Is(err, actorgrpc.ErrCanceled) {
		t.Errorf("a tell after Close: %v; want ErrCanceled", err)
	}
}

// A name whose cached address no longer hosts it (a new incarnation lives
// elsewhere) is resolved again once, within the call: the mailbox answers
// ActorNotHosted without running the command. An explicit aid or ActorRef
// names one incarnation and is not retried.
func TestANameThatMovedIsResolvedAgain(t *testing.T) {
	c := testenv.Client(t)
	ctx := ctxFor(t)
	// Thread actors live in the arbiter's process, at its address: after a
	// restart under the same name the cached address still answers, for
	// another aid.
	old := spawn(t, c, actorgrpc.SpawnOptions{Name: "moved", Kind: actorgrpc.KindThread})
	if _, err := c.Send(ctx, old.Name, "remember", "k", "old"); err != nil {
		t.Fatal(err)
	}
	if aid, _, ok := actorgrpc.CachedRoute(c, old.Name); !ok || aid != old.AID {
		t.Fatalf("route of %s: %q (%v); want %s cached", old.Name, aid, ok, old.AID)
	}
	if _, err := c.Stop(ctx, old.Name); err != nil {
		t.Fatal(err)
	}
	fresh := spawn(t, c, actorgrpc.SpawnOptions{Name: "moved", Kind: actorgrpc.KindThread})
	if fresh.Address != old.Address {
		t.Fatalf("the new incarnation is at %s, the old one was at %s", fresh.Address, old.Address)
	}
	// The new incarnation has no "k": its previous value is nil.
	if got, err := c.Send(ctx, old.Name, "remember", "k", "new"); err != nil || got != nil {
		t.Errorf("send to the moved name = %#v, %v; want nil from the new incarnation", got, err)
	}
	if aid, _, _ := actorgrpc.CachedRoute(c, old.Name); aid != fresh.AID {
		t.Errorf("route of %s now %q; want %s", old.Name, aid, fresh.AID)
	}
	_, err := c.SendCommand(ctx, actorgrpc.Command{Ref: &old, Action: "ping"})
	e := wantErr(t, "an ActorRef of a gone incarnation", err, actorgrpc.ErrActorNotHosted)
	if !errors.Is(err, actorgrpc.ErrNotFound) || e.ErrorClass != "ActorNotHosted" {
		t.Errorf("%v (class %q) is not also ErrNotFound / ActorNotHosted", err, e.ErrorClass)
	}
	_, err = c.Send(ctx, old.AID, "ping")
	wantErr(t, "the aid of a gone incarnation", err, actorgrpc.ErrNotFound)
}

// A process actor killed with SIGKILL: a call pending on its stream fails
// with UNAVAILABLE; its supervisor restarts it under its name (restart
// permanent), and the next call finds the new incarnation.
func TestKilledActor(t *testing.T) {
	c := testenv.Client(t)
	ref := spawn(t, c, actorgrpc.SpawnOptions{Name: "killed", Restart: actorgrpc.RestartPermanent})
	pid := actorPID(t, c, ref.Name)
	result := make(chan error, 1)
	go func() {
		_, err := c.SendCommand(context.Background(), actorgrpc.Command{Target: ref.Name, Action: "sleep",
			Args: []any{30}, Timeout: callTimeout})
		result <- err
	}()
	// The sleep is pending on our side and running on the actor's.
	waitFor(t, "the sleep to be pending", callTimeout, func() bool { return actorgrpc.PendingCalls(c) == 1 })
	waitFor(t, "the actor to run the sleep", callTimeout, func() bool {
		info, err := c.SendViaArbiter(ctxFor(t), ref.Name, "info")
		events, _ := info.(map[string]any)["events"].(map[string]any)
		return err == nil && events["mailbox_depth"] == 1.0
	})
	kill9(t, pid)
	select {
	case err := <-result:
		wantErr(t, "a call pending when its actor is killed", err, actorgrpc.ErrUnavailable)
	case <-time.After(callTimeout):
		t.Fatal("the pending call did not fail when its actor was killed")
	}
	// Restarted under its name: a send waits for it (within its deadline).
	got, err := c.Send(ctxFor(t), ref.Name, "info")
	if err != nil {
		t.Fatalf("send after the restart: %v", err)
	}
	actor, _ := got.(map[string]any)["actor"].(map[string]any)
	if actor["process_id"] == float64(pid) || actor["aid"] == ref.AID || actor["name"] != ref.Name {
		t.Errorf("the restarted actor: %v (old pid %d, aid %s)", actor, pid, ref.AID)
	}
	s, err := c.GetActor(ctxFor(t), ref.Name)
	if err != nil || s.Restarts != 1 || s.Restart != actorgrpc.RestartPermanent {
		t.Errorf("summary after the restart: %+v, %v", s, err)
	}
}

// The asks pending on one stream are bounded: one more fails at once.
func TestPendingCallsAreBounded(t *testing.T) {
	c := testenv.Client(t, actorgrpc.WithMaxPending(2))
	ref := spawn(t, c, actorgrpc.SpawnOptions{Name: "bounded"})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.Send(ctx, ref.Name, "sleep", 30) // ends when the test cancels ctx
		}()
	}
	waitFor(t, "two pending calls", callTimeout, func() bool { return actorgrpc.PendingCalls(c) == 2 })
	_, err := c.Send(ctxFor(t), ref.Name, "ping")
	e := wantErr(t, "a third pending call", err, actorgrpc.ErrResourceExhausted)
	if errors.Is(err, actorgrpc.ErrTooLarge) {
		t.Errorf("%v matches ErrTooLarge (reason %q)", err, e.Reason)
	}
	cancel()
	wg.Wait()
	if got, err := c.Send(ctxFor(t), ref.Name, "ping"); err != nil || got != "pong" {
		t.Errorf("after the pending calls ended: %#v, %v", got, err)
	}
}
