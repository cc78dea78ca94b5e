package actorgrpc_test

import (
	"context"
	"errors"
	"os"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

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

// sender is one of the two ways to send a command, for tests that run on both.
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

// wantErr checks that err matches sentinel and returns it as an *Error.
func wantErr(t *testing.T, what string, err, sentinel error) *actorgrpc.Error {
	t.Helper()
	var e *actorgrpc.Error
	if !errors.Is(err, sentinel) || !errors.As(err, &e) {
		t.Errorf("%s: got %v; want %v", what, err, sentinel)
		return &actorgrpc.Error{}
	}
	return e
}

// waitFor polls cond until it holds or the deadline passes (then fails t).
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

// actorPID is the OS process id of a process actor.
func actorPID(t *testing.T, c *actorgrpc.Client, name string) int {
	t.Helper()
	s, err := c.GetActor(ctxFor(t), name)
	if err != nil || s.PID <= 0 || s.PID == os.Getpid() {
		t.Fatalf("GetActor(%s) = %+v, %v; want a process actor", name, s, err)
	}
	return s.PID
}

func kill9(t *testing.T, pid int) {
	t.Helper()
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatalf("kill -9 %d: %v", pid, err)
	}
}

// sentSignal is a gRPC stats handler that closes ch once a message has been
// written to a connection while armed.
type sentSignal struct {
	ch    chan struct{}
	armed atomic.Bool
	fired atomic.Bool
}

func newSentSignal() *sentSignal { return &sentSignal{ch: make(chan struct{})} }

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
