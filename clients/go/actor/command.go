package actor

import (
	"context"
	"fmt"
)

// Func is a command: it runs with the call's arguments and returns a
// JSON-shaped result (see Call) or an error (see Exception and
// InvalidArgument). Its context ends when the call's timeout passes or the
// actor stops.
type Func func(ctx context.Context, c *Call) (any, error)

// CommandOption configures a command.
type CommandOption func(*command)

type param struct {
	name     string
	optional bool
	def      any
}

type command struct {
	name string
	fn   Func
	// params, when declared, bind positional and keyword arguments by name
	// (Python's signature); nil leaves Call.Args and Call.Kwargs as sent.
	params        []param
	declared      bool
	fireAndForget bool
	concurrent    bool
}

// Params declares required parameters, in order: a call binds its
// positional arguments, then its keyword arguments, to them (Call.Arg), and
// one that does not fit fails with INVALID_ARGUMENT, as a Python command's
// signature does.
func Params(names ...string) CommandOption {
	return func(c *command) {
		c.declared = true
		for _, n := range names {
			c.params = append(c.params, param{name: n})
		}
	}
}

// Optional declares a parameter with a default value, after the others.
func Optional(name string, def any) CommandOption {
	return func(c *command) {
		c.declared = true
		c.params = append(c.params, param{name: name, optional: true, def: def})
	}
}

// FireAndForget answers the caller null as soon as the command is received,
// and runs it afterwards; its errors are only logged (Python's
// @command(ack=False)).
func FireAndForget() CommandOption { return func(c *command) { c.fireAndForget = true } }

// Concurrent runs the command in a goroutine of its own, started in the
// order the calls arrived, while the actor goes on with the next ones (a
// Python coroutine command). Other commands run one at a time on the
// actor's loop, in order, and may use the actor's state without locks; a
// concurrent one must not (it may read Call fields and its own values).
// Use it for commands that wait (sleep, I/O): a command that blocks the loop
// blocks the actor, and an actor whose loop is blocked for longer than its
// heartbeat timeout is declared hung.
func Concurrent() CommandOption { return func(c *command) { c.concurrent = true } }

// Call is one call of a command.
type Call struct {
	// Action is the command's name.
	Action string
	// Args and Kwargs are the arguments as sent: JSON-shaped values (nil,
	// bool, float64, string, []any, map[string]any).
	Args   []any
	Kwargs map[string]any

	actor *Actor
	bound map[string]any
}

// Actor is the actor that runs the call.
func (c *Call) Actor() *Actor { return c.actor }

// Arg is the value of a declared parameter (Params, Optional), from a
// positional or keyword argument or its default.
func (c *Call) Arg(name string) any { return c.bound[name] }

// bind fits the arguments to the declared parameters, as Python's
// inspect.Signature.bind does (and with its words).
func (cmd *command) bind(c *Call) error {
	if !cmd.declared {
		return nil
	}
	if len(c.Args) > len(cmd.params) {
		return badArguments(cmd.name, "too many positional arguments")
	}
	c.bound = make(map[string]any, len(cmd.params))
	for i, a := range c.Args {
		c.bound[cmd.params[i].name] = a
	}
	for k, v := range c.Kwargs {
		known := false
		for _, p := range cmd.params {
			known = known || p.name == k
		}
		if !known {
			return badArguments(cmd.name, fmt.Sprintf("got an unexpected keyword argument '%s'", k))
		}
		if _, dup := c.bound[k]; dup {
			return badArguments(cmd.name, fmt.Sprintf("multiple values for argument '%s'", k))
		}
		c.bound[k] = v
	}
	for _, p := range cmd.params {
		if _, ok := c.bound[p.name]; ok {
			continue
		}
		if !p.optional {
			return badArguments(cmd.name, fmt.Sprintf("missing a required argument: '%s'", p.name))
		}
		c.bound[p.name] = p.def
	}
	return nil
}
