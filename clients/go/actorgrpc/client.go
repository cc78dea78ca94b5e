// Package actorgrpc is a thin Go client of an actorgrpc arbiter: spawn actors,
// send them commands, inspect them and stop them, through ArbiterService.
//
// Values sent to actors are JSON-shaped (see Send); results come back as
// nil, bool, float64, string, []any or map[string]any. Every call takes a
// context whose deadline also bounds the remote command. Failures are *Error
// values that match sentinel errors with errors.Is:
//
//	c, err := actorgrpc.Dial(ctx, "127.0.0.1:7070")
//	...
//	defer c.Close()
//	w, err := c.Spawn(ctx, actorgrpc.SpawnOptions{Name: "w1"})
//	sum, err := c.Send(ctx, "w1", "add", 2, 3) // float64(5)
//	_, err = c.Send(ctx, "nobody", "ping")     // errors.Is(err, actorgrpc.ErrNotFound)
//
// The generated stubs are in package actorgrpcv1; Client.Arbiter gives direct
// access to them.
package actorgrpc

import (
	"context"
	"fmt"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/credentials/insecure"

	pb "github.com/actorgrpc/actorgrpc/clients/go/actorgrpcv1"
)

// Client talks to one arbiter. It is safe for concurrent use.
type Client struct {
	conn    *grpc.ClientConn
	arbiter pb.ArbiterServiceClient
}

// Option configures Dial.
type Option func(*options)

type options struct {
	dial []grpc.DialOption
}

// WithDialOptions passes gRPC dial options through, after the client's own
// defaults (plaintext transport), so they can override them, e.g. with
// grpc.WithTransportCredentials.
func WithDialOptions(opts ...grpc.DialOption) Option {
	return func(o *options) { o.dial = append(o.dial, opts...) }
}

// Dial connects to the arbiter at address ("host:port") and waits until the
// connection is ready or ctx ends, so that a wrong address fails here, not at
// the first call. The connection is plaintext unless a dial option says
// otherwise: actorgrpc binds to loopback by default.
func Dial(ctx context.Context, address string, opts ...Option) (*Client, error) {
	o := options{dial: []grpc.DialOption{
		grpc.WithTransportCredentials(insecure.NewCredentials()),
	}}
	for _, opt := range opts {
		opt(&o)
	}
	conn, err := grpc.NewClient(address, o.dial...)
	if err != nil {
		return nil, localError("dial", address, codes.InvalidArgument, "%v", err)
	}
	conn.Connect()
	for {
		state := conn.GetState()
		if state == connectivity.Ready {
			break
		}
		if !conn.WaitForStateChange(ctx, state) {
			conn.Close()
			return nil, &Error{Op: "dial", Target: address, Code: codes.Unavailable,
				Message: fmt.Sprintf("arbiter not reachable (connection %s): %v",
					state, ctx.Err())}
		}
	}
	return &Client{conn: conn, arbiter: pb.NewArbiterServiceClient(conn)}, nil
}

// Close closes the connection; calls in flight fail with ErrCanceled.
func (c *Client) Close() error { return c.conn.Close() }

// Arbiter is the generated ArbiterService stub on the client's connection,
// for requests the thin client does not cover. Its errors are raw gRPC status
// errors.
func (c *Client) Arbiter() pb.ArbiterServiceClient { return c.arbiter }

// Conn is the client's gRPC connection (e.g. for the health service).
func (c *Client) Conn() *grpc.ClientConn { return c.conn }

