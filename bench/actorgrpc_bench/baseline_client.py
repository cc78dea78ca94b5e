"""Raw baselines measured from the benchmark's process against baselines.py."""

from __future__ import annotations

import asyncio
import time

import grpc

from actorgrpc_bench.baselines import STREAM, UNARY
from actorgrpc_bench.helper_process import start_helper, stop_helper
from actorgrpc_bench.process_stats import cpu_seconds
from actorgrpc_bench.stats import percentile

PAYLOAD = b"hello-world-payload"
#: Round trips each measurement makes before its timed ones (at most).
WARM_UP = 200


class Baselines:
    """The baseline server process and the raw measurements against it."""

    def __init__(self):
        self.process = start_helper("actorgrpc_bench.baselines")
        self.grpc_port = int(self.process.stdout.readline().split()[1])
        self.tcp_port = int(self.process.stdout.readline().split()[1])

    def close(self) -> None:
        stop_helper(self.process, timeout=10)

    async def unary_rtt(self, count: int) -> list[float]:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{self.grpc_port}") as channel:
            call = channel.unary_unary(UNARY)
            for _ in range(min(WARM_UP, count)):
                await call(PAYLOAD)
            timings = []
            for _ in range(count):
                start = time.perf_counter()
                await call(PAYLOAD)
                timings.append(time.perf_counter() - start)
        return timings

    async def unary_burst(self, count: int) -> tuple[float, float]:
        """(calls/s, the server's CPU µs per call) of ``count`` unary calls in
        flight at once: what a bare grpc.aio server does where the arbiter serves
        ArbiterService.Send."""
        async with grpc.aio.insecure_channel(f"127.0.0.1:{self.grpc_port}") as channel:
            call = channel.unary_unary(UNARY)
            await asyncio.gather(*[call(PAYLOAD) for _ in range(min(WARM_UP, count))])
            server_cpu = cpu_seconds(self.process.pid)
            start = time.perf_counter()
            await asyncio.gather(*[call(PAYLOAD) for _ in range(count)])
            elapsed = time.perf_counter() - start
            used = cpu_seconds(self.process.pid) - server_cpu
        return count / elapsed, used / count * 1e6

    async def bidi_rtt(self, count: int) -> list[float]:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{self.grpc_port}") as channel:
            stream = channel.stream_stream(STREAM)()
            for _ in range(min(WARM_UP, count)):
                await stream.write(PAYLOAD)
                await stream.read()
            timings = []
            for _ in range(count):
                start = time.perf_counter()
                await stream.write(PAYLOAD)
                await stream.read()
                timings.append(time.perf_counter() - start)
            await stream.done_writing()
        return timings

    async def tcp_rtt(self, count: int) -> list[float]:
        reader, writer = await asyncio.open_connection("127.0.0.1", self.tcp_port)
        timings = []
        for index in range(count + 200):
            start = time.perf_counter()
            writer.write(PAYLOAD)
            await reader.readexactly(len(PAYLOAD))
            if index >= 200:
                timings.append(time.perf_counter() - start)
        writer.close()
        return timings


def p50_us(timings: list[float]) -> float:
    return percentile(timings, 0.5) * 1e6
