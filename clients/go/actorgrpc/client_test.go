package actorgrpc_test

import (
	"context"
	"errors"
	"math"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"

	"github.com/actorgrpc/actorgrpc/clients/go/actorgrpc"
	"github.com/actorgrpc/actorgrpc/clients/go/internal/testenv"
)

func TestSpawnSendInfoStop(t *testing.T) {
	c := testenv.Client(t)
	ctx := ctxFor(t)
	ref := spawn(t, c, actorgrpc.SpawnOptions{Name: "basic", Extra: map[string]any{"color": "blue"}})
	if ref.Name != "go-test-basic" || ref.AID == "" || ref.Address == "" || ref.State != actorgrpc.StateRunning {
		t.Fatalf("spawn returned %+v", ref)
	}

	type tagged struct {
		Name  string  `json:"name"`
		Score float64 `json:"score"`
	}
	nested := map[string]any{
		"s": "hé ✓", "n": 3, "f": 2.5, "b": true, "z": nil,
		"l":      []any{1, "two", []any{3}, map[string]any{"four": 4}},
		"typed":  []string{"a", "b"},
		"struct": tagged{Name: "x", Score: 0.25},
		"deep":   map[string]any{"a": map[string]any{"b": map[string]any{"c": []any{[]any{}}}}},
		"empty":  map[string]any{},
	}
	want := map[string]any{
		"s": "hé ✓", "n": 3.0, "f": 2.5, "b": true, "z": nil,
		"l":      []any{1.0, "two", []any{3.0}, map[string]any{"four": 4.0}},
		"typed":  []any{"a", "b"},
		"struct": map[string]any{"name": "x", "score": 0.25},
		"deep":   map[string]any{"a": map[string]any{"b": map[string]any{"c": []any{[]any{}}}}},
		"empty":  map[string]any{},
	}
	for _, s := range senders {
		t.Run(s.name, func(t *testing.T) {
			call := func(cmd actorgrpc.Command) (any, error) {
				if cmd.Target == "" {
					cmd.Target = ref.Name
				}
				return s.send(c, ctx, cmd)
			}
			if got, err := call(actorgrpc.Command{Action: "ping"}); err != nil || got != "pong" {
				t.Fatalf("ping = %#v, %v", got, err)
			}
			// By aid and by ActorRef as well as by name.
			if got, err := call(actorgrpc.Command{Target: ref.AID, Action: "ping"}); err != nil || got != "pong" {
				t.Fatalf("ping by aid = %#v, %v", got, err)
			}
			if got, err := call(actorgrpc.Command{Ref: &ref, Action: "ping"}); err != nil || got != "pong" {
				t.Fatalf("ping by ActorRef = %#v, %v", got, err)
			}
			got, err := call(actorgrpc.Command{Action: "echo", Args: []any{nested}})
			if err != nil || !reflect.DeepEqual(got, want) {
				t.Errorf("echo returned\n%#v, %v\nwant\n%#v", got, err, want)
			}
			if got, err := call(actorgrpc.Command{Action: "echo", Args: []any{nil}}); err != nil || got != nil {
				t.Errorf("echo(nil) = %#v, %v", got, err)
			}
			if got, err := call(actorgrpc.Command{Action: "echo", Args: []any{actorgrpc.MaxSafeInteger}}); err != nil || got != float64(actorgrpc.MaxSafeInteger) {
				t.Errorf("echo(MaxSafeInteger) = %#v, %v", got, err)
			}
			if got, err := call(actorgrpc.Command{Action: "add", Args: []any{2, 3}}); err != nil || got != 5.0 {
				t.Errorf("add(2, 3) = %#v, %v", got, err)
			}
			got, err = call(actorgrpc.Command{Action: "greet", Kwargs: map[string]any{"name": "go", "punctuation": "?"}})
			if want := "hello go? from go-test-basic"; err != nil || got != want {
				t.Errorf("greet = %#v, %v; want %q", got, err, want)
			}
			// remember returns the previous value: state is kept between calls.
			key := "k" + s.name
			for j, want := range []any{nil, "v1"} {
				got, err := call(actorgrpc.Command{Action: "remember", Args: []any{key, "v" + string(rune('1'+j))}})
				if err != nil || got != want {
					t.Errorf("remember #%d = %#v, %v; want %#v", j, got, err, want)
				}
			}
		})
	}

	info, err := c.Info(ctx, ref.Name)
	if err != nil {
		t.Fatalf("info: %v", err)
	}
	for _, key := range []string{"actor", "events", "extra", "system"} {
		if _, ok := info[key]; !ok {
			t.Errorf("info has no %q: %v", key, info)
		}
	}
	if actor, _ := info["actor"].(map[string]any); actor["name"] != ref.Name || actor["aid"] != ref.AID {
		t.Errorf("info.actor = %v, want name %s aid %s", info["actor"], ref.Name, ref.AID)
	}
	if extra, _ := info["extra"].(map[string]any); extra["color"] != "blue" || extra["kdirect"] != "v2" || extra["kvia-arbiter"] != "v2" {
		t.Errorf("info.extra = %v, want color=blue (spawn) and kdirect=kvia-arbiter=v2 (remember)", info["extra"])
	}

	stopped, err := c.Stop(ctx, ref.Name)
	if err != nil {
		t.Fatalf("stop: %v", err)
	}
	if stopped.Actor.AID != ref.AID || stopped.Actor.State != actorgrpc.StateClosed || stopped.ExitCode != 0 {
		t.Errorf("a graceful stop returned %+v; want aid %s, closed, exit 0", stopped, ref.AID)
	}
	if _, err := c.Send(ctx, ref.Name, "ping"); !errors.Is(err, actorgrpc.ErrNotFound) {
		t.Errorf("ping after stop: %v; want ErrNotFound", err)
	}
	if _, err := c.SendViaArbiter(ctx, ref.Name, "ping"); !errors.Is(err, actorgrpc.ErrNotFound) {
		t.Errorf("ping via the arbiter after stop: %v; want ErrNotFound", err)
	}
	// The name is free again.
	again := spawn(t, c, actorgrpc.SpawnOptions{Name: "basic", Kind: actorgrpc.KindThread})
	if again.AID == ref.AID {
		t.Errorf("a new incarnation kept the aid %s", ref.AID)
	}
	if got, err := c.Send(ctx, again.Name, "ping"); err != nil || got != "pong" {
		t.Errorf("ping of the new incarnation = %#v, %v", got, err)
	}
}

