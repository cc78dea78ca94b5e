"""The Go and Node.js demo actors (clients/go/cmd/demoactor, clients/js/examples/
demo-actor.js) as programs an arbiter of the tests registers (serve --program).

The Go one is built once per test process into a temporary folder (removed at exit);
the Node.js one needs clients/js/node_modules, installed here with ``npm ci`` (the
pinned lock file, as scripts/test-js.sh does) when missing, since `make test` runs
the Python tests first. Without the toolchain the tests that need it skip, loudly.
"""

from __future__ import annotations

import atexit
import os
import shlex
import shutil
import subprocess
import sys
import tempfile

import pytest

from .support import ROOT

GO_DIR = os.path.join(ROOT, "clients", "go")
JS_DIR = os.path.join(ROOT, "clients", "js")
NODE_DEMO = os.path.join(JS_DIR, "examples", "demo-actor.js")
#: Names the tests' arbiters register the demo actors under.
GO_PROGRAM = "go-demo"
NODE_PROGRAM = "js-demo"
#: Seconds for `go build` of the demo actor: ~2 s with a warm build cache, a minute
#: or more on a cold one (grpc and protobuf compile) on a loaded 2-core machine.
GO_BUILD_TIMEOUT = 300
#: Seconds for `npm ci` (~20 s from the network here); the margin is for a slow one.
NPM_TIMEOUT = 300

_built: dict[str, str] = {}


class Missing(Exception):
    """A toolchain this actor language needs is not installed here."""


def loud_skip(reason: str):
    print(f"\n!!! SKIPPED: {reason} !!!", file=sys.stderr)
    pytest.skip(f"!!! SKIPPED: {reason} !!!")


def go_demo_actor() -> str:
    """The path of the built Go demo actor (built on the first call)."""
    if "go" in _built:
        return _built["go"]
    go = shutil.which("go")
    if go is None:
        raise Missing("the go toolchain is not on PATH: the Go actor is NOT tested")
    folder = tempfile.mkdtemp(prefix="actorgrpc-test-go-")
    atexit.register(shutil.rmtree, folder, True)
    built = subprocess.run([go, "build", "-o", folder + os.sep, "./cmd/demoactor"], cwd=GO_DIR,
                           capture_output=True, text=True, timeout=GO_BUILD_TIMEOUT)
    # A checkout whose Go does not build fails the tests: that is not a missing tool.
    assert built.returncode == 0, f"go build ./cmd/demoactor failed:\n{built.stderr[-3000:]}"
    _built["go"] = os.path.join(folder, "demoactor")
    return _built["go"]


def node_demo_actor() -> str:
    """The command line (shlex) of the Node.js demo actor."""
    if "node" in _built:
        return _built["node"]
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        raise Missing("node/npm are not on PATH: the Node.js actor is NOT tested")
    if not os.path.isdir(os.path.join(JS_DIR, "node_modules", "@grpc", "grpc-js")):
        installed = subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                                   cwd=JS_DIR, capture_output=True, text=True,
                                   timeout=NPM_TIMEOUT)
        assert installed.returncode == 0, f"npm ci in clients/js failed:\n{installed.stderr}"
    _built["node"] = shlex.join([node, NODE_DEMO])
    return _built["node"]


#: Actor language → (registered program name, function giving its command line).
PROGRAMS = {"go": (GO_PROGRAM, lambda: shlex.quote(go_demo_actor())),
            "node": (NODE_PROGRAM, node_demo_actor)}


def program_options(*languages: str) -> tuple[list[str], dict[str, str]]:
    """serve arguments registering the demo actors of ``languages`` that can run here,
    and, for the others, why not (the tests of those skip with it, loudly)."""
    args: list[str] = []
    missing: dict[str, str] = {}
    for language in languages:
        name, command = PROGRAMS[language]
        try:
            args += ["--program", f"{name}={command()}"]
        except Missing as why:
            missing[language] = str(why)
    return args, missing
