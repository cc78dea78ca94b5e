package actorgrpc_test

import (
	"context"
	"errors"
	"os"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/stats"

	"github.com/actorgrpc/actorgrpc/clients/go/actorgrpc"
	"github.com/actorgrpc/actorgrpc/clients/go/internal/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }

// callTimeout bounds every call of these tests; a spawn (a new Python
// process importing grpc) takes well under a second, a stop a few hundred ms.
const callTimeout = 20 * time.Second

func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	t.Cleanup(cancel)
	return ctx
}

// spawn starts an actor whose name is "go-test-" + name and stops it when the
// test ends (unless the test already did).
func spawn(t *testing.T, c *actorgrpc.Client, o actorgrpc.SpawnOptions) actorgrpc.ActorRef {
	t.Helper()
	o.Name = "go-test-" + o.Name
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

func TestSpawnSendInfoStop(t *testing.T) {
	c := testenv.Client(t)
	ctx := ctxFor(t)
	ref := spawn(t, c, actorgrpc.SpawnOptions{Name: "basic", Extra: map[string]any{"color": "blue"}})
	if ref.Name != "go-test-basic" || ref.AID == "" || ref.Address == "" || ref.State != actorgrpc.StateRunning {
		t.Fatalf("spawn returned %+v", ref)
	}

	if got, err := c.Send(ctx, ref.Name, "ping"); err != nil || got != "pong" {
		t.Fatalf("ping = %#v, %v", got, err)
	}
	// By aid as well as by name.
	if got, err := c.Send(ctx, ref.AID, "ping"); err != nil || got != "pong" {
		t.Fatalf("ping by aid = %#v, %v", got, err)
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
	got, err := c.Send(ctx, ref.Name, "echo", nested)
	if err != nil {
		t.Fatalf("echo: %v", err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("echo returned\n%#v\nwant\n%#v", got, want)
	}
	if got, err := c.Send(ctx, ref.Name, "echo", nil); err != nil || got != nil {
		t.Errorf("echo(nil) = %#v, %v", got, err)
	}

	if got, err := c.Send(ctx, ref.Name, "add", 2, 3); err != nil || got != 5.0 {
		t.Errorf("add(2, 3) = %#v, %v", got, err)
	}
	got, err = c.SendCommand(ctx, actorgrpc.Command{Target: ref.Name, Action: "greet",
		Kwargs: map[string]any{"name": "go", "punctuation": "?"}})
	if want := "hello go? from go-test-basic"; err != nil || got != want {
		t.Errorf("greet = %#v, %v; want %q", got, err, want)
	}
	// remember returns the previous value: proves state kept between calls.
	for i, want := range []any{nil, "v1"} {
		got, err := c.Send(ctx, ref.Name, "remember", "k", "v"+string(rune('1'+i)))
		if err != nil || got != want {
			t.Errorf("remember #%d = %#v, %v; want %#v", i, got, err, want)
		}
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
	if extra, _ := info["extra"].(map[string]any); extra["color"] != "blue" || extra["k"] != "v2" {
		t.Errorf("info.extra = %v, want color=blue (spawn) and k=v2 (remember)", info["extra"])
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
	// The name is free again.
	again := spawn(t, c, actorgrpc.SpawnOptions{Name: "basic", Kind: actorgrpc.KindThread})
	if again.AID == ref.AID {
		t.Errorf("a new incarnation kept the aid %s", ref.AID)
	}
}

func TestArbiterAnswers(t *testing.T) {
	c := testenv.Client(t)
	ctx := ctxFor(t)
	if got, err := c.Send(ctx, "arbiter", "ping"); err != nil || got != "pong" {
		t.Errorf("arbiter ping = %#v, %v", got, err)
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
	b := spawn(t, c, actorgrpc.SpawnOptions{Name: "list-b"})
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
			t.Errorf("kinds %q, %q; want thread, process", got[0].Kind, got[1].Kind)
		}
		if got[1].PID <= 0 || got[1].PID == os.Getpid() || got[1].Actor.State != actorgrpc.StateRunning {
			t.Errorf("process actor summary %+v", got[1])
		}
	}
	s, err := c.GetActor(ctx, b.Name)
	if err != nil || s.Actor.AID != b.AID || s.Actor.Address != b.Address {
		t.Errorf("GetActor(%s) = %+v, %v", b.Name, s, err)
	}
	if _, err := c.GetActor(ctx, "go-test-nobody"); !errors.Is(err, actorgrpc.ErrNotFound) {
		t.Errorf("GetActor(nobody): %v; want ErrNotFound", err)
	}
}

// wantErr checks that err matches sentinel and only the sentinel of its own code.
func wantErr(t *testing.T, what string, err, sentinel error) *actorgrpc.Error {
	t.Helper()
	var e *actorgrpc.Error
	if !errors.Is(err, sentinel) || !errors.As(err, &e) {
		t.Errorf("%s: got %v; want %v", what, err, sentinel)
		return &actorgrpc.Error{}
	}
	return e
}

func TestErrors(t *testing.T) {
	c := testenv.Client(t)
	ctx := ctxFor(t)
	ref := spawn(t, c, actorgrpc.SpawnOptions{Name: "err"})

	_, err := c.Send(ctx, "go-test-nobody", "ping")
	wantErr(t, "send to an unknown actor", err, actorgrpc.ErrNotFound)
	_, err = c.Info(ctx, "go-test-nobody")
	wantErr(t, "info of an unknown actor", err, actorgrpc.ErrNotFound)
	_, err = c.Stop(ctx, "go-test-nobody")
	wantErr(t, "stop of an unknown actor", err, actorgrpc.ErrNotFound)

	_, err = c.Send(ctx, ref.Name, "no_such_action")
	wantErr(t, "unknown action", err, actorgrpc.ErrUnimplemented)

	_, err = c.Send(ctx, ref.Name, "add", 1)
	wantErr(t, "add with one argument", err, actorgrpc.ErrInvalidArgument)
	_, err = c.Spawn(ctx, actorgrpc.SpawnOptions{Name: "go-test-badhook", Start: "not a reference"})
	wantErr(t, "malformed hook reference", err, actorgrpc.ErrInvalidArgument)
	// A value with no JSON shape is refused before anything is sent.
	_, err = c.Send(ctx, ref.Name, "echo", make(chan int))
	wantErr(t, "a channel argument", err, actorgrpc.ErrInvalidArgument)

	_, err = c.Spawn(ctx, actorgrpc.SpawnOptions{Name: ref.Name})
	wantErr(t, "duplicate name", err, actorgrpc.ErrAlreadyExists)

	_, err = c.Send(ctx, ref.Name, "boom", "kaput")
	e := wantErr(t, "a command that raises", err, actorgrpc.ErrCommandFailed)
	if !strings.Contains(e.Message, "ValueError: kaput") || e.ExceptionType() != "ValueError" {
		t.Errorf("boom: message %q, exception type %q", e.Message, e.ExceptionType())
	}

	_, err = c.Spawn(ctx, actorgrpc.SpawnOptions{Name: "go-test-badhook", Start: "os:system"})
	wantErr(t, "a hook outside the allowed modules", err, actorgrpc.ErrPermissionDenied)

	// 5 MiB is above gRPC's default 4 MiB message limit: the arbiter refuses
	// the request, or (if configured larger) the Go client refuses the echo.
	_, err = c.Send(ctx, ref.Name, "echo", strings.Repeat("x", 5<<20))
	wantErr(t, "a 5 MiB argument", err, actorgrpc.ErrTooLarge)

	// The actor is still fine after all that.
	if got, err := c.Send(ctx, ref.Name, "ping"); err != nil || got != "pong" {
		t.Errorf("ping after the errors = %#v, %v", got, err)
	}
}

func TestDeadlines(t *testing.T) {
	c := testenv.Client(t)
	ref := spawn(t, c, actorgrpc.SpawnOptions{Name: "deadline"})
	// sleep(3) against a 200 ms deadline: the deadline must cut it short.
	// Returning before 2.5 s proves that (it leaves 2.3 s for a slow machine
	// to deliver the error), without asserting how fast that is.
	const sleepSeconds, deadline, cutShort = 3, 200 * time.Millisecond, 2500 * time.Millisecond

	check := func(what string, call func() (any, error)) {
		t.Helper()
		start := time.Now()
		_, err := call()
		elapsed := time.Since(start)
		wantErr(t, what, err, actorgrpc.ErrDeadlineExceeded)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%s: %v does not match context.DeadlineExceeded", what, err)
		}
		if elapsed >= cutShort {
			t.Errorf("%s took %v: the deadline did not cut the sleep short", what, elapsed)
		}
	}
	check("Command.Timeout", func() (any, error) {
		return c.SendCommand(ctxFor(t), actorgrpc.Command{Target: ref.Name, Action: "sleep",
			Args: []any{sleepSeconds}, Timeout: deadline})
	})
	check("context deadline", func() (any, error) {
		ctx, cancel := context.WithTimeout(context.Background(), deadline)
		defer cancel()
		return c.Send(ctx, ref.Name, "sleep", sleepSeconds)
	})
	// An expired context fails without a round trip.
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	_, err := c.Send(ctx, ref.Name, "ping")
	wantErr(t, "expired context", err, actorgrpc.ErrDeadlineExceeded)

	// A short sleep within its deadline succeeds, and the actor still answers.
	if got, err := c.SendCommand(ctxFor(t), actorgrpc.Command{Target: ref.Name, Action: "sleep",
		Args: []any{0.01}, Timeout: 10 * time.Second}); err != nil || got != 0.01 {
		t.Errorf("sleep(0.01) = %#v, %v", got, err)
	}
}

func TestCanceled(t *testing.T) {
	c := testenv.Client(t)
	ref := spawn(t, c, actorgrpc.SpawnOptions{Name: "cancel"})
	sent := &sentSignal{ch: make(chan struct{})}
	c2 := testenv.Client(t, actorgrpc.WithDialOptions(grpc.WithStatsHandler(sent)))
	sent.armed.Store(true)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-sent.ch // the request is on the wire
		cancel()
	}()
	_, err := c2.Send(ctx, ref.Name, "sleep", 30)
	wantErr(t, "a canceled call", err, actorgrpc.ErrCanceled)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("%v does not match context.Canceled", err)
	}
}

// TestUnavailableWhenTheArbiterStops uses an arbiter of its own, stopped while
// a call is in flight; a call to a stopped arbiter fails the same way.
func TestUnavailableWhenTheArbiterStops(t *testing.T) {
	arb := testenv.StartArbiter(t)
	ctx := ctxFor(t)
	sent := &sentSignal{ch: make(chan struct{})}
	c, err := actorgrpc.Dial(ctx, arb.Address, actorgrpc.WithDialOptions(grpc.WithStatsHandler(sent)))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ref, err := c.Spawn(ctx, actorgrpc.SpawnOptions{Name: "go-test-unavailable"})
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.GetActor(ctx, ref.Name)
	if err != nil {
		t.Fatal(err)
	}
	stopped := make(chan error, 1)
	go func() {
		<-sent.ch // the sleep request is on the wire
		stopped <- arb.Stop(s.PID)
	}()
	sent.armed.Store(true)
	// The sleep outlasts the arbiter's whole stop (at most StopTimeout, 10 s,
	// before it is killed); its 25 s timeout
	// still ends the test if the arbiter never answers.
	sleepCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err = c.SendCommand(sleepCtx, actorgrpc.Command{Target: ref.Name, Action: "sleep",
		Args: []any{30}, Timeout: 25 * time.Second})
	wantErr(t, "a call in flight when the arbiter stops", err, actorgrpc.ErrUnavailable)
	if err := <-stopped; err != nil {
		t.Errorf("%v\narbiter output:\n%s", err, arb.Output())
	}
	_, err = c.Send(ctx, ref.Name, "ping")
	wantErr(t, "a call to a stopped arbiter", err, actorgrpc.ErrUnavailable)

	// Dial gives up when ctx ends. 300 ms: nothing listens there any more.
	dctx, dcancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer dcancel()
	_, err = actorgrpc.Dial(dctx, arb.Address)
	wantErr(t, "dial a stopped arbiter", err, actorgrpc.ErrUnavailable)
}

// sentSignal is a gRPC stats handler that closes ch once a request message
// has been written to the connection while armed.
type sentSignal struct {
	ch    chan struct{}
	armed atomic.Bool
	fired atomic.Bool
}

func (s *sentSignal) TagRPC(ctx context.Context, _ *stats.RPCTagInfo) context.Context { return ctx }
func (s *sentSignal) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context {
	return ctx
}
func (s *sentSignal) HandleConn(context.Context, stats.ConnStats) {}
func (s *sentSignal) HandleRPC(_ context.Context, st stats.RPCStats) {
	if _, ok := st.(*stats.OutPayload); ok && s.armed.Load() && s.fired.CompareAndSwap(false, true) {
		close(s.ch)
	}
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
