// Command actorctl drives a running actorgrpc arbiter from the shell: the
// example program of the Go client.
//
//	actorctl [-address HOST:PORT] [-timeout D] [credentials] COMMAND ARGS...
//
//	spawn [-kind process|thread|exec] [-program NAME] [-restart TYPE] [-start module:fn] NAME
//	send [-via-arbiter] TARGET ACTION [ARG...] [KEY=VALUE...]   ARG and VALUE are JSON, else strings
//	info [TARGET]                                 no TARGET: the arbiter
//	stop TARGET
//	ps [-all] [-json] [PREFIX]
//
// Credentials are Python's CLI's, with the same environment variables:
// -token ($ACTORGRPC_TOKEN), -token-file ($ACTORGRPC_TOKEN_FILE), -tls
// ($ACTORGRPC_TLS), -cacert ($ACTORGRPC_CACERT), -cert ($ACTORGRPC_CERT),
// -key ($ACTORGRPC_KEY), -tls-server-name; the same for the arbiter and every
// actor reached directly.
//
// Results are printed as JSON on stdout. Errors go to stderr with the gRPC
// code name; the exit status is 1 for a failed call, 2 for bad usage.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/actorgrpc/actorgrpc/clients/go/actorgrpc"
	"github.com/actorgrpc/actorgrpc/clients/go/internal/cliflags"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

const usage = `usage: actorctl [-address HOST:PORT] [-timeout D] [-token T | -token-file F]
                [-tls] [-cacert F] [-cert F -key F] [-tls-server-name N] COMMAND ARGS...

commands:
  spawn [-kind process|thread|exec] [-program NAME] [-restart TYPE] [-start module:fn] NAME
  send [-via-arbiter] TARGET ACTION [ARG...] [KEY=VALUE...]
                                                ARG and VALUE are JSON, else strings
  info [TARGET]                                 no TARGET: the arbiter
  stop TARGET
  ps [-all] [-json] [PREFIX]                    -all: include exited actors

flags:
`

type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("actorctl", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	defaultAddress := os.Getenv("ACTORGRPC_ADDRESS")
	if defaultAddress == "" {
		defaultAddress = "127.0.0.1:7070"
	}
	address := fs.String("address", defaultAddress, "arbiter address (default $ACTORGRPC_ADDRESS, else 127.0.0.1:7070)")
	timeout := fs.Duration("timeout", 10*time.Second, "deadline of the whole command")
	creds := cliflags.Register(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return 2
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	opts, err := creds.Options()
	if err != nil {
		fmt.Fprintf(stderr, "actorctl: %v\n", err)
		return 2
	}
	c, err := actorgrpc.Dial(ctx, *address, opts...)
	if err != nil {
		fmt.Fprintf(stderr, "actorctl: %v\n", err)
		return 1
	}
	defer c.Close()

	out, err := dispatch(ctx, c, fs.Arg(0), fs.Args()[1:], stderr)
	var ue usageError
	switch {
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "actorctl: %s\n\n", ue.msg)
		fs.Usage()
		return 2
	case errors.Is(err, flag.ErrHelp):
		return 2
	case err != nil:
		fmt.Fprintf(stderr, "actorctl: %v\n", err)
		return 1
	}
	if t, ok := out.(text); ok {
		fmt.Fprint(stdout, string(t))
		return 0
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		fmt.Fprintf(stderr, "actorctl: %v\n", err)
		return 1
	}
	return 0
}

func dispatch(ctx context.Context, c *actorgrpc.Client, command string, args []string, stderr io.Writer) (any, error) {
	switch command {
	case "spawn":
		fs := flag.NewFlagSet("spawn", flag.ContinueOnError)
		fs.SetOutput(stderr)
		var o actorgrpc.SpawnOptions
		fs.TextVar(&o.Kind, "kind", actorgrpc.KindUnspecified, `process (the default), thread or exec`)
		fs.TextVar(&o.Restart, "restart", actorgrpc.RestartUnspecified, `temporary, transient or permanent (default: the supervisor's)`)
		fs.StringVar(&o.Program, "program", "", `for -kind exec: the name of a program the operator registered`)
		fs.StringVar(&o.Start, "start", "", `start hook, "module:function"`)
		fs.StringVar(&o.Stopping, "stopping", "", `stopping hook, "module:function"`)
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() != 1 {
			return nil, usageError{"spawn takes one NAME"}
		}
		o.Name = fs.Arg(0)
		return c.Spawn(ctx, o)
	case "send":
		if len(args) < 2 {
			return nil, usageError{"send takes TARGET ACTION [ARG...] [KEY=VALUE...]"}
		}
		fs := flag.NewFlagSet("send", flag.ContinueOnError)
		fs.SetOutput(stderr)
		viaArbiter := fs.Bool("via-arbiter", false, "send through the arbiter (ArbiterService.Send) instead of to the actor's mailbox")
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) < 2 {
			return nil, usageError{"send takes TARGET ACTION [ARG...] [KEY=VALUE...]"}
		}
		cmd := actorgrpc.Command{Target: args[0], Action: args[1]}
		for _, a := range args[2:] {
			if key, value, ok := strings.Cut(a, "="); ok && isIdentifier(key) {
				if cmd.Kwargs == nil {
					cmd.Kwargs = map[string]any{}
				}
				cmd.Kwargs[key] = parseValue(value)
				continue
			}
			if cmd.Kwargs != nil {
				return nil, usageError{"positional ARG after KEY=VALUE: " + a}
			}
			cmd.Args = append(cmd.Args, parseValue(a))
		}
		if *viaArbiter {
			return c.SendCommandViaArbiter(ctx, cmd)
		}
		return c.SendCommand(ctx, cmd)
	case "info":
		if len(args) > 1 {
			return nil, usageError{"info takes at most one TARGET"}
		}
		target := ""
		if len(args) == 1 {
			target = args[0]
		}
		return c.Info(ctx, target)
	case "stop":
		if len(args) != 1 {
			return nil, usageError{"stop takes one TARGET"}
		}
		return c.Stop(ctx, args[0])
	case "ps":
		fs := flag.NewFlagSet("ps", flag.ContinueOnError)
		fs.SetOutput(stderr)
		all := fs.Bool("all", false, "include exited actors")
		asJSON := fs.Bool("json", false, "print the summaries as JSON (as `actorgrpc ps --json` does)")
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() > 1 {
			return nil, usageError{"ps takes at most one PREFIX"}
		}
		actors, err := c.ListActors(ctx, actorgrpc.ListOptions{NamePrefix: fs.Arg(0), IncludeExited: *all})
		if err != nil {
			return nil, err
		}
		if *asJSON {
			if actors == nil {
				actors = []actorgrpc.ActorSummary{}
			}
			return actors, nil
		}
		return table(actors), nil
	}
	return nil, usageError{fmt.Sprintf("unknown command %q", command)}
}

// parseValue reads a command-line value as JSON ("3", "[1,2]", "null"), or as
// a plain string when it is not JSON ("hello").
func parseValue(s string) any {
	var v any
	if err := json.Unmarshal([]byte(s), &v); err == nil {
		return v
	}
	return s
}

func isIdentifier(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}
