// Package testenv gives the tests of this module one real arbiter per test
// binary: TestMain calls Run, tests call Address or Client.
//
// When $ACTORGRPC_ADDRESS is set, that arbiter is used and none is started.
// Otherwise an arbiter is started with arbiterproc; when the repo's Python
// venv is missing, every test that needs the arbiter skips with a loud
// message (and only then: any other failure to start fails the tests).
package testenv

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/actorgrpc/actorgrpc/clients/go/actorgrpc"
	"github.com/actorgrpc/actorgrpc/clients/go/internal/arbiterproc"
)

// DialTimeout bounds connecting to an arbiter that has already printed its
// address (so it is listening): generous for a loaded machine.
const DialTimeout = 10 * time.Second

var (
	address    string
	skipReason string
	startErr   error
)

// Run starts the arbiter (with extra serve arguments, if any), runs the
// tests and stops the arbiter, checking that no actor process outlived it.
// Use as: func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }.
func Run(m *testing.M, args ...string) int {
	defer removeBuilt()
	if address = os.Getenv("ACTORGRPC_ADDRESS"); address != "" {
		fmt.Fprintf(os.Stderr, "testenv: using the arbiter at ACTORGRPC_ADDRESS=%s\n", address)
		return m.Run()
	}
	arb, err := arbiterproc.Start(context.Background(), args...)
	switch {
	case errors.Is(err, arbiterproc.ErrNoPython):
		skipReason = err.Error()
		fmt.Fprintf(os.Stderr, "\n!!! testenv: SKIPPING every test that needs an arbiter: %s\n\n", skipReason)
		return m.Run()
	case err != nil:
		// Every test that needs the arbiter fails with this error.
		startErr = err
		return m.Run()
	}
	address = arb.Address
	code := m.Run()
	pids, listErr := actorPIDs(address)
	if listErr != nil {
		fmt.Fprintf(os.Stderr, "testenv: listing actors before stopping the arbiter: %v\n", listErr)
		code = 1
	}
	if err := arb.Stop(pids...); err != nil {
		fmt.Fprintf(os.Stderr, "testenv: %v\narbiter output:\n%s\n", err, arb.Output())
		code = 1
	}
	return code
}

// actorPIDs lists the process ids of every process actor the arbiter knows,
// so that Stop can check that none outlived it.
func actorPIDs(addr string) ([]int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), DialTimeout)
	defer cancel()
	c, err := actorgrpc.Dial(ctx, addr)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	actors, err := c.ListActors(ctx, actorgrpc.ListOptions{IncludeExited: true})
	if err != nil {
		return nil, err
	}
	var pids []int
	self := os.Getpid()
	for _, a := range actors {
		if a.PID > 0 && a.PID != self {
			pids = append(pids, a.PID)
		}
	}
	return pids, nil
}

// Address is the shared arbiter's address; it skips t when the Python venv is
// missing and fails t when the arbiter could not start.
func Address(t testing.TB) string {
	t.Helper()
	if skipReason != "" {
		t.Skipf("!!! SKIPPED: no Python venv to run the arbiter: %s", skipReason)
	}
	if startErr != nil {
		t.Fatalf("the test arbiter did not start: %v", startErr)
	}
	return address
}

// Client dials the shared arbiter; the client is closed when t ends.
func Client(t testing.TB, opts ...actorgrpc.Option) *actorgrpc.Client {
	t.Helper()
	addr := Address(t)
	ctx, cancel := context.WithTimeout(context.Background(), DialTimeout)
	defer cancel()
	c, err := actorgrpc.Dial(ctx, addr, opts...)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// StartArbiter starts a private arbiter, with extra serve arguments, for a
// test that must stop it (e.g. to see calls fail while it shuts down) or
// needs its own settings (tokens, TLS, programs); it is stopped when t ends
// if the test did not, and no process of it may survive. It skips like
// Address when the venv is missing.
func StartArbiter(t testing.TB, args ...string) *arbiterproc.Arbiter {
	t.Helper()
	root, err := arbiterproc.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := arbiterproc.Python(root); errors.Is(err, arbiterproc.ErrNoPython) {
		t.Skipf("!!! SKIPPED: no Python venv to run the arbiter: %v", err)
	}
	arb, err := arbiterproc.Start(context.Background(), args...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := arb.Stop(); err != nil {
			t.Errorf("%v\narbiter output:\n%s", err, arb.Output())
		}
	})
	return arb
}
