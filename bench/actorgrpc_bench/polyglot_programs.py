"""The Go and Node.js programs of a run, found or built once before the arbiter starts.

Go: ``clients/go/cmd/gobench`` (the client's figures) and ``clients/go/cmd/demoactor``
(an EXEC actor), built with ``go build`` into a temporary folder: one build per
run, not a ``go run`` (a compile) per repetition. Node.js: ``clients/js/bench/jsbench.js``
and ``clients/js/examples/demo-actor.js``, which need ``npm ci`` in clients/js.

A missing toolchain or package install is not an error: that language is skipped,
loudly, with its reason (``skipped``), and its keys are absent from the results.
A build that fails is an error: it would otherwise pass for a missing toolchain.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GO_DIR = os.path.join(ROOT, "clients", "go")
JS_DIR = os.path.join(ROOT, "clients", "js")

#: Names under which the arbiter under test registers the demo actors' programs.
GO_ACTOR_PROGRAM = "bench-go-demo"
NODE_ACTOR_PROGRAM = "bench-node-demo"

#: Seconds a build may take: seconds with a warm Go build cache, a minute or two
#: cold (it may download modules first).
GO_BUILD_TIMEOUT = 600

#: Environment variables through which the Go and Node.js programs would pick up
#: credentials of their own: the benchmark passes the run's credentials explicitly.
CREDENTIAL_VARIABLES = ("ACTORGRPC_ADDRESS", "ACTORGRPC_TOKEN", "ACTORGRPC_TOKEN_FILE",
                        "ACTORGRPC_TLS", "ACTORGRPC_CACERT", "ACTORGRPC_CERT", "ACTORGRPC_KEY")


class BuildFailed(RuntimeError):
    """The Go programs did not build (a broken checkout, not a missing toolchain)."""


class PolyglotPrograms:
    """The programs of one run; ``close()`` removes what was built."""

    def __init__(self, log=print):
        self.log = log
        #: Language ("go", "js") → why it is skipped in this run.
        self.skipped: dict[str, str] = {}
        # The folder's name carries "actorgrpc" so that the processes run from it
        # are recognizable in a process list (the benchmark's test looks for them).
        self.bin_dir = tempfile.mkdtemp(prefix="actorgrpc-bench-bin-")
        self.gobench: str | None = None
        self.demoactor: str | None = None
        self.node: str | None = None

    def prepare(self) -> None:
        self._build_go()
        self._find_node()
        for language, reason in self.skipped.items():
            self.log(f"!!! {language}: SKIPPED: {reason} !!!")

    def _build_go(self) -> None:
        go = shutil.which("go")
        if go is None:
            self.skipped["go"] = "the go toolchain is not on PATH"
            return
        if not os.path.isdir(os.path.join(GO_DIR, "cmd", "gobench")):
            self.skipped["go"] = f"{GO_DIR}/cmd/gobench is missing"
            return
        self.log("building clients/go/cmd/gobench and cmd/demoactor")
        result = subprocess.run(
            [go, "build", "-o", self.bin_dir + os.sep, "./cmd/gobench", "./cmd/demoactor"],
            cwd=GO_DIR, capture_output=True, text=True, timeout=GO_BUILD_TIMEOUT)
        if result.returncode != 0:
            raise BuildFailed(f"go build failed:\n{result.stderr[-3000:]}")
        self.gobench = os.path.join(self.bin_dir, "gobench")
        self.demoactor = os.path.join(self.bin_dir, "demoactor")

    def _find_node(self) -> None:
        node = shutil.which("node")
        if node is None:
            self.skipped["js"] = "node is not on PATH"
        elif not os.path.isdir(os.path.join(JS_DIR, "node_modules", "@grpc", "grpc-js")):
            self.skipped["js"] = ("clients/js/node_modules is missing: run `npm ci` in "
                                  "clients/js (make test-js and make test-bench do)")
        else:
            self.node = node

    @property
    def has_go(self) -> bool:
        return self.gobench is not None

    @property
    def has_js(self) -> bool:
        return self.node is not None

    def arbiter_programs(self) -> dict[str, str]:
        """``--program`` entries for the arbiter under test (name → command line,
        quoted: the arbiter splits it as a POSIX shell would)."""
        programs = {}
        if self.has_go:
            programs[GO_ACTOR_PROGRAM] = shlex.quote(self.demoactor)
        if self.has_js:
            programs[NODE_ACTOR_PROGRAM] = shlex.join(
                [self.node, os.path.join(JS_DIR, "examples", "demo-actor.js")])
        return programs

    def environment(self, token: str | None) -> dict:
        """The environment of a client program: ours, less credentials of the
        caller's own, plus the run's token (an environment variable, not an
        argument, so that no process list shows it)."""
        env = {k: v for k, v in os.environ.items() if k not in CREDENTIAL_VARIABLES}
        if token:
            env["ACTORGRPC_TOKEN"] = token
        return env

    def close(self) -> None:
        shutil.rmtree(self.bin_dir, ignore_errors=True)
