// Package actor writes actorgrpc actors in Go: programs an arbiter starts as
// EXEC actors (serve --program NAME=COMMAND) and supervises like its Python
// actors (docs/actor-protocol.md §3).
//
//	func main() {
//		a := actor.New()
//		a.Command("add", func(ctx context.Context, c *actor.Call) (any, error) {
//			x, _ := c.Arg("a").(float64)
//			y, _ := c.Arg("b").(float64)
//			return x + y, nil
//		}, actor.Params("a", "b"))
//		actor.Main(a) // serves until stopped; exits with the protocol's code
//	}
//
// The program reads who it is (ActorBoot) from the descriptor named by
// $ACTORGRPC_BOOT_FD, serves MailboxService (Stream and Call, with the
// arbiter's TLS and token check), says hello to its monitor and beats until
// it is told to stop (a StopOrder, the stop command, SIGTERM). It exits 0
// after a stop, 4 when its monitor is gone (the heartbeat stream breaks, or
// stdin ends), 3 when it cannot start (after telling its monitor why).
//
// Commands run one at a time on the actor's loop, in the order they arrive
// (so they may use the actor's state, Extra, without locks), unless
// declared Concurrent. Every actor answers the standard commands ping, echo,
// info, stop and commands.
package actor

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"os/signal"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"google.golang.org/protobuf/types/known/structpb"

	pb "github.com/actorgrpc/actorgrpc/clients/go/actorgrpcv1"
)

// Exit codes of an actor program (docs/actor-protocol.md §3).
const (
	ExitStopped     = 0 // stopped as asked
	ExitFailed      = 1 // anything else
	ExitStartFailed = 3 // could not start; its monitor was told why
	ExitMonitorLost = 4 // its monitor is gone: the heartbeat stream broke or stdin ended
)

// ErrMonitorLost: the heartbeat stream broke, stdin ended, or the monitor
// did not welcome the actor in time. Run returns it; Main exits 4.
var ErrMonitorLost = errors.New("actor: the monitor is gone")

// StartError: the actor could not start (its server could not bind, its
// TLS files cannot be used, ...). Run returns it; Main exits 3.
type StartError struct{ Err error }

func (e *StartError) Error() string { return "actor: could not start: " + e.Err.Error() }
func (e *StartError) Unwrap() error { return e.Err }

// ExitCode is the exit code of an actor program whose Run returned err.
func ExitCode(err error) int {
	var se *StartError
	switch {
	case err == nil:
		return ExitStopped
	case errors.Is(err, ErrMonitorLost):
		return ExitMonitorLost
	case errors.As(err, &se):
		return ExitStartFailed
	}
	return ExitFailed
}

// Main runs a until it stops, SIGTERM (and SIGINT) stopping it gracefully,
// and exits the process with the protocol's code.
func Main(a *Actor) {
	ctx, cancel := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	err := a.Run(ctx)
	cancel()
	if err != nil {
		log.Printf("%v", err)
	}
	os.Exit(ExitCode(err))
}

// Runtime is what an actor's hello says runs it ("go1.26.8").
var Runtime = runtime.Version()

// Settings that bound what a peer can make an actor hold.
const (
	// MaxConcurrent is how many Concurrent commands may run at once; one more
	// fails with RESOURCE_EXHAUSTED.
	MaxConcurrent = 10_000
	// defaultStopTimeout is how long running commands get to finish after a
	// stop that says no time (SIGTERM, the stop command): the arbiter's own
	// step before it terminates an actor (ACTOR_ACTION_TIMEOUT).
	defaultStopTimeout = 5 * time.Second
	// welcomeTimeout: an actor its monitor does not welcome stops itself.
	welcomeTimeout = 10 * time.Second
)

// Actor is one actor program. Create it with New, register its commands,
// then Run it (or Main).
type Actor struct {
	commands map[string]*command

	boot    *pb.ActorBoot
	address string
	extra   map[string]any // the loop's

	state     atomic.Int32 // a pb.ActorState
	startedAt time.Time

	work      chan func() // the actor's loop: commands run here, in order
	processed atomic.Int64
	depth     atomic.Int64     // commands received and not finished
	byAction  map[string]int64 // the loop's
	running   atomic.Int64     // Concurrent commands running

	// ctx ends when the actor stops: running commands see it.
	ctx    context.Context
	cancel context.CancelFunc
	// wg counts Concurrent commands, for the stop to wait on.
	wg sync.WaitGroup

	stopOnce    sync.Once
	stopReq     chan struct{} // closed when a stop is asked
	stopTimeout time.Duration
	stopReason  string
	lostOnce    sync.Once
	lost        chan struct{} // closed when the monitor is gone
	lostReason  string

	mailbox *mailbox
	load    load
	onStart func(ctx context.Context, a *Actor) error
	peers   peers
}

