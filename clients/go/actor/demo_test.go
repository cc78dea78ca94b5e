package actor_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/actorgrpc/actorgrpc/clients/go/actorgrpc"
	"github.com/actorgrpc/actorgrpc/clients/go/internal/testenv"
)

// The demo actor's commands give Python's demo results, on both paths.
func TestDemoCommands(t *testing.T) {
	c := testenv.Client(t)
	ref := spawnGo(t, c, "demo", actorgrpc.SpawnOptions{Extra: map[string]any{"color": "blue"}})
	if ref.Address == "" || ref.Address == c.Address() || ref.State != actorgrpc.StateRunning {
		t.Fatalf("spawned %+v", ref)
	}
	nested := map[string]any{"s": "hé", "n": 3.0, "f": 2.5, "b": true, "z": nil,
		"l": []any{1.0, "two", []any{3.0}, map[string]any{"four": 4.0}}}
	for _, s := range senders {
		t.Run(s.name, func(t *testing.T) {
			for _, tc := range []struct {
				cmd  actorgrpc.Command
				want any
			}{
				{actorgrpc.Command{Action: "ping"}, "pong"},
				{actorgrpc.Command{Action: "echo", Args: []any{nested}}, nested},
				{actorgrpc.Command{Action: "echo"}, nil},
				{actorgrpc.Command{Action: "add", Args: []any{2, 3}}, 5.0},
				{actorgrpc.Command{Action: "add", Args: []any{"ab", "cd"}}, "abcd"},
				{actorgrpc.Command{Action: "add", Kwargs: map[string]any{"a": []any{1}, "b": []any{2}}}, []any{1.0, 2.0}},
				{actorgrpc.Command{Action: "greet"}, "hello world! from " + ref.Name},
				{actorgrpc.Command{Action: "greet", Kwargs: map[string]any{"name": "go", "punctuation": "?"}}, "hello go? from " + ref.Name},
				{actorgrpc.Command{Action: "greet", Args: []any{"pos"}}, "hello pos! from " + ref.Name},
				{actorgrpc.Command{Action: "sleep", Args: []any{0.01}}, 0.01},
				{actorgrpc.Command{Action: "count", Args: []any{2}}, nil}, // fire and forget: null at once
			} {
				tc.cmd.Target = ref.Name
				got, err := s.send(c, ctxFor(t), tc.cmd)
				if err != nil || !reflect.DeepEqual(got, tc.want) {
					t.Errorf("%s %v %v = %#v, %v; want %#v", tc.cmd.Action, tc.cmd.Args, tc.cmd.Kwargs, got, err, tc.want)
				}
			}
			// remember keeps state between calls.
			key := "k-" + s.name
			for i, want := range []any{nil, "v0"} {
				got, err := s.send(c, ctxFor(t), actorgrpc.Command{Target: ref.Name, Action: "remember", Args: []any{key, fmt.Sprint("v", i)}})
				if err != nil || got != want {
					t.Errorf("remember #%d = %#v, %v; want %#v", i, got, err, want)
				}
			}
		})
	}
	got, err := c.Send(ctxFor(t), ref.Name, "commands")
	want := []any{"add", "boom", "commands", "count", "echo", "freeze", "greet", "info", "ping", "relay", "remember", "sleep", "stop"}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("commands = %v, %v", got, err)
	}
	info, err := c.Info(ctxFor(t), ref.Name)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"actor", "events", "extra", "system"} {
		if _, ok := info[key]; !ok {
			t.Errorf("info has no %q", key)
		}
	}
	actor, _ := info["actor"].(map[string]any)
	if actor["kind"] != "exec" || actor["aid"] != ref.AID || actor["name"] != ref.Name ||
		actor["state_description"] != "running" || actor["state"] != 3.0 || !strings.HasPrefix(actor["runtime"].(string), "go") {
		t.Errorf("info.actor = %v", actor)
	}
	// count ran (2 from each path), and remember wrote extra, beside the spawn's.
	extra, _ := info["extra"].(map[string]any)
	if extra["color"] != "blue" || extra["count"] != 4.0 || extra["k-direct"] != "v1" || extra["k-via-arbiter"] != "v1" {
		t.Errorf("info.extra = %v", extra)
	}
	if system, _ := info["system"].(map[string]any); system["memory_rss"].(float64) <= 0 {
		t.Errorf("info.system = %v", system)
	}
	// The arbiter's summary shows what its beats said.
	waitFor(t, "a beat with the actor's load", callTimeout, func() bool {
		s, ok := running(t, c, ref.Name, "")
		return ok && s.MemoryRSSBytes > 0 && s.Processed > 0 && s.Program == testenv.DemoProgram
	})
}

