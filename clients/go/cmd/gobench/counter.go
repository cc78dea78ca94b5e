package main

import (
	"context"
	"fmt"
	"slices"

	"github.com/actorgrpc/actorgrpc/clients/go/actorgrpc"
)

// tellCounter tells an actor to count messages and asks how many arrived.
type tellCounter interface {
	name() string
	reset(ctx context.Context) error
	tell(ctx context.Context, i int) error
	counted(ctx context.Context) (int, error)
}

// pickTellCounter uses the benchmark module's bench_count (which checks the
// order of the tells too) when the arbiter allows it (-m
// actorgrpc_bench.commands), else the demo's count.
func pickTellCounter(ctx context.Context, c *actorgrpc.Client, target string) (tellCounter, error) {
	names, err := c.Send(ctx, target, "commands")
	if err != nil {
		return nil, err
	}
	list, _ := names.([]any)
	switch {
	case slices.Contains(list, any("bench_count")) && slices.Contains(list, any("bench_counted")):
		return &benchCounter{c: c, target: target}, nil
	case slices.Contains(list, any("count")):
		return &demoCounter{c: c, target: target}, nil
	}
	return nil, fmt.Errorf("actor %s has neither bench_count (-m actorgrpc_bench.commands) nor count (-m actorgrpc.examples.demo)", target)
}

type benchCounter struct {
	c      *actorgrpc.Client
	target string
}

func (b *benchCounter) name() string { return "bench_count" }

func (b *benchCounter) reset(ctx context.Context) error {
	_, err := b.c.SendCommand(ctx, actorgrpc.Command{Target: b.target, Action: "bench_counted",
		Kwargs: map[string]any{"reset": true}})
	return err
}

func (b *benchCounter) tell(ctx context.Context, i int) error {
	return b.c.Tell(ctx, b.target, "bench_count", i)
}

func (b *benchCounter) counted(ctx context.Context) (int, error) {
	got, err := b.c.Send(ctx, b.target, "bench_counted")
	if err != nil {
		return 0, err
	}
	m, _ := got.(map[string]any)
	count, _ := m["count"].(float64)
	if wrong, _ := m["out_of_order"].(float64); wrong != 0 {
		return 0, fmt.Errorf("%v tells arrived out of order", wrong)
	}
	return int(count), nil
}

// demoCounter counts with the demo's count(n) in extra["count"].
type demoCounter struct {
	c      *actorgrpc.Client
	target string
	base   int
}

func (d *demoCounter) name() string { return "count" }

func (d *demoCounter) reset(ctx context.Context) error {
	n, err := d.read(ctx)
	d.base = n
	return err
}

func (d *demoCounter) tell(ctx context.Context, _ int) error {
	return d.c.Tell(ctx, d.target, "count", 1)
}

func (d *demoCounter) counted(ctx context.Context) (int, error) {
	n, err := d.read(ctx)
	return n - d.base, err
}

func (d *demoCounter) read(ctx context.Context) (int, error) {
	info, err := d.c.Send(ctx, d.target, "info")
	if err != nil {
		return 0, err
	}
	extra, _ := info.(map[string]any)["extra"].(map[string]any)
	n, _ := extra["count"].(float64)
	return int(n), nil
}
