package actorgrpc

import (
	"context"
	"time"

	"google.golang.org/grpc/codes"

	pb "github.com/actorgrpc/actorgrpc/clients/go/actorgrpcv1"
)

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
	extra, err := toStruct(o.Extra, "extra")
	if err != nil {
		return ActorRef{}, localError("spawn", o.Name, codes.InvalidArgument, ReasonInvalidArgument, "%v", err)
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
