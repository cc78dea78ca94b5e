package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/actorgrpc/actorgrpc/clients/go/internal/arbiterproc"
)

// DemoProgram is the name the test arbiters register the Go demo actor
// under (serve --program go-demo=...).
const DemoProgram = "go-demo"

var (
	buildOnce sync.Once
	builtDir  string
	builtPath string
	buildErr  error
)

// DemoActor builds cmd/demoactor once per test binary and returns the
// path of the program (removed when Run ends).
func DemoActor() (string, error) {
	buildOnce.Do(func() {
		root, err := arbiterproc.RepoRoot()
		if err != nil {
			buildErr = err
			return
		}
		if builtDir, buildErr = os.MkdirTemp("", "actorgrpc-go-test-"); buildErr != nil {
			return
		}
		builtPath = filepath.Join(builtDir, "demoactor")
		args := []string{"build", "-o", builtPath}
		if raceEnabled {
			args = append(args, "-race")
		}
		cmd := exec.Command("go", append(args, "./cmd/demoactor")...)
		cmd.Dir = filepath.Join(root, "clients", "go")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("testenv: building the demo actor: %v\n%s", err, out)
		}
	})
	return builtPath, buildErr
}

// DemoActorArgs are serve arguments registering the demo actor as
// DemoProgram. If it cannot be built, the error is printed and the program
// registered does not exist: every spawn of it fails, and says why.
func DemoActorArgs() []string {
	path, err := DemoActor()
	if err != nil {
		fmt.Fprintf(os.Stderr, "%v\n", err)
		return []string{"--program", DemoProgram + "=/nonexistent/demoactor"}
	}
	return []string{"--program", DemoProgram + "=" + path}
}

// DemoActorFor is DemoActor for one test: it fails the test if the build does.
func DemoActorFor(t testing.TB) string {
	t.Helper()
	path, err := DemoActor()
	if err != nil {
		t.Fatal(err)
	}
	return path
}

func removeBuilt() {
	if builtDir != "" {
		os.RemoveAll(builtDir)
	}
}
