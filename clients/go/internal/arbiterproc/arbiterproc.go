// Package arbiterproc starts and stops a real Python arbiter for tests and
// benchmarks:
//
//	$ACTORGRPC_PYTHON -m actorgrpc serve --bind 127.0.0.1:0 -m actorgrpc.examples.demo
//
// run from the repository root. ACTORGRPC_PYTHON defaults to the repository's
// .venv/bin/python.
package arbiterproc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Timing margins of the arbiter's life cycle.
const (
	// ReadyTimeout bounds the wait for the "serving on" line: an arbiter
	// starts in about a second (imports of grpc + the demo module); 30 s
	// leaves room for a cold, loaded CI machine.
	ReadyTimeout = 30 * time.Second
	// StopTimeout is how long a SIGTERMed arbiter may take to stop its actors
	// (each gets its own graceful stop, then terminate, then kill) before it
	// is SIGKILLed.
	StopTimeout = 10 * time.Second
	// pipeDrainTimeout bounds Wait when an orphaned grandchild still holds the
	// arbiter's stdout open.
	pipeDrainTimeout = 5 * time.Second
)

const readyPrefix = "actorgrpc serving on "

// ErrNoPython means the Python interpreter (the repo's venv) is missing: tests
// skip, loudly, on it.
var ErrNoPython = errors.New("arbiterproc: no Python interpreter")

// RepoRoot finds the repository root: the directory two levels above the Go
// module root (clients/go), found by walking up from the working directory
// to the go.mod of this module (or to a directory with clients/go/go.mod).
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		// dir may be inside the module, or the repo root itself.
		for _, mod := range []string{dir, filepath.Join(dir, "clients", "go")} {
			data, err := os.ReadFile(filepath.Join(mod, "go.mod"))
			if err == nil && bytes.Contains(data, []byte("module github.com/actorgrpc/actorgrpc/clients/go\n")) {
				return filepath.Clean(filepath.Join(mod, "..", "..")), nil
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("arbiterproc: not inside the clients/go module")
		}
		dir = parent
	}
}

// Python is the interpreter to run: $ACTORGRPC_PYTHON, else the repo's
// .venv/bin/python. It fails with ErrNoPython when the venv does not exist;
// a wrong $ACTORGRPC_PYTHON is a plain error (a broken setup, not a missing one).
func Python(root string) (string, error) {
	if p := os.Getenv("ACTORGRPC_PYTHON"); p != "" {
		if _, err := exec.LookPath(p); err != nil {
			return "", fmt.Errorf("arbiterproc: ACTORGRPC_PYTHON=%s: %w", p, err)
		}
		return p, nil
	}
	p := filepath.Join(root, ".venv", "bin", "python")
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("%w: %s is missing (run 'make' at the repo root, or set ACTORGRPC_PYTHON)", ErrNoPython, p)
	}
	return p, nil
}

// Arbiter is a running arbiter process.
type Arbiter struct {
	// Address is where it serves, "127.0.0.1:PORT".
	Address string

	cmd  *exec.Cmd
	out  *lineLog
	once sync.Once
	err  error
	// killedOnPurpose: KillOnlyArbiter ended it; its exit is no error.
	killedOnPurpose atomic.Bool
}

// Start runs an arbiter and returns once it prints its address. The process
// runs in its own process group; Stop (which callers must always call) ends
// it, and with it every process of that group.
func Start(ctx context.Context, extraArgs ...string) (*Arbiter, error) {
	return StartWithEnv(ctx, nil, extraArgs...)
}

// StartWithEnv is Start with environment variables ("NAME=value") added to
// this process's.
func StartWithEnv(ctx context.Context, env []string, extraArgs ...string) (*Arbiter, error) {
	root, err := RepoRoot()
	if err != nil {
		return nil, err
	}
	python, err := Python(root)
	if err != nil {
		return nil, err
	}
	args := append([]string{"-m", "actorgrpc", "serve", "--bind", "127.0.0.1:0",
		"-m", "actorgrpc.examples.demo"}, extraArgs...)
	cmd := exec.Command(python, args...)
	cmd.Dir = root
	// Unbuffered: the ready line must not sit in a pipe buffer.
	cmd.Env = append(append(os.Environ(), "PYTHONUNBUFFERED=1"), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	ready := make(chan string, 1)
	out := &lineLog{onLine: func(line string) {
		if addr, ok := strings.CutPrefix(line, readyPrefix); ok {
			select {
			case ready <- strings.TrimSpace(addr):
			default:
			}
		}
	}}
	// exec copies both pipes into out until they close, which keeps the
	// arbiter from blocking on a full pipe for as long as it runs.
	cmd.Stdout = out
	cmd.Stderr = out
	cmd.WaitDelay = pipeDrainTimeout
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("arbiterproc: starting %s: %w", python, err)
	}
	a := &Arbiter{cmd: cmd, out: out}
	exited := make(chan struct{})
	go func() {
		a.wait()
		close(exited)
	}()

	timer := time.NewTimer(ReadyTimeout)
	defer timer.Stop()
	select {
	case a.Address = <-ready:
		return a, nil
	case <-exited:
		return nil, fmt.Errorf("arbiterproc: arbiter exited before serving (%v); its output:\n%s", a.err, out.String())
	case <-timer.C:
		a.Stop()
		return nil, fmt.Errorf("arbiterproc: no %q line within %v; its output:\n%s", readyPrefix, ReadyTimeout, out.String())
	case <-ctx.Done():
		a.Stop()
		return nil, ctx.Err()
	}
}

func (a *Arbiter) wait() {
	a.once.Do(func() { a.err = a.cmd.Wait() })
}

