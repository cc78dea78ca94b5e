"""``actorgrpc.supervisor.arbiter(**params).start()`` in a user's own script."""

import os
import subprocess
import sys

import psutil

from .support import ROOT, assert_all_gone


def test_script_spawns_sends_and_exits_zero():
    # 60 s bound: the script boots an arbiter and one actor (~0.5 s here).
    result = subprocess.run([sys.executable, "tests/scripts/arbiter_script.py"], cwd=ROOT,
                            capture_output=True, text=True, timeout=60,
                            env={**os.environ, "PYTHONPATH": ROOT})
    assert result.returncode == 0, result.stderr
    lines = dict(line.split(" ", 1) for line in result.stdout.splitlines())
    assert lines["add"] == "42"
    assert lines["extra"] == "{'hook': 'start'}"
    pid = int(lines["pid"])
    assert_all_gone([psutil.Process(pid)] if psutil.pid_exists(pid) else [])