func TestArbiterAnswers(t *testing.T) {
	c := testenv.Client(t)
	ctx := ctxFor(t)
	for _, s := range senders {
		if got, err := s.send(c, ctx, actorgrpc.Command{Target: "arbiter", Action: "ping"}); err != nil || got != "pong" {
			t.Errorf("%s: arbiter ping = %#v, %v", s.name, got, err)
		}
	}
	// The direct path reaches the arbiter's own mailbox without resolving it.
	if aid, address, ok := actorgrpc.CachedRoute(c, "arbiter"); !ok || aid != "arbiter" || address != c.Address() {
		t.Errorf("the arbiter's route: %q at %q (%v)", aid, address, ok)
	}
	info, err := c.Info(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"actor", "monitors", "system"} {
		if _, ok := info[key]; !ok {
			t.Errorf("arbiter info has no %q", key)
		}
	}
}

func TestListAndGetActors(t *testing.T) {
	c := testenv.Client(t)
	ctx := ctxFor(t)
	b := spawn(t, c, actorgrpc.SpawnOptions{Name: "list-b", Restart: actorgrpc.RestartTransient})
	a := spawn(t, c, actorgrpc.SpawnOptions{Name: "list-a", Kind: actorgrpc.KindThread})
	// PageSize 1 makes the client follow next_page_token.
	for _, pageSize := range []int{0, 1} {
		got, err := c.ListActors(ctx, actorgrpc.ListOptions{NamePrefix: "go-test-list-", PageSize: pageSize})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, s := range got {
			names = append(names, s.Actor.Name)
		}
		if want := []string{a.Name, b.Name}; !slices.Equal(names, want) {
			t.Fatalf("page size %d: listed %v, want %v (ordered by name)", pageSize, names, want)
		}
		if got[0].Kind != actorgrpc.KindThread || got[1].Kind != actorgrpc.KindProcess {
			t.Errorf("kinds %v, %v; want thread, process", got[0].Kind, got[1].Kind)
		}
		p := got[1]
		// ActorSummary.monitor is "arbiter" for an actor spawned directly,
		// says the proto; today's arbiter leaves it empty.
		if p.Monitor != "arbiter" && p.Monitor != "" {
			t.Errorf("monitor %q", p.Monitor)
		}
		if p.PID <= 0 || p.PID == os.Getpid() || p.Actor.State != actorgrpc.StateRunning ||
			p.Restart != actorgrpc.RestartTransient || p.CreatedAt.IsZero() || p.CrashReport != nil {
			t.Errorf("process actor summary %+v", p)
		}
	}
	only, err := c.ListActors(ctx, actorgrpc.ListOptions{NamePrefix: "go-test-list-", State: actorgrpc.StateRunning, PageSize: 1})
	if err != nil || len(only) != 2 {
		t.Errorf("running actors: %v, %v", only, err)
	}
	s, err := c.GetActor(ctx, b.Name)
	if err != nil || s.Actor.AID != b.AID || s.Actor.Address != b.Address {
		t.Errorf("GetActor(%s) = %+v, %v", b.Name, s, err)
	}
	if _, err := c.GetActor(ctx, "go-test-nobody"); !errors.Is(err, actorgrpc.ErrNotFound) {
		t.Errorf("GetActor(nobody): %v; want ErrNotFound", err)
	}
	// An actor that exited keeps its crash report while it is listed.
	if _, err := c.Stop(ctx, b.Name); err != nil {
		t.Fatal(err)
	}
	exited, err := c.ListActors(ctx, actorgrpc.ListOptions{NamePrefix: b.Name, IncludeExited: true})
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(exited, func(s actorgrpc.ActorSummary) bool { return s.Actor.AID == b.AID })
	if i < 0 {
		t.Fatalf("the stopped actor is not listed with IncludeExited: %+v", exited)
	}
	if cr := exited[i].CrashReport; cr == nil || !cr.StopRequested || cr.ExitCode != 0 || cr.ExitedAt.IsZero() ||
		exited[i].Actor.State != actorgrpc.StateClosed {
		t.Errorf("the stopped actor: %+v, crash report %+v", exited[i], cr)
	}
}

