"""Static checks: buf lint on the contract; ruff, mypy, the import layers and the size
limits on the hand-written Python."""

import ast
import glob
import os
import subprocess
import sys

import pytest

from .support import ROOT

BUF = os.path.join(ROOT, ".tools", "buf", "node_modules", ".bin", "buf")


def test_protos_pass_buf_lint():
    if not os.path.exists(BUF):
        message = "buf is not installed: run scripts/install-buf.sh (make test does)"
        if os.environ.get("ACTORGRPC_ALLOW_SKIP") == "1":
            pytest.skip(f"!!! SKIPPED: {message} !!!")
        pytest.fail(message)
    # 120 s bound: buf lints four small files in well under a second.
    result = subprocess.run([BUF, "lint"], cwd=ROOT, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_python_passes_ruff():
    """pycodestyle, pyflakes, isort, pyupgrade, bugbear, async and blind-except rules
    (configured in pyproject.toml; generated code excluded)."""
    ruff = os.path.join(os.path.dirname(sys.executable), "ruff")
    # 120 s bound: ruff reads ~200 files in well under a second.
    result = subprocess.run([ruff, "check", "--no-cache", "actorgrpc", "bench", "tests",
                             "scripts"], cwd=ROOT, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_python_passes_mypy():
    """Types: strict on every package, the example module's untyped command arguments
    aside (configured in pyproject.toml; generated code excluded)."""
    mypy = os.path.join(os.path.dirname(sys.executable), "mypy")
    # The cache lives in .venv (pyproject's cache_dir): a rerun takes a few seconds, the
    # first one ~15 s. 300 s bound: a cold run on a slow machine.
    result = subprocess.run([mypy], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


#: House limits: a module says one thing, a function does one thing.
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60


def _hand_written_modules():
    for path in sorted(glob.glob(os.path.join(ROOT, "actorgrpc", "**", "*.py"),
                                 recursive=True)):
        if os.sep + "v1" + os.sep not in path:  # generated code is not ours
            yield path


def test_modules_and_functions_are_small():
    too_long = []
    for path in _hand_written_modules():
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
        name = os.path.relpath(path, ROOT)
        lines = text.count("\n")
        if lines > MAX_MODULE_LINES:
            too_long.append(f"{name}: {lines} lines (at most {MAX_MODULE_LINES})")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    too_long.append(f"{name}:{node.lineno}: {node.name} is {length} lines "
                                    f"(at most {MAX_FUNCTION_LINES})")
    assert not too_long, "\n".join(too_long)


def test_import_layers_hold():
    """actorgrpc is cut along its process lines; import-linter checks the direction."""
    lint_imports = os.path.join(os.path.dirname(sys.executable), "lint-imports")
    # 120 s bound: it reads ~75 files in about a second.
    result = subprocess.run([lint_imports], cwd=ROOT, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