// SpawnOptions are the parameters of a new actor; all are optional.
type SpawnOptions struct {
	// Name, unique among live actors; generated from the aid when empty.
	Name string
	// Kind is KindProcess (the default when unspecified), KindThread or
	// KindExec (then Program names what runs).
	Kind Kind
	// Program is, for KindExec, the name of a program the operator registered
	// (serve --program NAME=COMMAND); the network never chooses what runs.
	Program string
	// Restart says which exits its supervisor restarts (unspecified: the
	// supervisor's default, temporary for actors spawned directly).
	Restart RestartType
	// Start, Stopping and PeriodicTask are hooks as "module:function"
	// references, resolved inside the modules the operator allowed.
	Start, Stopping, PeriodicTask string
	// PeriodicInterval is the time between two runs of PeriodicTask (server
	// default 1 s).
	PeriodicInterval time.Duration
	// Timeout is how long the actor may go without heartbeat before it is
	// declared hung (server default 30 s).
	Timeout time.Duration
	// Extra is the initial content of the actor's `extra` dictionary.
	Extra map[string]any
	// Monitor names the monitor that supervises the actor; empty for the arbiter.
	Monitor string
}

// Spawn starts an actor and returns once it is running (its start hook has
// returned). A bad hook reference fails with ErrInvalidArgument, a hook the
// operator did not allow with ErrPermissionDenied, a taken name with
// ErrAlreadyExists.
func (c *Client) Spawn(ctx context.Context, o SpawnOptions) (ActorRef, error) {
	extra, err := toStruct(o.Extra)
	if err != nil {
		return ActorRef{}, localError("spawn", o.Name, codes.InvalidArgument, "extra%v", err)
	}
	resp, err := c.arbiter.Spawn(ctx, &pb.SpawnRequest{
		Name:                    o.Name,
		Kind:                    pb.ActorKind(o.Kind),
		Program:                 o.Program,
		Restart:                 pb.RestartType(o.Restart),
		Start:                   o.Start,
		Stopping:                o.Stopping,
		PeriodicTask:            o.PeriodicTask,
		PeriodicIntervalSeconds: o.PeriodicInterval.Seconds(),
		TimeoutSeconds:          o.Timeout.Seconds(),
		Extra:                   extra,
		Monitor:                 o.Monitor,
	})
	if err != nil {
		return ActorRef{}, wrap("spawn", o.Name, err)
	}
	return refFromPB(resp.GetActor()), nil
}

// Command is a command for an actor, with everything Send cannot express.
type Command struct {
	// Target is the actor's aid or name; "arbiter" for the arbiter itself.
	Target string
	// Action is the command's name.
	Action string
	// Args and Kwargs are its positional and keyword arguments (see Send for
	// the Go values allowed).
	Args   []any
	Kwargs map[string]any
	// Timeout bounds the command at the server. Zero means the context's
	// deadline if it has one, else the server's default (5 s).
	Timeout time.Duration
}

// timeoutGrace is how much longer than Command.Timeout the client waits for
// the server's own DEADLINE_EXCEEDED, so that the server's answer (which also
// cancels the command) normally wins over the client giving up.
const timeoutGrace = time.Second

// Send runs action on the actor target with positional arguments and returns
// its result.
//
// Arguments may be nil, bool, string, any integer or float, []any,
// map[string]any, or anything encoding/json can marshal (structs with json
// tags, typed slices and maps, json.RawMessage); numbers travel as float64.
// The result is what structpb.Value.AsInterface gives: nil, bool, float64
// (also for integers: 5 comes back as float64(5)), string, []any or
// map[string]any.
//
// The context's deadline is passed to the server, which cancels the command
// when it passes; the error then matches ErrDeadlineExceeded.
func (c *Client) Send(ctx context.Context, target, action string, args ...any) (any, error) {
	return c.SendCommand(ctx, Command{Target: target, Action: action, Args: args})
}

