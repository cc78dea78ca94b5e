"""Starting and stopping real arbiters for tests, and waiting without bare sleeps."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time

import psutil

from actorgrpc.contract.consts import READY_LINE_PREFIX

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

#: Seconds an arbiter may take to print its ready line: importing grpc and binding
#: takes ~0.3 s here; the margin covers a loaded 2-core CI machine.
READY_TIMEOUT = 30.0
#: Seconds a graceful arbiter shutdown may take: each actor gets ACTOR_ACTION_TIMEOUT
#: (5 s) per escalation step, and they stop concurrently.
SHUTDOWN_TIMEOUT = 20.0


class ArbiterProcess:
    """``python -m actorgrpc serve`` on port 0, as a real subprocess."""

    def __init__(self, *args: str, modules=("tests.sample_actors", "actorgrpc.examples.demo"),
                 run_dir: str | None = None, env: dict | None = None,
                 command: list[str] | None = None):
        if command is None:
            command = [sys.executable, "-m", "actorgrpc", "serve", "--bind", "127.0.0.1:0"]
            for module in modules:
                command += ["-m", module]
            if run_dir:
                command += ["--run-dir", run_dir]
            command += list(args)
        self.process = subprocess.Popen(
            command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**os.environ, "PYTHONPATH": ROOT, **(env or {})})
        self.lines: queue.Queue = queue.Queue()
        self.stderr_lines: list[str] = []
        threading.Thread(target=self._pump, args=(self.process.stdout, self.lines.put),
                         daemon=True).start()
        threading.Thread(target=self._pump,
                         args=(self.process.stderr, self.stderr_lines.append),
                         daemon=True).start()
        self.address = self._wait_ready()
        self.pid = self.process.pid

    @staticmethod
    def _pump(stream, sink) -> None:
        for line in stream:
            sink(line.rstrip("\n"))

    def _wait_ready(self) -> str:
        deadline = time.monotonic() + READY_TIMEOUT
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.kill()
                raise AssertionError("arbiter did not become ready:\n" + self.stderr())
            try:
                line = self.lines.get(timeout=min(remaining, 0.5))
            except queue.Empty:
                if self.process.poll() is not None:
                    raise AssertionError(
                        f"arbiter exited with {self.process.returncode}:\n{self.stderr()}"
                    ) from None
                continue
            if line.startswith(READY_LINE_PREFIX):
                return line[len(READY_LINE_PREFIX):].strip()

    def stderr(self) -> str:
        return "\n".join(self.stderr_lines[-60:])

    def descendants(self) -> list[psutil.Process]:
        try:
            return psutil.Process(self.process.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            return []

    def terminate(self, sig=signal.SIGTERM, timeout: float = SHUTDOWN_TIMEOUT) -> int:
        """Signal the arbiter and wait for it; return its exit code."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"arbiter ignored {sig!r}:\n{self.stderr()}") from None

    def kill_only_the_arbiter(self) -> None:
        """SIGKILL the arbiter alone: what happens to its children is theirs to show."""
        self.process.kill()
        self.process.wait(10)

    def kill(self) -> None:
        for child in self.descendants():
            child.kill()
        self.process.kill()
        self.process.wait(10)

    def stop_and_check(self) -> None:
        """Stop gracefully and assert that no process it started is left."""
        children = self.descendants()
        try:
            code = self.terminate()
            assert code == 0, f"arbiter exited with {code}:\n{self.stderr()}"
        finally:
            assert_all_gone(children)


def assert_all_gone(processes, timeout: float = 10.0) -> None:
    """Assert every process is gone (killing survivors so no test leaks them).

    ``timeout`` covers a child that is exiting right now (PDEATHSIG or a lost stream
    make it exit within about a second).
    """
    gone, alive = psutil.wait_procs(processes, timeout=timeout)
    for process in alive:
        process.kill()
    assert not alive, f"processes left behind: {[p.pid for p in alive]}"


def wait_for(predicate, timeout: float, message: str = "condition", interval: float = 0.02):
    """Poll ``predicate`` until it returns a truthy value; fail after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {message}")
        time.sleep(interval)


async def wait_for_async(predicate, timeout: float, message: str = "condition",
                         interval: float = 0.02):
    """Async twin of ``wait_for``; ``predicate`` may be a coroutine function."""
    import asyncio
    import inspect

    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {message}")
        await asyncio.sleep(interval)


def supervised_arbiter(run_dir: str, arbiter: dict | None = None,
                       monitors: dict | None = None) -> ArbiterProcess:
    """An arbiter with the given Arbiter settings and monitors (tests/scripts)."""
    import json

    settings = {"arbiter": {"bind": "127.0.0.1:0", "run_dir": run_dir,
                            "modules": ["tests.sample_actors", "actorgrpc.examples.demo"],
                            **(arbiter or {})},
                "monitors": monitors or {}}
    return ArbiterProcess(command=[sys.executable, "tests/scripts/supervised_arbiter.py",
                                   json.dumps(settings)])


def logged_url(arbiter: ArbiterProcess, marker: str, pattern: str) -> str:
    """The URL an arbiter logged on the line containing ``marker`` (metrics, dashboard)."""
    import re

    # 10 s: the line is logged before the ready line; only the stderr pump may lag.
    line = wait_for(lambda: next((line for line in arbiter.stderr_lines if marker in line), None),
                    10, f"the line with {marker!r}")
    return re.search(pattern, line).group(1)


def raw_mailbox_stream(channel):
    """A MailboxService.Stream call on ``channel`` with the generated messages, as a
    client in any language would open it (no actorgrpc client code)."""
    from actorgrpc.v1 import mailbox_pb2

    return channel.stream_stream(
        "/actorgrpc.v1.MailboxService/Stream",
        request_serializer=mailbox_pb2.StreamRequest.SerializeToString,
        response_deserializer=mailbox_pb2.StreamResponse.FromString)()
