"""No correctness trade for speed: order per sender is kept, nothing lost or doubled."""

import asyncio
import os

import pytest

import actorgrpc

from .support import ROOT, ArbiterProcess

#: The message path: run again with gRPC's private fast path off (make test).
pytestmark = pytest.mark.dataplane

#: The benchmark's counting commands (bench/actorgrpc_bench, a dev tool, not installed).
BENCH_PATH = {"PYTHONPATH": os.pathsep.join([ROOT, os.path.join(ROOT, "bench")])}

#: Seconds to wait for 100k tells to be processed: ~3 s here; the rest is margin.
TELLS_DEADLINE = 120


async def test_100k_numbered_tells_arrive_once_and_in_order(tmp_path):
    arbiter = ArbiterProcess(modules=["actorgrpc_bench.commands", "actorgrpc.examples.demo"],
                             run_dir=str(tmp_path), env=BENCH_PATH)
    try:
        async with actorgrpc.connect(arbiter.address) as client:
            proxy = await client.spawn(name="counter")
            total = 100_000
            for index in range(total):
                await client.tell(proxy, "bench_count", index)
            loop = asyncio.get_running_loop()
            deadline = loop.time() + TELLS_DEADLINE
            while True:
                counted = await client.send(proxy, "bench_counted")
                if counted["count"] >= total or loop.time() > deadline:
                    break
                await asyncio.sleep(0.05)
            # bench_count compares each number with its own running count: any loss,
            # duplicate or reordering shows as out_of_order or a wrong count.
            assert counted == {"count": total, "out_of_order": 0}
            # Interleaved asks and tells from one sender stay in order too.
            results = await asyncio.gather(*(
                client.send(proxy, "bench_counted") if i % 100 == 0
                else client.tell(proxy, "bench_count", total + i - 1 - i // 100)
                for i in range(1, 10_001)))
            counts = [r["count"] for r in results if r is not None]
            assert counts == sorted(counts)
            final = await client.send(proxy, "bench_counted")
            assert final == {"count": total + 9_900, "out_of_order": 0}
    finally:
        arbiter.stop_and_check()


async def test_a_fast_sender_of_tells_is_held_back(tmp_path):
    """Tells queued faster than they can be written make the sender wait (bounded
    memory) instead of piling up; what was queued still arrives, once, in order."""
    arbiter = ArbiterProcess(modules=["actorgrpc_bench.commands"], run_dir=str(tmp_path),
                             env=BENCH_PATH)
    try:
        async with actorgrpc.connect(arbiter.address) as client:
            proxy = await client.spawn(name="counter")
            await client.send(proxy, "ping")  # the stream is open
            # This loop never yields, so no frame can finish writing: after a few
            # frames of 1,024 tells a tell must hand back a pending awaitable.
            sent = 0
            held = None
            while held is None and sent < 100_000:
                pending = client.tell(proxy, "bench_count", sent)
                sent += 1
                if isinstance(pending, asyncio.Future) and not pending.done():
                    held = pending
            assert held is not None, "100,000 tells queued without the sender being held"
            assert sent <= 4 * 1024
            await held  # room again once frames are written
            loop = asyncio.get_running_loop()
            deadline = loop.time() + TELLS_DEADLINE
            counted = await client.send(proxy, "bench_counted")
            while counted["count"] < sent and loop.time() < deadline:
                await asyncio.sleep(0.05)
                counted = await client.send(proxy, "bench_counted")
            assert counted == {"count": sent, "out_of_order": 0}
    finally:
        arbiter.stop_and_check()