// SendCommand is Send with keyword arguments and a per-command timeout.
func (c *Client) SendCommand(ctx context.Context, cmd Command) (any, error) {
	args, err := toList(cmd.Args)
	if err != nil {
		return nil, localError("send", cmd.Target, codes.InvalidArgument, "%s: args%v", cmd.Action, err)
	}
	kwargs, err := toStruct(cmd.Kwargs)
	if err != nil {
		return nil, localError("send", cmd.Target, codes.InvalidArgument, "%s: kwargs%v", cmd.Action, err)
	}
	timeout := cmd.Timeout
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout+timeoutGrace)
		defer cancel()
	} else if deadline, ok := ctx.Deadline(); ok {
		// gRPC propagates the deadline too; timeout_seconds states it in the
		// message itself for servers (and forwarding hops) that read only that.
		timeout = time.Until(deadline)
		if timeout <= 0 {
			return nil, wrap("send", cmd.Target, context.DeadlineExceeded)
		}
	}
	resp, err := c.arbiter.Send(ctx, &pb.SendRequest{
		Target:         cmd.Target,
		Action:         cmd.Action,
		Args:           args,
		Kwargs:         kwargs,
		TimeoutSeconds: timeout.Seconds(),
	})
	if err != nil {
		return nil, wrap("send", cmd.Target, err)
	}
	return fromValue(resp.GetResult()), nil
}

// Info returns the info dictionary of the actor target (aid or name), or of
// the arbiter when target is "": keys `actor`, `events`, `extra`, `system`,
// and `monitors` / `workers` for the arbiter and monitors.
func (c *Client) Info(ctx context.Context, target string) (map[string]any, error) {
	resp, err := c.arbiter.Info(ctx, &pb.InfoRequest{Target: target})
	if err != nil {
		return nil, wrap("info", target, err)
	}
	return resp.GetInfo().AsMap(), nil
}

// Stopped is the outcome of Stop.
type Stopped struct {
	// Actor is its last known reference; State is StateClosed or StateTerminated.
	Actor ActorRef
	// ExitCode is the process exit code, or minus the signal number that ended it.
	ExitCode int
}

// Stop stops the actor target gracefully (escalating to terminate and kill)
// and returns once it has exited.
func (c *Client) Stop(ctx context.Context, target string) (Stopped, error) {
	resp, err := c.arbiter.Stop(ctx, &pb.StopRequest{Target: target})
	if err != nil {
		return Stopped{}, wrap("stop", target, err)
	}
	return Stopped{Actor: refFromPB(resp.GetActor()), ExitCode: int(resp.GetExitCode())}, nil
}

// ListOptions filter ListActors; the zero value lists every live actor.
type ListOptions struct {
	// NamePrefix keeps actors whose name starts with it.
	NamePrefix string
	// State keeps actors in that state; StateUnspecified (zero) means any.
	State State
	// Monitor keeps actors supervised by that monitor.
	Monitor string
	// IncludeExited also lists actors that have exited recently.
	IncludeExited bool
	// PageSize is how many actors one request fetches (0 = server default).
	PageSize int
}

// ListActors returns the actors the arbiter knows, ordered by name, fetching
// every page.
func (c *Client) ListActors(ctx context.Context, o ListOptions) ([]ActorSummary, error) {
	req := &pb.ListActorsRequest{
		NamePrefix:    o.NamePrefix,
		State:         pb.ActorState(o.State),
		Monitor:       o.Monitor,
		PageSize:      int32(o.PageSize),
		IncludeExited: o.IncludeExited,
	}
	var out []ActorSummary
	for {
		resp, err := c.arbiter.ListActors(ctx, req)
		if err != nil {
			return nil, wrap("list_actors", "", err)
		}
		for _, s := range resp.GetActors() {
			out = append(out, summaryFromPB(s))
		}
		if resp.GetNextPageToken() == "" {
			return out, nil
		}
		req.PageToken = resp.GetNextPageToken()
	}
}

// GetActor resolves an aid or a name ("arbiter" for the arbiter) to what the
// arbiter knows about the actor.
func (c *Client) GetActor(ctx context.Context, target string) (ActorSummary, error) {
	resp, err := c.arbiter.GetActor(ctx, &pb.GetActorRequest{Target: target})
	if err != nil {
		return ActorSummary{}, wrap("get_actor", target, err)
	}
	return summaryFromPB(resp.GetActor()), nil
}