func TestDemoErrors(t *testing.T) {
	c := testenv.Client(t)
	ref := spawnGo(t, c, "errors", actorgrpc.SpawnOptions{})
	for _, s := range senders {
		t.Run(s.name, func(t *testing.T) {
			for _, tc := range []struct {
				cmd           actorgrpc.Command
				sentinel      error
				msg, excType  string
				arbiterReason string
			}{
				{actorgrpc.Command{Action: "boom", Args: []any{"kaput"}}, actorgrpc.ErrCommandFailed, "ValueError: kaput", "ValueError", actorgrpc.ReasonCommandError},
				{actorgrpc.Command{Action: "boom"}, actorgrpc.ErrCommandFailed, "ValueError: boom", "ValueError", actorgrpc.ReasonCommandError},
				{actorgrpc.Command{Action: "add", Args: []any{1, "x"}}, actorgrpc.ErrCommandFailed, "TypeError: unsupported operand type(s) for +: 'float' and 'str'", "TypeError", actorgrpc.ReasonCommandError},
				{actorgrpc.Command{Action: "fly"}, actorgrpc.ErrUnimplemented, "unknown command 'fly'", "", actorgrpc.ReasonCommandNotFound},
				{actorgrpc.Command{Action: "add", Args: []any{1}}, actorgrpc.ErrInvalidArgument, "bad arguments for command 'add': missing a required argument: 'b'", "", actorgrpc.ReasonInvalidArgument},
				{actorgrpc.Command{Action: "add", Args: []any{1, 2, 3}}, actorgrpc.ErrInvalidArgument, "too many positional arguments", "", actorgrpc.ReasonInvalidArgument},
				{actorgrpc.Command{Action: "greet", Kwargs: map[string]any{"nope": 1}}, actorgrpc.ErrInvalidArgument, "got an unexpected keyword argument 'nope'", "", actorgrpc.ReasonInvalidArgument},
				{actorgrpc.Command{Action: "sleep", Args: []any{3}, Timeout: 200 * time.Millisecond}, actorgrpc.ErrDeadlineExceeded, "", "", actorgrpc.ReasonActorTimeout},
			} {
				tc.cmd.Target = ref.Name
				start := time.Now()
				_, err := s.send(c, ctxFor(t), tc.cmd)
				e := wantErr(t, tc.cmd.Action, err, tc.sentinel)
				if !strings.Contains(e.Message, tc.msg) || e.ExceptionType != tc.excType {
					t.Errorf("%s: message %q type %q; want %q, %q", tc.cmd.Action, e.Message, e.ExceptionType, tc.msg, tc.excType)
				}
				if s.name == "via-arbiter" && e.Reason != tc.arbiterReason {
					t.Errorf("%s: reason %q, want %q", tc.cmd.Action, e.Reason, tc.arbiterReason)
				}
				// The sleep of 3 s is cut short by its 200 ms timeout; 2.5 s
				// leaves 2.3 s for a slow machine to deliver the error.
				if elapsed := time.Since(start); elapsed > 2500*time.Millisecond {
					t.Errorf("%s took %v", tc.cmd.Action, elapsed)
				}
			}
			if got, err := s.send(c, ctxFor(t), actorgrpc.Command{Target: ref.Name, Action: "ping"}); err != nil || got != "pong" {
				t.Errorf("ping after the errors: %#v, %v", got, err)
			}
		})
	}
	// An ActorRef of another aid at the actor's address: not hosted there.
	other := ref
	other.AID = "someone-else"
	_, err := c.SendCommand(ctxFor(t), actorgrpc.Command{Ref: &other, Action: "ping"})
	wantErr(t, "another aid", err, actorgrpc.ErrActorNotHosted)
}

