"""The benchmark's helper processes: started with ``python -m MODULE``, they answer
on stdout and stop when their stdin closes (it always does, even when the
benchmark dies)."""

from __future__ import annotations

import subprocess
import sys

from actorgrpc_bench import environment


def start_helper(module: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", module, *args], env=environment(),
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)


def stop_helper(process: subprocess.Popen, timeout: float = 30) -> None:
    """Close its stdin, wait for it to exit (killed after ``timeout`` s)."""
    process.stdin.close()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    process.stdout.close()
