package conformance_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"

	"github.com/actorgrpc/actorgrpc/clients/go/actorgrpc"
	pb "github.com/actorgrpc/actorgrpc/clients/go/actorgrpcv1"
	"github.com/actorgrpc/actorgrpc/clients/go/conformance"
	"github.com/actorgrpc/actorgrpc/clients/go/internal/arbiterproc"
	"github.com/actorgrpc/actorgrpc/clients/go/internal/testenv"
)

// The arbiter of these tests also runs the Go demo actor (go-demo) and, when
// node and clients/js/node_modules are there, the Node.js one (js-demo).
func TestMain(m *testing.M) {
	args := testenv.DemoActorArgs()
	var node []string
	node, nodeMissing = nodeDemoArgs()
	os.Exit(testenv.Run(m, append(args, node...)...))
}

// nodeProgram is the name the arbiter registers the Node.js demo actor under.
const nodeProgram = "js-demo"

// nodeMissing says why the Node.js demo actor is not registered ("" if it is).
var nodeMissing string

// nodeDemoArgs are serve arguments registering clients/js/examples/demo-actor.js
// as nodeProgram, or why it cannot run here (no node; no node_modules, which
// scripts/test-js.sh installs, and scripts/test-go.sh too when npm is there).
func nodeDemoArgs() ([]string, string) {
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, "node is not on PATH"
	}
	root, err := arbiterproc.RepoRoot()
	if err != nil {
		return nil, err.Error()
	}
	js := filepath.Join(root, "clients", "js")
	if _, err := os.Stat(filepath.Join(js, "node_modules", "@grpc", "grpc-js")); err != nil {
		return nil, "clients/js/node_modules is missing (npm ci in clients/js)"
	}
	// The arbiter splits the command line as a POSIX shell does.
	quote := func(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
	demo := filepath.Join(js, "examples", "demo-actor.js")
	return []string{"--program", nodeProgram + "=" + quote(node) + " " + quote(demo)}, ""
}

// TestConformance runs every case of tests/conformance/cases.json against the
// test arbiter through both data paths, one subtest per path and case, in
// the file's order.
func TestConformance(t *testing.T) {
	calls := &methodCounter{}
	c := testenv.Client(t, calls.options())
	runAll(t, c, calls, "")
}

// TestConformanceGoActor runs every case again with the Go demo actor (an
// exec actor) where a case spawns a plain actor, through both data paths.
func TestConformanceGoActor(t *testing.T) {
	calls := &methodCounter{}
	c := testenv.Client(t, calls.options())
	runAll(t, c, calls, testenv.DemoProgram)
}

// TestConformanceNodeActor runs every case again with the Node.js demo actor
// (an exec actor) where a case spawns a plain actor, through both data paths.
func TestConformanceNodeActor(t *testing.T) {
	if nodeMissing != "" {
		t.Skipf("!!! SKIPPED: the Node.js actor is NOT tested: %s !!!", nodeMissing)
	}
	calls := &methodCounter{}
	c := testenv.Client(t, calls.options())
	runAll(t, c, calls, nodeProgram)
}

// runAll runs every case on both paths (program as in Runner.Program) and
// checks that each path's sends took that path; calls counts the client's
// RPCs.
func runAll(t *testing.T, c *actorgrpc.Client, calls *methodCounter, program string) {
	// go test runs in the package directory, one below the module root.
	suite, err := conformance.Load(filepath.Join("..", conformance.CasesPath))
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range conformance.Paths {
		calls.reset()
		r := &conformance.Runner{Client: c, Path: path, Program: program}
		for _, cs := range suite.Cases {
			t.Run(string(path)+"/"+cs.Name, func(t *testing.T) {
				t.Cleanup(func() {
					// Cleanup's stops take a few hundred ms each; 30 s is ample.
					ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
					defer cancel()
					conformance.Cleanup(ctx, c, cs)
				})
				if err := r.RunCase(context.Background(), cs); err != nil {
					t.Fatal(err)
				}
			})
		}
		sends, streams := calls.count(arbiterSend), calls.count(mailboxStream)
		if path == conformance.Direct && (sends != 0 || streams == 0) ||
			path == conformance.ViaArbiter && (sends == 0 || streams != 0) {
			t.Errorf("%s: %d ArbiterService.Send calls, %d mailbox streams", path, sends, streams)
		}
		// The cases spawn plain actors, and one thread actor with a hook:
		// with a program, the plain ones are its exec actors.
		if program != "" && (calls.spawns(program) == 0 || calls.spawns("") == 0) ||
			program == "" && calls.spawns("") == 0 {
			t.Errorf("%s: spawns of %q: %d, of Python actors: %d", path, program, calls.spawns(program), calls.spawns(""))
		}
	}
}

const (
	arbiterSend   = "/actorgrpc.v1.ArbiterService/Send"
	mailboxStream = "/actorgrpc.v1.MailboxService/Stream"
)

// methodCounter counts the RPCs a client makes, by method.
type methodCounter struct {
	mu sync.Mutex
	n  map[string]int
	// programs counts the spawns of each exec program ("" for the others).
	programs map[string]int
}

func (m *methodCounter) add(method string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.n == nil {
		m.n = map[string]int{}
	}
	m.n[method]++
}

func (m *methodCounter) count(method string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.n[method]
}

func (m *methodCounter) reset() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.n, m.programs = nil, nil
}

func (m *methodCounter) spawned(req *pb.SpawnRequest) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.programs == nil {
		m.programs = map[string]int{}
	}
	if req.GetKind() == pb.ActorKind_ACTOR_KIND_EXEC {
		m.programs[req.GetProgram()]++
	} else {
		m.programs[""]++
	}
}

func (m *methodCounter) spawns(program string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.programs[program]
}

// options counts every call of every connection the client makes.
func (m *methodCounter) options() actorgrpc.Option {
	return actorgrpc.WithDialOptions(
		grpc.WithChainUnaryInterceptor(func(ctx context.Context, method string, req, reply any,
			cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
			m.add(method)
			if spawn, ok := req.(*pb.SpawnRequest); ok {
				m.spawned(spawn)
			}
			return invoker(ctx, method, req, reply, cc, opts...)
		}),
		grpc.WithChainStreamInterceptor(func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn,
			method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
			m.add(method)
			return streamer(ctx, desc, cc, method, opts...)
		}))
}
