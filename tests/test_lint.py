"""Static checks: buf lint on the contract, pyflakes on the hand-written Python."""

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


def test_python_passes_pyflakes():
    sources = [path for path in glob.glob(os.path.join(ROOT, "actorgrpc", "**", "*.py"),
                                          recursive=True)
               if os.sep + "v1" + os.sep not in path]  # generated code is not ours
    sources += glob.glob(os.path.join(ROOT, "tests", "**", "*.py"), recursive=True)
    sources += glob.glob(os.path.join(ROOT, "bench", "actorgrpc_bench", "*.py"))
    # 120 s bound: pyflakes reads ~80 files in about a second.
    result = subprocess.run([sys.executable, "-m", "pyflakes", *sources], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_import_layers_hold():
    """actorgrpc is cut along its process lines; import-linter checks the direction."""
    lint_imports = os.path.join(os.path.dirname(sys.executable), "lint-imports")
    # 120 s bound: it reads ~75 files in about a second.
    result = subprocess.run([lint_imports], cwd=ROOT, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
