// Command rttbench measures the round-trip time of sequential sends from Go to
// a Python process actor through ArbiterService.Send (SendViaArbiter), and
// prints one JSON line (cmd/gobench measures the direct path and more):
//
//	{"go_send_rtt_p50_us": 812.4, "go_send_rtt_p90_us": ..., "go_send_rtt_p99_us": ..., "n": 2000}
//
// It uses the arbiter at -address ($ACTORGRPC_ADDRESS by default); without one
// it starts its own (the repo's .venv Python, from inside clients/go) and
// stops it at the end. Progress and errors go to stderr.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"slices"
	"time"

	"github.com/actorgrpc/actorgrpc/clients/go/actorgrpc"
	"github.com/actorgrpc/actorgrpc/clients/go/internal/arbiterproc"
	"github.com/actorgrpc/actorgrpc/clients/go/internal/cliflags"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "rttbench: %v\n", err)
		os.Exit(1)
	}
}

func run() error {
	address := flag.String("address", os.Getenv("ACTORGRPC_ADDRESS"), "arbiter address (default $ACTORGRPC_ADDRESS; empty: start one)")
	n := flag.Int("n", 2000, "measured round trips")
	warmup := flag.Int("warmup", 200, "round trips before measuring (connection, caches, JIT-free but warm)")
	action := flag.String("action", "ping", "command to send (no arguments)")
	creds := cliflags.Register(flag.CommandLine)
	flag.Parse()
	opts, err := creds.Options()
	if err != nil {
		return err
	}
	if *n <= 0 {
		return fmt.Errorf("-n must be positive")
	}

	if *address == "" {
		arb, err := arbiterproc.Start(context.Background())
		if err != nil {
			return err
		}
		defer func() {
			if err := arb.Stop(); err != nil {
				fmt.Fprintf(os.Stderr, "rttbench: %v\n", err)
			}
		}()
		*address = arb.Address
	}

	// Connecting, spawning and stopping take well under a second each.
	setup, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := actorgrpc.Dial(setup, *address, opts...)
	if err != nil {
		return err
	}
	defer c.Close()
	name := fmt.Sprintf("go-rttbench-%d", os.Getpid())
	ref, err := c.Spawn(setup, actorgrpc.SpawnOptions{Name: name, Kind: actorgrpc.KindProcess})
	if err != nil {
		return err
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := c.Stop(ctx, ref.Name); err != nil {
			fmt.Fprintf(os.Stderr, "rttbench: %v\n", err)
		}
	}()

	ctx := context.Background()
	rtts := make([]time.Duration, 0, *n)
	for i := 0; i < *warmup+*n; i++ {
		start := time.Now()
		if _, err := c.SendViaArbiter(ctx, ref.AID, *action); err != nil {
			return err
		}
		if i >= *warmup {
			rtts = append(rtts, time.Since(start))
		}
	}
	slices.Sort(rtts)
	us := func(q float64) float64 {
		d := rtts[int(math.Ceil(q*float64(len(rtts))))-1]
		return math.Round(float64(d)/float64(time.Microsecond)*10) / 10
	}
	return json.NewEncoder(os.Stdout).Encode(map[string]any{
		"go_send_rtt_p50_us": us(0.50),
		"go_send_rtt_p90_us": us(0.90),
		"go_send_rtt_p99_us": us(0.99),
		"n":                  len(rtts),
	})
}
