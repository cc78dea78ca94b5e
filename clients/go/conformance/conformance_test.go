package conformance_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/actorgrpc/actorgrpc/clients/go/conformance"
	"github.com/actorgrpc/actorgrpc/clients/go/internal/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }

// TestConformance runs every case of tests/conformance/cases.json against the
// test arbiter, one subtest per case, in the file's order.
func TestConformance(t *testing.T) {
	// go test runs in the package directory, one below the module root.
	suite, err := conformance.Load(filepath.Join("..", conformance.CasesPath))
	if err != nil {
		t.Fatal(err)
	}
	c := testenv.Client(t)
	for _, cs := range suite.Cases {
		t.Run(cs.Name, func(t *testing.T) {
			t.Cleanup(func() {
				// Cleanup's stops take a few hundred ms each; 30 s is ample.
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				conformance.Cleanup(ctx, c, cs)
			})
			if err := conformance.RunCase(context.Background(), c, cs); err != nil {
				t.Fatal(err)
			}
		})
	}
}
