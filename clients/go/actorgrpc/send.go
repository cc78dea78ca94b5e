package actorgrpc

import (
	"context"
	"errors"
	"math"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/actorgrpc/actorgrpc/clients/go/internal/wire"
)

// Command is a command for an actor, with everything Send cannot express.
type Command struct {
	// Target is the actor's name or aid; "arbiter" for the arbiter itself.
	Target string
	// Ref, when set, is the actor to call instead of Target: the call goes
	// straight to Ref.Address for Ref.AID, without asking the arbiter, and is
	// not retried if that incarnation is gone (ErrActorNotHosted).
	Ref *ActorRef
	// Action is the command's name.
	Action string
	// Args and Kwargs are its positional and keyword arguments (see Send for
	// the Go values allowed).
	Args   []any
	Kwargs map[string]any
	// Timeout bounds the call; the server also cancels the command then.
	// Zero means the context's deadline if it has one, else the client's
	// default (WithDefaultTimeout, 5 s).
	Timeout time.Duration
}

func (cmd *Command) name() string {
	if cmd.Ref != nil {
		return cmd.Ref.AID
	}
	return cmd.Target
}

// Send runs action on the actor target (a name, an aid, or "arbiter") with
// positional arguments and returns its result. It talks to the actor's
// mailbox directly: the target is resolved once with the arbiter (and
// cached), then every call travels on one long-lived, multiplexed stream per
// actor address, batched with the calls of other goroutines.
//
// Arguments may be nil, bool, string, any integer or float, []any,
// map[string]any, or anything encoding/json can marshal (structs with json
// tags, typed slices and maps, json.RawMessage). Integers beyond
// ±MaxSafeInteger, NaN and infinities are refused before sending
// (ErrInvalidArgument). The result is nil, bool, float64 (also for integers:
// 5 comes back as float64(5)), string, []any or map[string]any.
//
// The call fails with ErrDeadlineExceeded when the context's deadline (or the
// client's default timeout, when the context has none) passes first; the
// server is told the same timeout so that it cancels the command. Calls of
// one goroutine reach an actor in the order they were made.
func (c *Client) Send(ctx context.Context, target, action string, args ...any) (any, error) {
	return c.SendCommand(ctx, Command{Target: target, Action: action, Args: args})
}

// SendCommand is Send with keyword arguments, a per-call timeout or an ActorRef.
func (c *Client) SendCommand(ctx context.Context, cmd Command) (any, error) {
	const op = "send"
	ctx, cancel, serverTimeout := c.callContext(ctx, cmd.Timeout)
	if cancel != nil {
		defer cancel()
	}
	if err := ctx.Err(); err != nil {
		return nil, wrap(op, cmd.name(), err)
	}
	args, kwargs, err := c.encode(op, &cmd)
	if err != nil {
		return nil, err
	}
	for attempt := 1; ; attempt++ {
		rt, retriable, err := c.route(ctx, &cmd, attempt > 1)
		if err != nil {
			return nil, err
		}
		result, err := c.ask(ctx, rt, &cmd, serverTimeout, args, kwargs)
		if err == nil {
			return result, nil
		}
		if attempt == 1 && retriable && notRun(err) {
			// The command did not run: the name moved (its actor restarted
			// elsewhere) or its address stopped serving. Resolve it once more.
			c.router.forget(cmd.Target, rt)
			continue
		}
		return nil, callError(op, cmd.name(), cmd.Action, err)
	}
}

// Tell queues action for the actor target without waiting for any reply
// (fire and forget): it returns once the call is queued on the actor's
// stream, or an error if it cannot be (bad arguments, unknown target, the
// stream cannot be opened). Its failures, even of the command, are never
// reported. Tells and sends of one goroutine reach an actor in the order they
// were made. When many frames already wait for the network, Tell waits for
// room (within ctx): a fast sender's memory stays bounded.
func (c *Client) Tell(ctx context.Context, target, action string, args ...any) error {
	return c.TellCommand(ctx, Command{Target: target, Action: action, Args: args})
}

// TellCommand is Tell with keyword arguments or an ActorRef (Timeout, if
// set, is the time the server allows the command).
func (c *Client) TellCommand(ctx context.Context, cmd Command) error {
	const op = "tell"
	ctx, cancel, serverTimeout := c.callContext(ctx, cmd.Timeout)
	if cancel != nil {
		defer cancel()
	}
	if cmd.Timeout == 0 {
		serverTimeout = 0 // nobody waits: the command may take its time
	}
	args, kwargs, err := c.encode(op, &cmd)
	if err != nil {
		return err
	}
	for attempt := 1; ; attempt++ {
		rt, retriable, err := c.route(ctx, &cmd, attempt > 1)
		if err != nil {
			return err
		}
		m, err := c.router.conn(rt.address)
		if err == nil {
			err = m.waitReady(ctx)
		}
		if err == nil {
			k := wire.EnvKey{Target: rt.aid, Action: cmd.Action, Tell: true, Timeout: serverTimeout}
			err = m.tell(ctx, k, args, kwargs)
		}
		if err == nil {
			return nil
		}
		if attempt == 1 && retriable && errors.Is(err, errNotDelivered) {
			c.router.forget(cmd.Target, rt)
			continue
		}
		return callError(op, cmd.name(), cmd.Action, err)
	}
}