func TestErrors(t *testing.T) {
	c := testenv.Client(t)
	ctx := ctxFor(t)
	ref := spawn(t, c, actorgrpc.SpawnOptions{Name: "err"})

	// reason: what the arbiter's status details must say; the stream's
	// Failure carries no reason, only the code and the exception's type.
	for _, s := range senders {
		t.Run(s.name, func(t *testing.T) {
			for _, tc := range []struct {
				what     string
				cmd      actorgrpc.Command
				sentinel error
				reason   string
			}{
				{"send to an unknown actor", actorgrpc.Command{Target: "go-test-nobody", Action: "ping"}, actorgrpc.ErrNotFound, actorgrpc.ReasonActorNotFound},
				{"unknown action", actorgrpc.Command{Target: ref.Name, Action: "no_such_action"}, actorgrpc.ErrUnimplemented, actorgrpc.ReasonCommandNotFound},
				{"add with one argument", actorgrpc.Command{Target: ref.Name, Action: "add", Args: []any{1}}, actorgrpc.ErrInvalidArgument, actorgrpc.ReasonInvalidArgument},
				{"a command that raises", actorgrpc.Command{Target: ref.Name, Action: "boom", Args: []any{"kaput"}}, actorgrpc.ErrCommandFailed, actorgrpc.ReasonCommandError},
				// Refused before anything is sent: values with no JSON shape,
				// numbers out of range, a message over the limit (4 MiB).
				{"a channel argument", actorgrpc.Command{Target: ref.Name, Action: "echo", Args: []any{make(chan int)}}, actorgrpc.ErrInvalidArgument, actorgrpc.ReasonInvalidArgument},
				{"2^53", actorgrpc.Command{Target: ref.Name, Action: "echo", Args: []any{[]any{1 << 53}}}, actorgrpc.ErrInvalidArgument, actorgrpc.ReasonInvalidArgument},
				{"NaN", actorgrpc.Command{Target: ref.Name, Action: "echo", Kwargs: map[string]any{"x": math.NaN()}}, actorgrpc.ErrInvalidArgument, actorgrpc.ReasonInvalidArgument},
				{"a 5 MiB argument", actorgrpc.Command{Target: ref.Name, Action: "echo", Args: []any{strings.Repeat("x", 5<<20)}}, actorgrpc.ErrTooLarge, actorgrpc.ReasonMessageTooLarge},
			} {
				_, err := s.send(c, ctx, tc.cmd)
				e := wantErr(t, tc.what, err, tc.sentinel)
				if (s.name == "via-arbiter" || e.Reason != "") && e.Reason != tc.reason {
					t.Errorf("%s: reason %q, want %q", tc.what, e.Reason, tc.reason)
				}
				switch tc.what {
				case "a command that raises":
					if !strings.Contains(e.Message, "ValueError: kaput") || e.ExceptionType != "ValueError" {
						t.Errorf("boom: message %q, exception type %q", e.Message, e.ExceptionType)
					}
				case "2^53":
					if want := "integer 9007199254740992 is out of range: JSON-shaped values carry integers within ±(2^53 - 1)"; !strings.Contains(e.Message, want) {
						t.Errorf("2^53: %q does not say %q", e.Message, want)
					}
				}
			}
			// The actor is still fine after all that.
			if got, err := s.send(c, ctx, actorgrpc.Command{Target: ref.Name, Action: "ping"}); err != nil || got != "pong" {
				t.Errorf("ping after the errors = %#v, %v", got, err)
			}
		})
	}

	control := func(what string, err, sentinel error, reason string) {
		t.Helper()
		if e := wantErr(t, what, err, sentinel); e.Reason != reason {
			t.Errorf("%s: reason %q, want %q", what, e.Reason, reason)
		}
	}
	_, err := c.Info(ctx, "go-test-nobody")
	control("info of an unknown actor", err, actorgrpc.ErrNotFound, actorgrpc.ReasonActorNotFound)
	_, err = c.Stop(ctx, "go-test-nobody")
	control("stop of an unknown actor", err, actorgrpc.ErrNotFound, actorgrpc.ReasonActorNotFound)
	_, err = c.Spawn(ctx, actorgrpc.SpawnOptions{Name: "go-test-badhook", Start: "not a reference"})
	control("malformed hook reference", err, actorgrpc.ErrInvalidArgument, actorgrpc.ReasonInvalidArgument)
	_, err = c.Spawn(ctx, actorgrpc.SpawnOptions{Name: ref.Name})
	control("duplicate name", err, actorgrpc.ErrAlreadyExists, actorgrpc.ReasonAlreadyExists)
	_, err = c.Spawn(ctx, actorgrpc.SpawnOptions{Name: "go-test-badhook", Start: "os:system"})
	control("a hook outside the allowed modules", err, actorgrpc.ErrPermissionDenied, actorgrpc.ReasonPermissionDenied)
	_, err = c.Spawn(ctx, actorgrpc.SpawnOptions{Name: "go-test-badexec", Kind: actorgrpc.KindExec, Program: "not-registered"})
	control("an unregistered program", err, actorgrpc.ErrPermissionDenied, actorgrpc.ReasonPermissionDenied)
	_, err = c.Spawn(ctx, actorgrpc.SpawnOptions{Name: "go-test-badextra", Extra: map[string]any{"n": uint64(1) << 60}})
	control("an extra out of range", err, actorgrpc.ErrInvalidArgument, actorgrpc.ReasonInvalidArgument)
}

