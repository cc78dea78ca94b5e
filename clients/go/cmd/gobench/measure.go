package main

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/actorgrpc/actorgrpc/clients/go/actorgrpc"
)

// bench runs the measurements against one actor.
type bench struct {
	c      *actorgrpc.Client
	target string
	s      settings
	logf   func(string, ...any)
	// counter is how tells are counted: bench_count/bench_counted (the
	// benchmark module, which also checks their order) or the demo's count.
	counter tellCounter
}

// callTimeout bounds each call of a measurement: a burst of 10,000 asks
// takes a fraction of a second; 60 s (Python's benchmark uses the same)
// only stops a benchmark whose actor hangs.
const callTimeout = 60 * time.Second

func (b *bench) run(ctx context.Context) (map[string]any, error) {
	counter, err := pickTellCounter(ctx, b.c, b.target)
	if err != nil {
		return nil, err
	}
	b.counter = counter
	// Warm up: the route, the stream, and both ends' first-message costs.
	for range 200 {
		if _, err := b.c.Send(ctx, b.target, "echo", "hello"); err != nil {
			return nil, err
		}
	}
	var rtt, rttP99, asks, tells, arbiter []float64
	for i := range b.s.repetitions {
		var line []string
		if b.s.measure["rtt"] {
			p50, p99, err := b.sendRTT()
			if err != nil {
				return nil, err
			}
			rtt, rttP99 = append(rtt, p50), append(rttP99, p99)
			line = append(line, fmt.Sprintf("rtt p50 %.1f us", p50))
		}
		if b.s.measure["ask"] {
			rate, err := b.askThroughput()
			if err != nil {
				return nil, err
			}
			asks = append(asks, rate)
			line = append(line, fmt.Sprintf("asks %.0f/s", rate))
		}
		if b.s.measure["tell"] {
			rate, err := b.tellThroughput()
			if err != nil {
				return nil, err
			}
			tells = append(tells, rate)
			line = append(line, fmt.Sprintf("tells %.0f/s", rate))
		}
		if b.s.measure["arbiter"] {
			rate, err := b.arbiterSendThroughput()
			if err != nil {
				return nil, err
			}
			arbiter = append(arbiter, rate)
			line = append(line, fmt.Sprintf("arbiter sends %.0f/s", rate))
		}
		b.logf("repetition %d/%d: %s", i+1, b.s.repetitions, strings.Join(line, ", "))
	}
	out := map[string]any{}
	spreads := map[string]any{}
	put := func(key string, xs []float64, round func(float64) float64) {
		if len(xs) > 0 {
			out[key] = round(median(xs))
			spreads[key] = spread(xs, round)
		}
	}
	put("go_send_rtt_p50_us", rtt, round1)
	put("go_send_rtt_p99_us", rttP99, round1)
	put("go_ask_throughput", asks, math.Round)
	put("go_tell_throughput", tells, math.Round)
	put("go_arbiter_send_throughput", arbiter, math.Round)
	delete(spreads, "go_send_rtt_p99_us")
	out["spread"] = spreads
	out["settings"] = map[string]any{
		"repetitions": b.s.repetitions, "rtt_count": b.s.rttCount, "ask_count": b.s.askCount,
		"tell_count": b.s.tellCount, "arbiter_count": b.s.arbiterCount, "arbiter_in_flight": b.s.arbiterInFlight,
		"tell_command": b.counter.name(),
	}
	return out, nil
}

// sendRTT times sequential direct sends of "echo"; their p50 and p99 in µs.
func (b *bench) sendRTT() (float64, float64, error) {
	ctx := context.Background()
	rtts := make([]time.Duration, 0, b.s.rttCount)
	for range b.s.rttCount {
		start := time.Now()
		if _, err := b.c.Send(ctx, b.target, "echo", "hello"); err != nil {
			return 0, 0, err
		}
		rtts = append(rtts, time.Since(start))
	}
	slices.Sort(rtts)
	us := func(q float64) float64 {
		return float64(rtts[int(math.Ceil(q*float64(len(rtts))))-1]) / float64(time.Microsecond)
	}
	return us(0.50), us(0.99), nil
}

// burst makes n calls with inFlight goroutines each calling in a loop (all
// n at once when inFlight >= n, one goroutine per call, as a Go service
// would) and returns calls per second; call i must return float64(i).
func burst(n, inFlight int, send func(ctx context.Context, i int) (any, error)) (float64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	var wg sync.WaitGroup
	var next atomic.Int64
	errs := make(chan error, 1)
	start := time.Now()
	for range min(n, inFlight) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				got, err := send(ctx, i)
				if err == nil && got != float64(i) {
					err = fmt.Errorf("call %d came back as %#v", i, got)
				}
				if err != nil {
					select {
					case errs <- err:
					default:
					}
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	select {
	case err := <-errs:
		return 0, err
	default:
	}
	return float64(n) / elapsed.Seconds(), nil
}

// askThroughput: one burst of askCount direct asks of "echo".
func (b *bench) askThroughput() (float64, error) {
	return burst(b.s.askCount, b.s.askCount, func(ctx context.Context, i int) (any, error) {
		return b.c.Send(ctx, b.target, "echo", i)
	})
}

// arbiterSendThroughput: arbiterCount ArbiterService.Send calls of "echo",
// arbiterInFlight at a time (the arbiter serves ~1,300/s here from 16 in
// flight up; from about a thousand unary calls at once on one connection it
// cancels some).
func (b *bench) arbiterSendThroughput() (float64, error) {
	return burst(b.s.arbiterCount, b.s.arbiterInFlight, func(ctx context.Context, i int) (any, error) {
		return b.c.SendViaArbiter(ctx, b.target, "echo", i)
	})
}

// tellThroughput tells tellCount messages from one goroutine, then polls
// until the actor has counted them all; tells per second, from the first
// tell to the last one counted.
func (b *bench) tellThroughput() (float64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	if err := b.counter.reset(ctx); err != nil {
		return 0, err
	}
	n := b.s.tellCount
	start := time.Now()
	for i := range n {
		if err := b.counter.tell(ctx, i); err != nil {
			return 0, err
		}
	}
	for {
		counted, err := b.counter.counted(ctx)
		if err != nil {
			return 0, err
		}
		if counted >= n {
			if counted > n {
				return 0, fmt.Errorf("%d tells counted, %d sent", counted, n)
			}
			return float64(n) / time.Since(start).Seconds(), nil
		}
		// Polling interval, not a margin: tells are counted in order, and
		// this ask waits behind those still queued anyway.
		time.Sleep(time.Millisecond)
	}
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if n := len(s); n%2 == 1 {
		return s[n/2]
	} else {
		return (s[n/2-1] + s[n/2]) / 2
	}
}

func spread(xs []float64, round func(float64) float64) []float64 {
	return []float64{round(slices.Min(xs)), round(slices.Max(xs))}
}

func round1(x float64) float64 { return math.Round(x*10) / 10 }
