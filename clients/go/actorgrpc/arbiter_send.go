package actorgrpc

import (
	"context"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	pb "github.com/actorgrpc/actorgrpc/clients/go/actorgrpcv1"
)

// timeoutGrace is how much longer than the command's timeout the client
// waits for the arbiter's own DEADLINE_EXCEEDED, so that the server's answer
// (which also cancels the command) normally wins over the client giving up.
const timeoutGrace = time.Second

// SendViaArbiter is Send through the arbiter (ArbiterService.Send): one
// unary call per message, every message crossing the arbiter. Simple, and
// what a client that can reach only the arbiter needs; Send is faster.
func (c *Client) SendViaArbiter(ctx context.Context, target, action string, args ...any) (any, error) {
	return c.SendCommandViaArbiter(ctx, Command{Target: target, Action: action, Args: args})
}

// SendCommandViaArbiter is SendViaArbiter with keyword arguments and a
// per-command timeout (Command.Ref is used for its AID).
func (c *Client) SendCommandViaArbiter(ctx context.Context, cmd Command) (any, error) {
	const op = "send"
	target := cmd.name()
	args, err := toList(cmd.Args, "args")
	if err != nil {
		return nil, localError(op, target, codes.InvalidArgument, ReasonInvalidArgument, "%s: %v", cmd.Action, err)
	}
	kwargs, err := toStruct(cmd.Kwargs, "kwargs")
	if err != nil {
		return nil, localError(op, target, codes.InvalidArgument, ReasonInvalidArgument, "%s: %v", cmd.Action, err)
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
			return nil, wrap(op, target, context.DeadlineExceeded)
		}
	}
	req := &pb.SendRequest{
		Target:         target,
		Action:         cmd.Action,
		Args:           args,
		Kwargs:         kwargs,
		TimeoutSeconds: timeout.Seconds(),
	}
	if size := proto.Size(req); size > c.opts.maxMessageBytes {
		return nil, localError(op, target, codes.ResourceExhausted, ReasonMessageTooLarge,
			"%s: message of %d bytes exceeds the maximum of %d bytes", cmd.Action, size, c.opts.maxMessageBytes)
	}
	resp, err := c.arbiter.Send(ctx, req)
	if err != nil {
		return nil, wrap(op, target, err)
	}
	return fromValue(resp.GetResult()), nil
}
