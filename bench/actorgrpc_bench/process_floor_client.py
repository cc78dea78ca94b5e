"""The benchmark's side of the floor of a gRPC process (see process_floor): it
collects the bare processes' reports, pings them and measures them."""

from __future__ import annotations

import asyncio
import statistics
import time

import grpc

from actorgrpc.actor.process_control import pid_alive
from actorgrpc_bench.bytes_server import start_bytes_server
from actorgrpc_bench.helper_process import start_helper, stop_helper
from actorgrpc_bench.process_floor import PING, SERVICE
from actorgrpc_bench.process_stats import cpu_seconds, unique_memory_mb

#: Seconds the helper may take to answer a command, and 50 bare processes to report
#: (well under a second here; generous for a loaded machine).
COMMAND_TIMEOUT = 60.0
#: Seconds between checks that no bare process died while the others report.
REPORT_POLL = 0.1


class ProcessFloor:
    def __init__(self):
        self.server: grpc.aio.Server | None = None
        self.helper = None
        self._reported: list[int] = []
        self._expected = 0
        self._all_reported = asyncio.Event()

    async def start(self) -> None:
        self.server, port = await start_bytes_server(
            SERVICE, {"Report": grpc.unary_unary_rpc_method_handler(self._report)})
        self.helper = start_helper("actorgrpc_bench.process_floor", str(port))
        if await self._answer() != "ready":
            raise RuntimeError("the process-floor helper did not start")

    async def _report(self, request: bytes, context) -> bytes:
        self._reported.append(int(request))
        if len(self._reported) >= self._expected:
            self._all_reported.set()
        return b"ok"

    async def _answer(self) -> str:
        line = await asyncio.wait_for(asyncio.to_thread(self.helper.stdout.readline),
                                      COMMAND_TIMEOUT)
        if not line:
            raise RuntimeError("the process-floor helper exited")
        return line.strip()

    async def _command(self, line: str) -> str:
        self.helper.stdin.write(line + "\n")
        self.helper.stdin.flush()
        answer = await self._answer()
        if answer.startswith("error"):
            raise RuntimeError(f"process-floor helper: {answer}")
        return answer

    async def at_once(self, count: int, settle: float) -> tuple[float, float, float]:
        """Fork ``count`` bare processes at once: (seconds until every one has
        reported and answered a ping, CPU ms per process (its own, as
        ``spawn_50_actor_cpu_ms`` counts the actors'), median USS in MB of up to 10
        of them once idle for ``settle`` seconds)."""
        self._reported, self._expected = [], count
        self._all_reported.clear()
        channels = []
        start = time.perf_counter()
        try:
            pids = [int(pid) for pid in (await self._command(f"fork {count}")).split()]
            await self._wait_for_reports(pids)
            channels = [grpc.aio.insecure_channel(f"127.0.0.1:{port}")
                        for port in self._reported]
            await asyncio.gather(*[channel.unary_unary(PING)(b"") for channel in channels])
            elapsed = time.perf_counter() - start
            cpu_ms = sum(cpu_seconds(pid) for pid in pids) / count * 1e3
            await asyncio.sleep(settle)
            uss = statistics.median(unique_memory_mb(pid) for pid in pids[:10])
        finally:
            for channel in channels:
                await channel.close()
            await self._command("kill")
        return elapsed, cpu_ms, uss

    async def _wait_for_reports(self, pids: list[int]) -> None:
        """Until every process has reported; fails as soon as one has exited (its
        traceback is on stderr) instead of waiting out the timeout."""
        deadline = time.monotonic() + COMMAND_TIMEOUT
        while not self._all_reported.is_set():
            try:
                await asyncio.wait_for(self._all_reported.wait(), REPORT_POLL)
            except TimeoutError:
                if not all(pid_alive(pid) for pid in pids):
                    raise RuntimeError("a bare gRPC process of the floor exited before "
                                       "reporting (its traceback is above)") from None
                if time.monotonic() > deadline:
                    raise

    async def close(self) -> None:
        if self.helper is not None:
            await asyncio.to_thread(stop_helper, self.helper)
        if self.server is not None:
            await self.server.stop(None)
