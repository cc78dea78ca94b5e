package conformance_test

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"

	"github.com/actorgrpc/actorgrpc/clients/go/actorgrpc"
	"github.com/actorgrpc/actorgrpc/clients/go/conformance"
	"github.com/actorgrpc/actorgrpc/clients/go/internal/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }

// TestConformance runs every case of tests/conformance/cases.json against the
// test arbiter through both data paths, one subtest per path and case, in
// the file's order.
func TestConformance(t *testing.T) {
	calls := &methodCounter{}
	c := testenv.Client(t, calls.options())
	runAll(t, c, calls, "")
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
	m.n = nil
}

// options counts every call of every connection the client makes.
func (m *methodCounter) options() actorgrpc.Option {
	return actorgrpc.WithDialOptions(
		grpc.WithChainUnaryInterceptor(func(ctx context.Context, method string, req, reply any,
			cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
			m.add(method)
			return invoker(ctx, method, req, reply, cc, opts...)
		}),
		grpc.WithChainStreamInterceptor(func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn,
			method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
			m.add(method)
			return streamer(ctx, desc, cc, method, opts...)
		}))
}
