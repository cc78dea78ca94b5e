"""What the Python client measures against an actor: sequential round trips, bursts
of asks, bursts of ArbiterService.Send. Shared by every phase that needs them, so
that a figure means the same thing wherever it is reported."""

from __future__ import annotations

import asyncio
import time

#: Round trips a sequential measurement makes before its timed ones (the Go and
#: Node.js programs warm up with as many).
SEND_WARM_UP = 200

#: Seconds each call of a burst may take: tens of thousands of calls are in flight
#: on a loaded machine; this only stops a benchmark whose actor hangs.
BURST_TIMEOUT = 60


async def sequential_rtt(client, target, count: int, warm_up: int = SEND_WARM_UP) -> list[float]:
    """Seconds of each of ``count`` sequential direct ``echo`` round trips."""
    for _ in range(warm_up):
        await client.send(target, "echo", "hello")
    timings = []
    for _ in range(count):
        start = time.perf_counter()
        await client.send(target, "echo", "hello")
        timings.append(time.perf_counter() - start)
    return timings


async def ask_burst(client, target, count: int) -> float:
    """Asks per second: ``count`` direct ``echo`` asks in flight at once, each checked."""
    start = time.perf_counter()
    results = await asyncio.gather(*[client.send(target, "echo", i, _timeout=BURST_TIMEOUT)
                                     for i in range(count)])
    elapsed = time.perf_counter() - start
    if results != list(range(count)):
        raise AssertionError("asks came back wrong")
    return count / elapsed


async def arbiter_send_burst(client, target: str, count: int) -> float:
    """ArbiterService.Send calls per second, ``count`` in flight at once (the path
    of grpcurl and of load tools that know only the .proto files), each checked."""
    start = time.perf_counter()
    results = await asyncio.gather(*[
        client.send_via_arbiter(target, "echo", i, _timeout=BURST_TIMEOUT)
        for i in range(count)])
    elapsed = time.perf_counter() - start
    if results != list(range(count)):
        raise AssertionError("ArbiterService.Send calls came back wrong")
    return count / elapsed
