"""The floor that a new gRPC-Python process sets: bare processes, forked at once.

``spawn_50_s`` and ``idle_actor_uss_mb`` are absolute figures; this baseline,
measured in the same run, shows what any gRPC process costs on this machine today.
A parent that has imported grpc and uvloop and started nothing (so it may fork)
forks N children at once; each does the least that an actor process must: start a
grpc.aio server on 127.0.0.1:0, open a channel to the benchmark, report its port
on it, and answer a ping.

``python -m actorgrpc.bench.process_floor COLLECTOR_PORT`` prints ``ready``, then
reads commands on stdin, one per line:
  ``fork N``  fork N children; prints their pids on one line
  ``kill``    SIGKILL and reap them; prints ``killed``
End of file kills the children too (they also die with this process).
"""

from __future__ import annotations

import asyncio
import gc
import os
import signal
import subprocess
import sys
import time

import grpc
import uvloop

from ..process_control import die_with_parent
from .process_stats import cpu_seconds, unique_memory_mb

SERVICE = "bench.Floor"
REPORT = f"/{SERVICE}/Report"
PING = f"/{SERVICE}/Ping"


async def _ping(request: bytes, context) -> bytes:
    return b"pong"


def _child(collector_port: int) -> None:
    """One bare gRPC process: serve, report the port to the collector, wait."""
    die_with_parent()

    async def main() -> None:
        server = grpc.aio.server()
        handlers = {"Ping": grpc.unary_unary_rpc_method_handler(_ping)}
        server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE,
                                                                              handlers),))
        port = server.add_insecure_port("127.0.0.1:0")
        await server.start()
        # Kept open, as an actor keeps its channel to its monitor.
        channel = grpc.aio.insecure_channel(f"127.0.0.1:{collector_port}")
        await channel.unary_unary(REPORT)(str(port).encode())
        await asyncio.Event().wait()  # until the parent kills us

    uvloop.run(main())


def main() -> None:
    collector_port = int(sys.argv[1])
    die_with_parent()
    children: list[int] = []

    def kill_children() -> None:
        for pid in children:
            os.kill(pid, signal.SIGKILL)
        for pid in children:
            os.waitpid(pid, 0)
        children.clear()

    # As the fork server does: objects that exist now stay out of the children's
    # collections, which would otherwise walk (and copy) every page of them.
    gc.collect()
    gc.freeze()
    print("ready", flush=True)
    for line in iter(sys.stdin.readline, ""):
        command = line.split()
        if command[0] == "fork":
            for _ in range(int(command[1])):
                pid = os.fork()
                if pid == 0:
                    try:
                        _child(collector_port)
                    finally:
                        os._exit(0)
                children.append(pid)
            print(" ".join(map(str, children)), flush=True)
        elif command[0] == "kill":
            kill_children()
            print("killed", flush=True)
    kill_children()


class ProcessFloor:
    """The benchmark's side: collects the reports, pings, measures the children."""

    def __init__(self):
        self.server = None
        self.helper: subprocess.Popen | None = None
        self._reported: list[int] = []
        self._expected = 0
        self._all_reported: asyncio.Event | None = None

    async def start(self) -> None:
        self._all_reported = asyncio.Event()
        self.server = grpc.aio.server()
        handlers = {"Report": grpc.unary_unary_rpc_method_handler(self._report)}
        self.server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE,
                                                                                   handlers),))
        port = self.server.add_insecure_port("127.0.0.1:0")
        await self.server.start()
        self.helper = subprocess.Popen(
            [sys.executable, "-m", "actorgrpc.bench.process_floor", str(port)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        line = await asyncio.to_thread(self.helper.stdout.readline)
        if line.strip() != "ready":
            raise RuntimeError("the process-floor helper did not start")

    async def _report(self, request: bytes, context) -> bytes:
        self._reported.append(int(request))
        if len(self._reported) >= self._expected:
            self._all_reported.set()
        return b"ok"

    async def _command(self, line: str) -> str:
        self.helper.stdin.write(line + "\n")
        self.helper.stdin.flush()
        return await asyncio.to_thread(self.helper.stdout.readline)

    async def at_once(self, count: int, settle: float) -> tuple[float, float, float]:
        """Fork ``count`` bare processes at once: (seconds until every one has
        reported and answered a ping, CPU ms per process, median USS in MB of up to
        10 of them once idle for ``settle`` seconds)."""
        self._reported, self._expected = [], count
        self._all_reported.clear()
        start = time.perf_counter()
        pids = [int(pid) for pid in (await self._command(f"fork {count}")).split()]
        # Generous: 50 bare processes take well under a second here.
        await asyncio.wait_for(self._all_reported.wait(), 60)
        channels = [grpc.aio.insecure_channel(f"127.0.0.1:{port}") for port in self._reported]
        try:
            await asyncio.gather(*[channel.unary_unary(PING)(b"") for channel in channels])
            elapsed = time.perf_counter() - start
            cpu_ms = sum(cpu_seconds(pid) for pid in pids) / count * 1e3
            await asyncio.sleep(settle)
            uss = sorted(unique_memory_mb(pid) for pid in pids[:10])
        finally:
            for channel in channels:
                await channel.close()
            await self._command("kill")
        return elapsed, cpu_ms, uss[len(uss) // 2]

    async def close(self) -> None:
        if self.helper is not None:
            self.helper.stdin.close()
            try:
                self.helper.wait(30)
            except subprocess.TimeoutExpired:
                self.helper.kill()
                self.helper.wait()
        if self.server is not None:
            await self.server.stop(None)


if __name__ == "__main__":
    main()