// New is an actor with the standard commands: ping, echo, info, stop, commands.
func New() *Actor {
	a := &Actor{
		commands: map[string]*command{},
		work:     make(chan func(), 64),
		byAction: map[string]int64{},
		stopReq:  make(chan struct{}),
		lost:     make(chan struct{}),
		extra:    map[string]any{},
	}
	a.state.Store(int32(pb.ActorState_ACTOR_STATE_INITIAL))
	a.ctx, a.cancel = context.WithCancel(context.Background())
	a.standardCommands()
	return a
}

// Command registers fn as the command name (replacing one of that name).
// Register every command before Run.
func (a *Actor) Command(name string, fn Func, opts ...CommandOption) {
	cmd := &command{name: name, fn: fn}
	for _, o := range opts {
		o(cmd)
	}
	a.commands[name] = cmd
}

// OnStart sets a function run once the actor serves, before it says it
// runs (Python's start hook): if it fails, the spawn fails with its error
// and the program exits 3. It runs on the actor's loop.
func (a *Actor) OnStart(fn func(ctx context.Context, a *Actor) error) { a.onStart = fn }

// CommandNames are the names of the actor's commands, sorted.
func (a *Actor) CommandNames() []string {
	names := make([]string, 0, len(a.commands))
	for n := range a.commands {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Name is the actor's name (unique among live actors; kept across restarts).
func (a *Actor) Name() string { return a.boot.GetName() }

// AID is the id of this incarnation.
func (a *Actor) AID() string { return a.boot.GetAid() }

// Address is where its mailbox serves ("127.0.0.1:PORT").
func (a *Actor) Address() string { return a.address }

// Boot is what the arbiter told the actor (its secrets included).
func (a *Actor) Boot() *pb.ActorBoot { return a.boot }

// Extra is the actor's free dictionary, first filled from the spawn's extra
// and shown by info. It belongs to the actor's loop: use it from commands
// that are not Concurrent.
func (a *Actor) Extra() map[string]any { return a.extra }

// State is the actor's life-cycle state (the wire's ActorState).
func (a *Actor) State() pb.ActorState { return pb.ActorState(a.state.Load()) }

// Stop asks the actor to stop (as a StopOrder does): commands running are
// cancelled and given timeout to end (0: 5 s), then it stops serving and
// Run returns nil.
func (a *Actor) Stop(reason string, timeout time.Duration) {
	a.stopOnce.Do(func() {
		if timeout <= 0 {
			timeout = defaultStopTimeout
		}
		a.stopReason, a.stopTimeout = reason, timeout
		close(a.stopReq)
	})
}

// monitorLost records that the monitor is gone (once).
func (a *Actor) monitorLost(why string) {
	a.lostOnce.Do(func() {
		a.lostReason = why
		close(a.lost)
	})
}

func (a *Actor) closed() bool {
	return a.State() >= pb.ActorState_ACTOR_STATE_CLOSED
}

// loop runs the actor's serial work until the actor's context ends and the
// queue is empty of what the stop still sends it.
func (a *Actor) loop() {
	for f := range a.work {
		f()
	}
}

// submit queues f on the actor's loop; false if the actor is gone.
func (a *Actor) submit(ctx context.Context, f func()) bool {
	select {
	case a.work <- f:
		return true
	case <-ctx.Done():
		return false
	}
}

// onLoop runs f on the actor's loop and waits for it, within ctx.
func (a *Actor) onLoop(ctx context.Context, f func()) bool {
	done := make(chan struct{})
	if !a.submit(ctx, func() { f(); close(done) }) {
		return false
	}
	select {
	case <-done:
		return true
	case <-ctx.Done():
		return false
	}
}

func (a *Actor) setExtra(s *structpb.Struct) {
	if s == nil {
		return
	}
	for k, v := range s.AsMap() {
		a.extra[k] = v
	}
}

func (a *Actor) logf(format string, args ...any) {
	log.Printf("%s(%s): %s", a.Name(), a.AID(), fmt.Sprintf(format, args...))
}
