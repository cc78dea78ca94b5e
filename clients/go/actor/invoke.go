package actor

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strconv"
	"time"

	"google.golang.org/grpc/codes"
)

// finishFunc receives the outcome of a call that did not finish at once.
type finishFunc func(result any, err error)

// start starts one call, on the actor's loop: a command that is not
// Concurrent runs now and its outcome is returned (done); a Concurrent one
// starts in a goroutine of its own and finish gets its outcome later. A call
// that cannot start (unknown command, arguments that do not fit) fails at
// once. timeout (0: none) bounds the command.
func (a *Actor) start(action string, args []any, kwargs map[string]any, timeout time.Duration, finish finishFunc) (done bool, result any, err error) {
	cmd, ok := a.commands[action]
	a.byAction[action]++
	if !ok {
		a.processed.Add(1)
		return true, nil, commandNotFound(action)
	}
	call := &Call{Action: action, Args: args, Kwargs: kwargs, actor: a}
	if err := cmd.bind(call); err != nil {
		a.processed.Add(1)
		return true, nil, err
	}
	if !cmd.concurrent {
		a.depth.Add(1)
		result, err = a.invoke(cmd, call, timeout)
		a.depth.Add(-1)
		a.processed.Add(1)
		if cmd.fireAndForget {
			if err != nil {
				a.logf("command %s (fire and forget) failed: %v", action, err)
			}
			return true, nil, nil
		}
		return true, result, err
	}
	if a.running.Load() >= MaxConcurrent {
		a.processed.Add(1)
		return true, nil, &protocolError{code: codes.ResourceExhausted, class: "ResourceExhausted",
			msg: fmt.Sprintf("%d commands already run concurrently in this actor (the limit)", MaxConcurrent)}
	}
	a.running.Add(1)
	a.depth.Add(1)
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		result, err := a.invoke(cmd, call, timeout)
		a.running.Add(-1)
		a.depth.Add(-1)
		a.processed.Add(1)
		if cmd.fireAndForget {
			if err != nil {
				a.logf("command %s (fire and forget) failed: %v", action, err)
			}
			return
		}
		finish(result, err)
	}()
	if cmd.fireAndForget {
		return true, nil, nil
	}
	return false, nil, nil
}

// invoke runs a command with its context: the actor's (which ends when it
// stops), bounded by timeout. A panic is the command's error, not the
// actor's end.
func (a *Actor) invoke(cmd *command, call *Call, timeout time.Duration) (result any, err error) {
	ctx := a.ctx
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	defer func() {
		if r := recover(); r != nil {
			a.logf("command %s panicked: %v\n%s", cmd.name, r, debug.Stack())
			result, err = nil, &Exception{Type: "Panic", Message: fmt.Sprint(r)}
		}
	}()
	result, err = cmd.fn(ctx, call)
	if err != nil && ctx.Err() != nil && (errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)) {
		// The command gave up because its context ended: say why.
		if a.ctx.Err() != nil {
			err = &protocolError{code: codes.Unavailable, class: "ActorUnavailable",
				msg: fmt.Sprintf("actor '%s' stopped while handling '%s'", a.Name(), cmd.name)}
		} else {
			err = &protocolError{code: codes.DeadlineExceeded, class: "ActorTimeout",
				msg: fmt.Sprintf("'%s' did not finish within %s s", cmd.name, strconv.FormatFloat(timeout.Seconds(), 'g', 6, 64))}
		}
	}
	return result, err
}
