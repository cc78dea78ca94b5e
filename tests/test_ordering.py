"""No correctness trade for speed: order per sender is kept, nothing lost or doubled."""

import asyncio

import actorgrpc

from .support import ArbiterProcess

#: Seconds to wait for 100k tells to be processed: ~3 s here; the rest is margin.
TELLS_DEADLINE = 120


async def test_100k_numbered_tells_arrive_once_and_in_order(tmp_path):
    arbiter = ArbiterProcess(modules=["actorgrpc.bench.commands", "actorgrpc.examples.demo"],
                             run_dir=str(tmp_path))
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
