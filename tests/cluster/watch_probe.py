"""Watch a prefix and report, as JSON lines, the stream's state and every event.

Run "on a host" (inside a namespace) by tests, to see how a watch behaves when the
member it is on is cut off::

    python -m tests.cluster.watch_probe --endpoints 10.213.47.11:2379 --prefix k/ \\
        --seconds 60

Lines: ``{"event": "connected" | "disconnected", "t": ...}`` when the stream comes up
or breaks, ``{"event": "events", "keys": [...], "t": ...}`` for what it delivers. ``t``
is the system-wide monotonic time, comparable across namespaces.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time

from actorgrpc.cluster import EtcdClient, EtcdError


def emit(event: str, **fields: object) -> None:
    print(json.dumps({"event": event, "t": time.monotonic(), **fields}), flush=True)


async def probe(args: argparse.Namespace) -> None:
    async with EtcdClient(args.endpoints.split(","), timeout=1.0) as etcd:
        while True:  # the first read: etcd may still be electing
            try:
                start = (await etcd.get_prefix(args.prefix)).revision + 1
                break
            except EtcdError:
                await asyncio.sleep(0.1)
        async with etcd.watch_prefix(args.prefix, start_revision=start) as watch:

            async def states() -> None:
                up = False
                while True:
                    if watch.connected.is_set() != up:
                        up = not up
                        emit("connected" if up else "disconnected",
                             reconnects=watch.reconnects)
                    # 20 ms: the resolution of the reported transitions.
                    await asyncio.sleep(0.02)

            reporter = asyncio.create_task(states())
            try:
                async for events in watch:
                    emit("events", keys=[e.key for e in events])
            finally:
                reporter.cancel()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--endpoints", required=True)
    parser.add_argument("--prefix", required=True)
    parser.add_argument("--seconds", type=float, default=60.0,
                        help="exit after this long (a bound for tests)")
    args = parser.parse_args()

    async def bounded() -> None:
        try:
            async with asyncio.timeout(args.seconds):
                await probe(args)
        except TimeoutError:
            emit("exit")

    asyncio.run(bounded())


if __name__ == "__main__":
    main()
