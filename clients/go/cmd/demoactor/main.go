// Command demoactor is the Go twin of Python's actorgrpc.examples.demo: an
// actor program (an EXEC actor) with the same commands and the same results,
// so that every conformance case runs against it too. Register it with an
// arbiter and spawn it:
//
//	go build -o /tmp/demoactor ./cmd/demoactor
//	actorgrpc serve --program go-demo=/tmp/demoactor
//	actorctl spawn -kind exec -program go-demo w1
//	actorctl send w1 add 2 3
//
// Its commands, beside the standard ones (ping, echo, info, stop, commands):
// add, greet, boom, sleep, remember, count (fire and forget), relay (to
// another actor, with the actor's own client), and freeze, which blocks the
// actor's loop (no more beats: the arbiter declares it hung).
// With -fail-start it fails to start (its spawn fails; it exits 3).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"slices"
	"time"

	"github.com/actorgrpc/actorgrpc/clients/go/actor"
)

func main() {
	failStart := flag.Bool("fail-start", false, "fail to start (for tests of a spawn that fails)")
	flag.Parse()
	log.SetFlags(log.LstdFlags | log.Lmicroseconds)
	a := actor.New()
	register(a)
	if *failStart {
		a.OnStart(func(context.Context, *actor.Actor) error {
			return errors.New("demoactor: asked to fail at start (-fail-start)")
		})
	}
	actor.Main(a)
}

// register adds the demo's commands.
func register(a *actor.Actor) {
	a.Command("add", add, actor.Params("a", "b"))
	a.Command("greet", greet, actor.Optional("name", "world"), actor.Optional("punctuation", "!"))
	a.Command("boom", boom, actor.Optional("message", "boom"))
	a.Command("sleep", sleep, actor.Params("seconds"), actor.Concurrent())
	a.Command("remember", remember, actor.Params("key", "value"))
	a.Command("count", count, actor.Optional("n", 1.0), actor.FireAndForget())
	a.Command("freeze", freeze)
	a.Command("relay", relay, actor.Concurrent())
}

// add returns a + b: numbers add, strings and lists concatenate (Python's +).
func add(_ context.Context, c *actor.Call) (any, error) {
	switch a := c.Arg("a").(type) {
	case float64:
		if b, ok := c.Arg("b").(float64); ok {
			return a + b, nil
		}
	case string:
		if b, ok := c.Arg("b").(string); ok {
			return a + b, nil
		}
	case []any:
		if b, ok := c.Arg("b").([]any); ok {
			return slices.Concat(a, b), nil
		}
	}
	return nil, actor.Raise("TypeError", "unsupported operand type(s) for +: '%s' and '%s'",
		typeName(c.Arg("a")), typeName(c.Arg("b")))
}

// typeName is a JSON value's type as Python names it.
func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "NoneType"
	case bool:
		return "bool"
	case float64:
		return "float"
	case string:
		return "str"
	case []any:
		return "list"
	case map[string]any:
		return "dict"
	}
	return fmt.Sprintf("%T", v)
}

// greet returns a greeting that names the actor answering.
func greet(_ context.Context, c *actor.Call) (any, error) {
	return fmt.Sprintf("hello %s%s from %s", str(c.Arg("name")), str(c.Arg("punctuation")), c.Actor().Name()), nil
}

// str formats a value as Python's str() would the common ones.
func str(v any) string {
	switch x := v.(type) {
	case nil:
		return "None"
	case bool:
		if x {
			return "True"
		}
		return "False"
	}
	return fmt.Sprint(v)
}

// boom raises ValueError(message): how a failing command looks to a client.
func boom(_ context.Context, c *actor.Call) (any, error) {
	return nil, &actor.Exception{Type: "ValueError", Message: str(c.Arg("message"))}
}

// sleep waits without blocking the actor, then returns seconds.
func sleep(ctx context.Context, c *actor.Call) (any, error) {
	seconds, ok := c.Arg("seconds").(float64)
	if !ok {
		return nil, actor.Raise("TypeError", "'%s' object cannot be interpreted as a number of seconds", typeName(c.Arg("seconds")))
	}
	timer := time.NewTimer(time.Duration(seconds * float64(time.Second)))
	defer timer.Stop()
	select {
	case <-timer.C:
		return seconds, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// remember stores value under key in the actor's extra; returns the old value.
func remember(_ context.Context, c *actor.Call) (any, error) {
	key, ok := c.Arg("key").(string)
	if !ok {
		return nil, actor.Raise("TypeError", "the key must be a string, not '%s'", typeName(c.Arg("key")))
	}
	extra := c.Actor().Extra()
	old := extra[key]
	extra[key] = c.Arg("value")
	return old, nil
}

// count (fire and forget) adds n to the actor's extra["count"].
func count(_ context.Context, c *actor.Call) (any, error) {
	n, ok := c.Arg("n").(float64)
	if !ok {
		return nil, actor.Raise("TypeError", "n must be a number, not '%s'", typeName(c.Arg("n")))
	}
	extra := c.Actor().Extra()
	total, _ := extra["count"].(float64)
	extra["count"] = total + n
	return nil, nil
}

// relay(target, action, *args) sends action to another actor, directly, with
// the actor's own client, and returns its result (actor to actor).
func relay(ctx context.Context, c *actor.Call) (any, error) {
	if len(c.Args) < 2 {
		return nil, actor.InvalidArgument("bad arguments for command 'relay': relay(target, action, *args)")
	}
	target, ok1 := c.Args[0].(string)
	action, ok2 := c.Args[1].(string)
	if !ok1 || !ok2 {
		return nil, actor.Raise("TypeError", "relay's target and action are strings")
	}
	client, err := c.Actor().Client(ctx)
	if err != nil {
		return nil, err
	}
	return client.Send(ctx, target, action, c.Args[2:]...)
}

// freeze blocks the actor's loop until the actor stops: no command runs and
// no beat leaves meanwhile, so its monitor declares it hung.
func freeze(ctx context.Context, _ *actor.Call) (any, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}