func TestDeadlines(t *testing.T) {
	c := testenv.Client(t)
	ref := spawn(t, c, actorgrpc.SpawnOptions{Name: "deadline"})
	// sleep(3) against a 200 ms deadline: the deadline must cut it short.
	// Returning before 2.5 s proves that (it leaves 2.3 s for a slow machine
	// to deliver the error), without asserting how fast that is.
	const sleepSeconds, deadline, cutShort = 3, 200 * time.Millisecond, 2500 * time.Millisecond

	for _, s := range senders {
		check := func(what string, call func() (any, error)) {
			t.Helper()
			start := time.Now()
			_, err := call()
			elapsed := time.Since(start)
			wantErr(t, s.name+": "+what, err, actorgrpc.ErrDeadlineExceeded)
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("%s: %s: %v does not match context.DeadlineExceeded", s.name, what, err)
			}
			if elapsed >= cutShort {
				t.Errorf("%s: %s took %v: the deadline did not cut the sleep short", s.name, what, elapsed)
			}
		}
		check("Command.Timeout", func() (any, error) {
			return s.send(c, ctxFor(t), actorgrpc.Command{Target: ref.Name, Action: "sleep",
				Args: []any{sleepSeconds}, Timeout: deadline})
		})
		check("context deadline", func() (any, error) {
			ctx, cancel := context.WithTimeout(context.Background(), deadline)
			defer cancel()
			return s.send(c, ctx, actorgrpc.Command{Target: ref.Name, Action: "sleep", Args: []any{sleepSeconds}})
		})
		// An expired context fails without a round trip.
		ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
		_, err := s.send(c, ctx, actorgrpc.Command{Target: ref.Name, Action: "ping"})
		cancel()
		wantErr(t, s.name+": expired context", err, actorgrpc.ErrDeadlineExceeded)

		// A short sleep within its deadline succeeds, and the actor still answers.
		if got, err := s.send(c, ctxFor(t), actorgrpc.Command{Target: ref.Name, Action: "sleep",
			Args: []any{0.01}, Timeout: 10 * time.Second}); err != nil || got != 0.01 {
			t.Errorf("%s: sleep(0.01) = %#v, %v", s.name, got, err)
		}
	}
	// The client's default timeout bounds a call whose context has none.
	short := testenv.Client(t, actorgrpc.WithDefaultTimeout(deadline))
	start := time.Now()
	_, err := short.Send(context.Background(), ref.Name, "sleep", sleepSeconds)
	wantErr(t, "default timeout", err, actorgrpc.ErrDeadlineExceeded)
	if elapsed := time.Since(start); elapsed >= cutShort {
		t.Errorf("the default timeout let a call run %v", elapsed)
	}
}