// callContext applies the call's timeout (or the client's default when ctx
// has no deadline) and returns the timeout to tell the server.
func (c *Client) callContext(ctx context.Context, timeout time.Duration) (context.Context, context.CancelFunc, float64) {
	if timeout > 0 {
		ctx, cancel := context.WithTimeout(ctx, timeout)
		return ctx, cancel, timeout.Seconds()
	}
	if deadline, ok := ctx.Deadline(); ok {
		return ctx, nil, serverSeconds(time.Until(deadline))
	}
	ctx, cancel := context.WithTimeout(ctx, c.opts.defaultTimeout)
	return ctx, cancel, c.opts.defaultTimeout.Seconds()
}

// serverSeconds is a remaining time as the envelope's timeout_seconds,
// rounded up to a tenth of a second: calls made under one deadline then
// share a timeout, so consecutive ones can share an envelope; the client
// still enforces its own deadline exactly.
func serverSeconds(d time.Duration) float64 {
	if d <= 0 {
		return 0.1
	}
	return math.Ceil(d.Seconds()*10) / 10
}

// encode writes the arguments as JSON text, refusing what has no JSON shape.
func (c *Client) encode(op string, cmd *Command) (args, kwargs []byte, err error) {
	args = make([]byte, 0, 16)
	args = append(args, '[')
	for i, a := range cmd.Args {
		if i > 0 {
			args = append(args, ',')
		}
		if args, err = wire.AppendJSON(args, a, ""); err != nil {
			return nil, nil, argumentError(op, cmd, wire.Within(err, wire.IndexPath("args", i)))
		}
	}
	args = append(args, ']')
	if len(cmd.Kwargs) > 0 {
		if kwargs, err = wire.AppendJSON(nil, cmd.Kwargs, "kwargs"); err != nil {
			return nil, nil, argumentError(op, cmd, err)
		}
	}
	k := wire.EnvKey{Target: cmd.name(), Action: cmd.Action, Timeout: 1}
	if size := callSize(&k, args, kwargs); size > c.opts.maxMessageBytes-frameOverhead {
		return nil, nil, tooLargeError(op, cmd, size, c.opts.maxMessageBytes)
	}
	return args, kwargs, nil
}

// The errors of encode, out of its line: the hot path keeps a small stack
// frame (a caller's fresh goroutine then needs no stack growth).

//go:noinline
func argumentError(op string, cmd *Command, err error) error {
	return localError(op, cmd.name(), codes.InvalidArgument, ReasonInvalidArgument, "%s: %v", cmd.Action, err)
}

//go:noinline
func tooLargeError(op string, cmd *Command, size, limit int) error {
	return localError(op, cmd.name(), codes.ResourceExhausted, ReasonMessageTooLarge,
		"%s: message of %d bytes exceeds the maximum of %d bytes", cmd.Action, size, limit)
}

// route finds where the call goes, and whether it may be retried once after
// a failure that proves it did not run: only for a name (an aid or a Ref
// names one incarnation; a new resolution could only find it gone).
func (c *Client) route(ctx context.Context, cmd *Command, fresh bool) (route, bool, error) {
	if cmd.Ref != nil {
		return route{aid: cmd.Ref.AID, address: cmd.Ref.Address}, false, nil
	}
	if !fresh {
		if rt, ok := c.router.cached(cmd.Target); ok {
			return rt, rt.aid != cmd.Target, nil
		}
	}
	if cmd.Target == "" {
		return route{}, false, localError("send", "", codes.InvalidArgument, ReasonInvalidArgument, "an empty target: expected a name, an aid or an ActorRef")
	}
	// A name being restarted is waited for, within the call's own deadline.
	wait := c.opts.defaultTimeout
	if deadline, ok := ctx.Deadline(); ok {
		wait = time.Until(deadline)
	}
	rt, err := c.router.resolve(ctx, cmd.Target, wait)
	return rt, !fresh && rt.aid != cmd.Target, err
}

// ask sends one call on the stream to rt and waits for its reply. Its
// errors are mapped by the caller (callError), after deciding on a retry.
func (c *Client) ask(ctx context.Context, rt route, cmd *Command, serverTimeout float64, args, kwargs []byte) (any, error) {
	m, err := c.router.conn(rt.address)
	if err == nil {
		err = m.waitReady(ctx)
	}
	if err != nil {
		return nil, err
	}
	k := wire.EnvKey{Target: rt.aid, Action: cmd.Action, Timeout: serverTimeout}
	call, id, err := m.ask(k, args, kwargs)
	if err != nil {
		return nil, err
	}
	select {
	case <-call.done:
	case <-ctx.Done():
		if m.forget(id, call) {
			call.release()
			return nil, ctx.Err()
		}
		<-call.done // the reply is being delivered right now: take it
	}
	result, err := call.result("send", cmd.name(), cmd.Action)
	call.release()
	return result, err
}

// notRun reports whether err proves the command did not run: the address no
// longer hosts the target, or the stream to it could not be opened.
func notRun(err error) bool {
	return errors.Is(err, ErrActorNotHosted) || errors.Is(err, errNotDelivered)
}

// callError is the *Error a call returns for err, naming the call.
func callError(op, target, action string, err error) error {
	var e *Error
	switch {
	case errors.As(err, &e):
		out := *e
		out.Op, out.Target = op, target
		return &out
	case errors.Is(err, context.DeadlineExceeded):
		return localError(op, target, codes.DeadlineExceeded, ReasonActorTimeout, "%q did not answer in time", action)
	case errors.Is(err, context.Canceled):
		return localError(op, target, codes.Canceled, "", "%q: the call was canceled", action)
	case errors.Is(err, errNotDelivered):
		return localError(op, target, codes.Unavailable, ReasonActorUnavailable, "%s", err.Error())
	}
	return wrap(op, target, err)
}