// KillOnlyArbiter SIGKILLs the arbiter process alone (not its process
// group) and waits for it: what its actors do when their arbiter dies is
// theirs to show. Stop still checks that none outlives it.
func (a *Arbiter) KillOnlyArbiter() {
	a.killedOnPurpose.Store(true)
	_ = a.cmd.Process.Kill()
	a.wait()
}

// Output is everything the arbiter printed so far (stdout and stderr).
func (a *Arbiter) Output() string { return a.out.String() }

// PID is the arbiter's process id (and process group id).
func (a *Arbiter) PID() int { return a.cmd.Process.Pid }

// Stop sends SIGTERM, waits up to StopTimeout, then SIGKILLs; in any case it
// waits for the arbiter. Then it checks that no process of the arbiter's
// process group, and none of the given pids (actors, which may run in groups
// of their own), outlived it: survivors are SIGKILLed and reported. It
// returns the arbiter's exit error (nil for a clean exit) joined with that
// report. Stop is safe to call twice.
func (a *Arbiter) Stop(pids ...int) error {
	pid := a.cmd.Process.Pid
	// Its actors, wherever they run (their own sessions, for exec actors):
	// once the arbiter is gone they would be reparented, and no longer found.
	pids = append(pids, descendants(pid)...)
	_ = a.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		a.wait()
		close(done)
	}()
	timer := time.NewTimer(StopTimeout)
	defer timer.Stop()
	killed := false
	select {
	case <-done:
	case <-timer.C:
		_ = a.cmd.Process.Kill()
		killed = true
		<-done
	}
	var errs []error
	if killed {
		errs = append(errs, fmt.Errorf("arbiterproc: arbiter ignored SIGTERM for %v and was killed", StopTimeout))
	} else if a.err != nil && !isSIGTERMExit(a.err) && !a.killedOnPurpose.Load() {
		errs = append(errs, fmt.Errorf("arbiterproc: arbiter exited with %v", a.err))
	}
	if left := survivors(pid, pids); len(left) > 0 {
		for _, p := range left {
			_ = syscall.Kill(p, syscall.SIGKILL)
		}
		errs = append(errs, fmt.Errorf("arbiterproc: processes %v outlived the arbiter (killed)", left))
	}
	return errors.Join(errs...)
}

// reapGrace is how long processes the arbiter ended may stay visible: once
// the arbiter exits, its unreaped children are reparented and reaped by init,
// which takes milliseconds; zombies are not counted anyway.
const reapGrace = 2 * time.Second

// survivors polls, for up to reapGrace, for live (non-zombie) processes that
// are in process group pgid or in pids.
func survivors(pgid int, pids []int) []int {
	deadline := time.Now().Add(reapGrace)
	for {
		var left []int
		entries, _ := os.ReadDir("/proc")
		for _, e := range entries {
			p, err := strconv.Atoi(e.Name())
			if err != nil {
				continue
			}
			state, pgrp, ok := procStat(p)
			if !ok || state == "Z" || state == "X" {
				continue
			}
			if pgrp == pgid || slices.Contains(pids, p) {
				left = append(left, p)
			}
		}
		if len(left) == 0 || time.Now().After(deadline) {
			return left
		}
		time.Sleep(20 * time.Millisecond) // polling interval, not a margin
	}
}

// descendants lists the live processes below pid (children, grandchildren...).
func descendants(pid int) []int {
	children := map[int][]int{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if ppid, ok := procParent(p); ok {
			children[ppid] = append(children[ppid], p)
		}
	}
	var out []int
	queue := []int{pid}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		out = append(out, children[p]...)
		queue = append(queue, children[p]...)
	}
	return out
}

// procParent reads the parent of pid from /proc/PID/stat.
func procParent(pid int) (int, bool) {
	fields, ok := procStatFields(pid)
	if !ok || len(fields) < 2 {
		return 0, false
	}
	ppid, err := strconv.Atoi(fields[1])
	return ppid, err == nil
}

// procStatFields are the fields of /proc/PID/stat after "pid (comm)".
func procStatFields(pid int) ([]string, bool) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil, false
	}
	// "pid (comm) state ppid pgrp ...": comm may contain spaces and parentheses.
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return nil, false
	}
	return strings.Fields(string(data[i+1:])), true
}

// procStat reads the state and process group of pid from /proc/PID/stat.
func procStat(pid int) (state string, pgrp int, ok bool) {
	fields, ok := procStatFields(pid)
	if !ok || len(fields) < 3 {
		return "", 0, false
	}
	pgrp, err := strconv.Atoi(fields[2])
	return fields[0], pgrp, err == nil
}

func isSIGTERMExit(err error) bool {
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return false
	}
	ws, ok := ee.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == syscall.SIGTERM
}

// lineLog is an io.Writer that keeps the last lines written to it and calls
// onLine for each complete line.
type lineLog struct {
	mu      sync.Mutex
	partial []byte
	lines   []string
	onLine  func(string)
}

const keepLines = 200

func (l *lineLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.partial = append(l.partial, p...)
	for {
		i := bytes.IndexByte(l.partial, '\n')
		if i < 0 {
			break
		}
		line := string(l.partial[:i])
		l.partial = l.partial[i+1:]
		l.lines = append(l.lines, line)
		if len(l.lines) > keepLines {
			l.lines = l.lines[len(l.lines)-keepLines:]
		}
		if l.onLine != nil {
			l.onLine(line)
		}
	}
	return len(p), nil
}

func (l *lineLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n") + "\n" + string(l.partial)
}

var _ io.Writer = (*lineLog)(nil)
