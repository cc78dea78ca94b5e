"""Commands the benchmark's actors use (allowed with ``-m actorgrpc_bench.commands``)."""

from __future__ import annotations

import time

from actorgrpc.actor.commands import command
from actorgrpc.contract.proxy import ActorProxy


@command(ack=False)
def bench_count(actor, n=None):
    """Fire and forget: count one message (checks order when ``n`` is given)."""
    extra = actor.extra
    count = extra.get("bench_count", 0)
    if n is not None and n != count:
        extra["bench_out_of_order"] = extra.get("bench_out_of_order", 0) + 1
    extra["bench_count"] = count + 1


@command()
def bench_counted(actor, reset=False):
    """How many bench_count messages arrived (and how many out of order)."""
    extra = actor.extra
    result = {"count": extra.get("bench_count", 0),
              "out_of_order": extra.get("bench_out_of_order", 0)}
    if reset:
        extra["bench_count"] = 0
        extra["bench_out_of_order"] = 0
    return result


@command()
async def bench_pingpong(actor, target, count):
    """Send ``count`` sequential echoes to ``target`` (a proxy dict); return RTTs in µs."""
    proxy = ActorProxy.from_dict(target)
    timings = []
    for _ in range(count):
        start = time.perf_counter()
        await actor.send(proxy, "echo", "ping")
        timings.append((time.perf_counter() - start) * 1e6)
    return timings
