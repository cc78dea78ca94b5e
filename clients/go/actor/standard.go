package actor

import (
	"context"
	"os"
	"strings"
	"time"
)

// standardCommands are what every actor answers (Python's standard commands).
func (a *Actor) standardCommands() {
	a.Command("ping", func(context.Context, *Call) (any, error) { return "pong", nil })
	a.Command("echo", func(_ context.Context, c *Call) (any, error) { return c.Arg("message"), nil },
		Optional("message", nil))
	a.Command("info", func(context.Context, *Call) (any, error) { return a.info(), nil })
	a.Command("stop", func(context.Context, *Call) (any, error) {
		// Answered first: the stop waits for the replies queued before it.
		a.Stop("stop command", 0)
		return nil, nil
	})
	a.Command("commands", func(context.Context, *Call) (any, error) { return a.CommandNames(), nil })
}

// info is the actor's info dictionary, with Python's keys: actor, events,
// extra, system. It runs on the loop (it reads the loop's state).
func (a *Actor) info() map[string]any {
	state := a.State()
	uptime := 0.0
	if !a.startedAt.IsZero() {
		uptime = float64(time.Since(a.startedAt).Milliseconds()) / 1000
	}
	byAction := make(map[string]any, len(a.byAction))
	for k, v := range a.byAction {
		byAction[k] = v
	}
	extra := make(map[string]any, len(a.extra))
	for k, v := range a.extra {
		extra[k] = v
	}
	return map[string]any{
		"actor": map[string]any{
			"name":              a.Name(),
			"aid":               a.AID(),
			"kind":              "exec",
			"state":             int(state) - 1, // pulsar's number, as Python's info shows
			"state_description": strings.ToLower(strings.TrimPrefix(state.String(), "ACTOR_STATE_")),
			"address":           a.address,
			"monitor":           a.boot.GetMonitor(),
			"uptime":            uptime,
			"process_id":        os.Getpid(),
			"is_process":        true,
			"runtime":           Runtime,
		},
		"events": map[string]any{
			"processed":            a.processed.Load(),
			"processed_by_action":  byAction,
			"mailbox_depth":        a.depth.Load(),
			"running_concurrently": a.running.Load(),
		},
		"extra":  extra,
		"system": a.load.systemInfo(),
	}
}