func TestCanceled(t *testing.T) {
	c := testenv.Client(t)
	ref := spawn(t, c, actorgrpc.SpawnOptions{Name: "cancel"})
	for _, s := range senders {
		sent := newSentSignal()
		c2 := testenv.Client(t, actorgrpc.WithDialOptions(grpc.WithStatsHandler(sent)))
		// Resolved and connected first: the signal is then the sleep's own message.
		if _, err := s.send(c2, ctxFor(t), actorgrpc.Command{Target: ref.Name, Action: "ping"}); err != nil {
			t.Fatal(err)
		}
		sent.armed.Store(true)
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			<-sent.ch // the request is on the wire
			cancel()
		}()
		_, err := s.send(c2, ctx, actorgrpc.Command{Target: ref.Name, Action: "sleep", Args: []any{30}})
		cancel()
		wantErr(t, s.name+": a canceled call", err, actorgrpc.ErrCanceled)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s: %v does not match context.Canceled", s.name, err)
		}
	}
}

// TestUnavailableWhenTheArbiterStops uses an arbiter of its own, stopped while
// a call through it is in flight; calls to a stopped arbiter fail the same way.
func TestUnavailableWhenTheArbiterStops(t *testing.T) {
	arb := testenv.StartArbiter(t)
	ctx := ctxFor(t)
	sent := newSentSignal()
	c, err := actorgrpc.Dial(ctx, arb.Address, actorgrpc.WithDialOptions(grpc.WithStatsHandler(sent)))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ref, err := c.Spawn(ctx, actorgrpc.SpawnOptions{Name: "go-test-unavailable"})
	if err != nil {
		t.Fatal(err)
	}
	pid := actorPID(t, c, ref.Name)
	stopped := make(chan error, 1)
	go func() {
		<-sent.ch // the sleep request is on the wire
		stopped <- arb.Stop(pid)
	}()
	sent.armed.Store(true)
	// The sleep outlasts the arbiter's whole stop (at most StopTimeout, 10 s,
	// before it is killed); its 25 s timeout still ends the test if the
	// arbiter never answers.
	_, err = c.SendCommandViaArbiter(context.Background(), actorgrpc.Command{Target: ref.Name, Action: "sleep",
		Args: []any{30}, Timeout: 25 * time.Second})
	wantErr(t, "a call in flight when the arbiter stops", err, actorgrpc.ErrUnavailable)
	if err := <-stopped; err != nil {
		t.Errorf("%v\narbiter output:\n%s", err, arb.Output())
	}
	for _, s := range senders {
		_, err = s.send(c, ctx, actorgrpc.Command{Target: ref.Name, Action: "ping"})
		wantErr(t, s.name+": a call to a stopped arbiter", err, actorgrpc.ErrUnavailable)
	}

	// Dial gives up when ctx ends. 300 ms: nothing listens there any more.
	dctx, dcancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer dcancel()
	_, err = actorgrpc.Dial(dctx, arb.Address)
	wantErr(t, "dial a stopped arbiter", err, actorgrpc.ErrUnavailable)
}

func BenchmarkSendPing(b *testing.B) {
	c := testenv.Client(b)
	ctx := context.Background()
	ref, err := c.Spawn(ctx, actorgrpc.SpawnOptions{Name: "go-test-bench"})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Stop(ctx, ref.Name)
	for b.Loop() {
		if _, err := c.Send(ctx, ref.Name, "ping"); err != nil {
			b.Fatal(err)
		}
	}
}
