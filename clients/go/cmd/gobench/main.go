// Command gobench measures the Go client against a Python process actor and
// prints one JSON object (medians over repetitions, each with its spread):
//
//	{"go_send_rtt_p50_us": 181.2, "go_ask_throughput": 95000, "go_tell_throughput": 310000,
//	 "go_arbiter_send_throughput": 2900, ...}
//
// Usage:
//
//	gobench [-address HOST:PORT] [-actor NAME] [-repetitions N] [-rtt-count N]
//	        [-ask-count N] [-tell-count N] [-arbiter-count N] [-arbiter-in-flight N]
//	        [-measure rtt,ask,tell,arbiter] [-cpuprofile FILE]
//	        [-token T | -token-file F] [-tls] [-cacert F] [-cert F -key F] [-tls-server-name N]
//
// Without -address (or $ACTORGRPC_ADDRESS) it starts its own arbiter (the
// repo's .venv Python, with -m actorgrpc_bench.commands from bench/) and
// stops it at the end. Without -actor it spawns a process actor and stops it at the end.
// Progress and errors go to stderr; see clients/go/README.md for every figure.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/actorgrpc/actorgrpc/clients/go/actorgrpc"
	"github.com/actorgrpc/actorgrpc/clients/go/internal/arbiterproc"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "gobench: %v\n", err)
		os.Exit(1)
	}
}

// settings are the sizes of the measurements.
type settings struct {
	repetitions  int
	rttCount     int
	askCount     int
	tellCount    int
	arbiterCount int
	// arbiterInFlight is how many ArbiterService.Send calls are in flight.
	arbiterInFlight int
	// measure is the set of measurements to make: rtt, ask, tell, arbiter.
	measure map[string]bool
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("gobench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	address := fs.String("address", os.Getenv("ACTORGRPC_ADDRESS"), "arbiter address (default $ACTORGRPC_ADDRESS; empty: start one)")
	actorName := fs.String("actor", "", "name of a running Python process actor to measure (default: spawn one)")
	var s settings
	fs.IntVar(&s.repetitions, "repetitions", 5, "repetitions of each measurement (figures are medians)")
	fs.IntVar(&s.rttCount, "rtt-count", 3000, "sequential round trips per repetition")
	fs.IntVar(&s.askCount, "ask-count", 10_000, "asks in flight at once per repetition (one burst)")
	fs.IntVar(&s.tellCount, "tell-count", 200_000, "tells per repetition")
	fs.IntVar(&s.arbiterCount, "arbiter-count", 2000, "ArbiterService.Send calls per repetition")
	fs.IntVar(&s.arbiterInFlight, "arbiter-in-flight", 100, "ArbiterService.Send calls in flight at a time")
	measure := fs.String("measure", "rtt,ask,tell,arbiter", "the measurements to make, comma-separated: rtt, ask, tell, arbiter")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the measurements (go tool pprof) to this file")
	creds := registerCredentialFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q (every setting is a flag)", fs.Args())
	}
	if s.repetitions < 1 || s.rttCount < 1 || s.askCount < 1 || s.tellCount < 1 || s.arbiterCount < 1 || s.arbiterInFlight < 1 {
		return fmt.Errorf("counts and -repetitions must be positive")
	}
	s.measure = map[string]bool{}
	for _, m := range strings.Split(*measure, ",") {
		switch m = strings.TrimSpace(m); m {
		case "rtt", "ask", "tell", "arbiter":
			s.measure[m] = true
		default:
			return fmt.Errorf("-measure: unknown measurement %q (rtt, ask, tell, arbiter)", m)
		}
	}
	opts, err := creds.Options()
	if err != nil {
		return err
	}
	logf := func(format string, a ...any) { fmt.Fprintf(stderr, "gobench: "+format+"\n", a...) }

	if *address == "" {
		// The benchmark's counting commands are a dev module of the repo
		// (bench/actorgrpc_bench), not installed: on the arbiter's path.
		root, err := arbiterproc.RepoRoot()
		if err != nil {
			return err
		}
		pythonPath := filepath.Join(root, "bench")
		if old := os.Getenv("PYTHONPATH"); old != "" {
			pythonPath += string(os.PathListSeparator) + old
		}
		arb, err := arbiterproc.StartWithEnv(context.Background(), []string{"PYTHONPATH=" + pythonPath},
			"-m", "actorgrpc_bench.commands")
		if err != nil {
			return err
		}
		defer func() {
			if err := arb.Stop(); err != nil {
				logf("%v", err)
			}
		}()
		*address = arb.Address
		logf("started an arbiter at %s", *address)
	}

	// Connecting, spawning and stopping take well under a second each.
	setup, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := actorgrpc.Dial(setup, *address, opts...)
	if err != nil {
		return err
	}
	defer c.Close()
	target := *actorName
	if target == "" {
		target = fmt.Sprintf("go-bench-%d", os.Getpid())
		if _, err := c.Spawn(setup, actorgrpc.SpawnOptions{Name: target, Kind: actorgrpc.KindProcess}); err != nil {
			return err
		}
		defer func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if _, err := c.Stop(ctx, target); err != nil {
				logf("%v", err)
			}
		}()
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	b := &bench{c: c, target: target, s: s, logf: logf}
	results, err := b.run(setup)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	return enc.Encode(results)
}