// Bursts from many goroutines share frames and batch envelopes
// (batch_args_json, answered with batch_results_json), and calls of one
// goroutine keep their order, tells and asks alike.
func TestDemoBurstAndOrder(t *testing.T) {
	c := testenv.Client(t)
	ref := spawnGo(t, c, "burst", actorgrpc.SpawnOptions{})
	const n = 3000
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var got, want any
			var err error
			if i%4 == 3 {
				got, err = c.SendCommand(ctxFor(t), actorgrpc.Command{Target: ref.Name, Action: "add", Kwargs: map[string]any{"a": i, "b": 1}})
				want = float64(i + 1)
			} else {
				got, err = c.Send(ctxFor(t), ref.Name, "echo", i)
				want = float64(i)
			}
			if err != nil || got != want {
				errs <- fmt.Errorf("call %d: %#v, %v; want %v", i, got, err, want)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for i := range 1000 {
		if err := c.Tell(ctxFor(t), ref.Name, "remember", "seq", i); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := c.Send(ctxFor(t), ref.Name, "remember", "seq", "end"); err != nil || got != 999.0 {
		t.Errorf("after 1000 tells: %#v, %v; want 999", got, err)
	}
}

// A Concurrent command (sleep) does not hold the actor: other calls run
// while it waits. freeze, which is not, holds everything behind it.
func TestDemoConcurrentCommands(t *testing.T) {
	c := testenv.Client(t)
	ref := spawnGo(t, c, "concurrent", actorgrpc.SpawnOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	slept := make(chan error, 1)
	go func() {
		_, err := c.Send(ctx, ref.Name, "sleep", 30)
		slept <- err
	}()
	waitFor(t, "the sleep to run", callTimeout, func() bool {
		info, err := c.Send(ctxFor(t), ref.Name, "info")
		events, _ := info.(map[string]any)["events"].(map[string]any)
		return err == nil && events["running_concurrently"] == 1.0
	})
	// The info above ran while the sleep was running: ask once more.
	if got, err := c.Send(ctxFor(t), ref.Name, "ping"); err != nil || got != "pong" {
		t.Errorf("ping while a sleep runs: %#v, %v", got, err)
	}
	cancel()
	if err := <-slept; !errors.Is(err, actorgrpc.ErrCanceled) {
		t.Errorf("the canceled sleep: %v", err)
	}
}

// A program that cannot start tells its monitor why: the spawn fails with it.
func TestStartFailure(t *testing.T) {
	c := testenv.Client(t)
	_, err := c.Spawn(ctxFor(t), actorgrpc.SpawnOptions{Name: "go-actor-broken", Kind: actorgrpc.KindExec, Program: "go-broken"})
	e := wantErr(t, "a start that fails", err, actorgrpc.ErrSpawnFailed)
	if !strings.Contains(e.Message, "asked to fail at start") {
		t.Errorf("spawn error %q does not say why", e.Message)
	}
	// Hooks are Python's: refused for exec actors.
	_, err = c.Spawn(ctxFor(t), actorgrpc.SpawnOptions{Name: "go-actor-hook", Kind: actorgrpc.KindExec,
		Program: testenv.DemoProgram, Start: "actorgrpc.examples.demo:on_start"})
	wantErr(t, "a hook for an exec actor", err, actorgrpc.ErrInvalidArgument)
}

// Stopping: by the arbiter (a StopOrder, obeyed: exit 0), and by the stop
// command (answered, then the actor exits 0).
func TestDemoStops(t *testing.T) {
	c := testenv.Client(t)
	for _, how := range []string{"stop order", "stop command"} {
		ref := spawnGo(t, c, strings.ReplaceAll(how, " ", "-"), actorgrpc.SpawnOptions{})
		s, _ := running(t, c, ref.Name, "")
		pid := s.PID
		if how == "stop order" {
			stopped, err := c.Stop(ctxFor(t), ref.Name)
			if err != nil || stopped.ExitCode != 0 || stopped.Actor.State != actorgrpc.StateClosed {
				t.Errorf("%s: %+v, %v", how, stopped, err)
			}
		} else {
			if got, err := c.Send(ctxFor(t), ref.Name, "stop"); err != nil || got != nil {
				t.Errorf("%s: %#v, %v", how, got, err)
			}
			waitFor(t, "the stopped actor's exit", callTimeout, func() bool {
				s, ok := summary(t, c, ref.Name, ref.AID)
				return ok && s.CrashReport != nil
			})
			if s, _ := summary(t, c, ref.Name, ref.AID); s.CrashReport.ExitCode != 0 {
				t.Errorf("%s: crash report %+v", how, s.CrashReport)
			}
		}
		waitFor(t, "the process to end", callTimeout, func() bool { return !alive(pid) })
	}
}

// A Go actor calls other actors with its own client (the arbiter's internal
// credential): Python actors, Go actors, the arbiter; their failures come
// back as they were.
func TestActorToActor(t *testing.T) {
	c := testenv.Client(t)
	relay := spawnGo(t, c, "relay", actorgrpc.SpawnOptions{})
	peer := spawnGo(t, c, "relay-peer", actorgrpc.SpawnOptions{})
	python, err := c.Spawn(ctxFor(t), actorgrpc.SpawnOptions{Name: "go-actor-relay-python"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Stop(context.Background(), python.Name) })
	for _, tc := range []struct {
		args []any
		want any
	}{
		{[]any{python.Name, "add", 2, 3}, 5.0},
		{[]any{python.Name, "greet", "go"}, "hello go! from " + python.Name},
		{[]any{peer.Name, "add", "a", "b"}, "ab"},
		{[]any{"arbiter", "ping"}, "pong"},
	} {
		if got, err := c.Send(ctxFor(t), relay.Name, "relay", tc.args...); err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("relay %v = %#v, %v; want %#v", tc.args, got, err, tc.want)
		}
	}
	_, err = c.Send(ctxFor(t), relay.Name, "relay", python.Name, "boom", "far")
	if e := wantErr(t, "a relayed failure", err, actorgrpc.ErrCommandFailed); e.ExceptionType != "ValueError" || e.Message != "ValueError: far" {
		t.Errorf("relayed boom: %+v", e)
	}
	_, err = c.Send(ctxFor(t), relay.Name, "relay", "go-actor-nobody", "ping")
	wantErr(t, "a relay to nobody", err, actorgrpc.ErrNotFound)
}
