"""``actorgrpc bench --soak SECONDS``: steady traffic, memory before and after.

Asks (many in flight), tells and spawn/stop cycles run for the given time; the
resident memory of the arbiter and of the actor is sampled after a warm-up and at
the end. A leak shows as growth that scales with the duration.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
import tempfile
import time

import psutil

from actorgrpc.client.connect import connect
from actorgrpc_bench.run import ArbiterUnderTest
from actorgrpc_bench.stats import rounded

#: Seconds of traffic before the first memory sample (allocators and caches fill up).
WARMUP_SECONDS = 10.0


def _rss_mb(pid: int) -> float:
    return psutil.Process(pid).memory_info().rss / 2**20


async def _soak(seconds: float, log) -> dict:
    run_dir = tempfile.mkdtemp(prefix="actorgrpc-soak-")
    arbiter = ArbiterUnderTest(run_dir)
    try:
        async with connect(arbiter.address) as client:
            actor = await client.spawn(name="soak")
            actor_pid = (await client.send(actor, "info"))["actor"]["process_id"]
            counters = {"asks": 0, "tells": 0, "spawns": 0}
            deadline = time.monotonic() + WARMUP_SECONDS + seconds
            samples = {}

            async def traffic():
                while time.monotonic() < deadline:
                    batch = await asyncio.gather(*[client.send(actor, "echo", {"i": i})
                                                   for i in range(500)])
                    counters["asks"] += len(batch)
                    for _ in range(500):
                        await client.tell(actor, "bench_count")
                    counters["tells"] += 500
                    await client.send(actor, "bench_counted", reset=True)

            async def churn():
                while time.monotonic() < deadline:
                    proxy = await client.spawn()
                    await client.send(proxy, "ping")
                    await client.stop(proxy)
                    counters["spawns"] += 1

            async def sample():
                await asyncio.sleep(WARMUP_SECONDS)
                samples["before"] = (_rss_mb(arbiter.process.pid), _rss_mb(actor_pid))
                log(f"after warm-up: arbiter {samples['before'][0]:.1f} MB, "
                    f"actor {samples['before'][1]:.1f} MB")
                # A sample every tenth of the run shows whether memory levels off.
                series = samples["series"] = []
                step = seconds / 10
                while time.monotonic() + step <= deadline:
                    await asyncio.sleep(step)
                    series.append((round(_rss_mb(arbiter.process.pid), 1),
                                   round(_rss_mb(actor_pid), 1)))
                    log(f"  arbiter {series[-1][0]} MB, actor {series[-1][1]} MB")

            await asyncio.gather(traffic(), churn(), sample())
            after = (_rss_mb(arbiter.process.pid), _rss_mb(actor_pid))
            await client.stop(actor)
    finally:
        arbiter.stop()
        shutil.rmtree(run_dir, ignore_errors=True)
    before = samples["before"]
    return {"soak_seconds": seconds, **counters,
            "arbiter_rss_mb_before": rounded(before[0]), "arbiter_rss_mb_after": rounded(after[0]),
            "actor_rss_mb_before": rounded(before[1]), "actor_rss_mb_after": rounded(after[1]),
            "arbiter_rss_growth_mb": rounded(after[0] - before[0]),
            "actor_rss_growth_mb": rounded(after[1] - before[1]),
            "rss_mb_series_arbiter_actor": samples.get("series", [])}


def main(seconds: float, as_json: bool) -> dict:
    log = (lambda *a: print(*a, file=sys.stderr)) if as_json else print
    import uvloop

    result = uvloop.run(_soak(seconds, log))
    if as_json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:<28} {value}")
    return result
