"""A stand-in for an arbiter's name claim, run "on a host" (inside a namespace) by tests.

It holds a lease and tries to own one name with create_if_absent; when the lease is
lost it fences (reports "lost": from then on it must not act as the owner) and starts
over with a new lease, never taking a name someone else holds. Each step is printed as
one JSON line with the system-wide monotonic time, so that a test can order what
several hosts did::

    python -m tests.cluster.name_holder --endpoints 10.213.47.11:2379 --key names/w1 \\
        --me h2 --ttl 3 --margin 1 --seconds 30
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time

from actorgrpc.cluster import EtcdClient, EtcdError


def emit(event: str, **fields: object) -> None:
    print(json.dumps({"event": event, "t": time.monotonic(), **fields}), flush=True)


async def hold(args: argparse.Namespace) -> None:
    async with EtcdClient(args.endpoints.split(","), timeout=1.0) as etcd:
        last_refusal = None
        while True:
            try:
                lease = await etcd.grant(args.ttl, loss_margin=args.margin)
            except EtcdError:
                await asyncio.sleep(0.2)  # etcd unreachable: try again soon
                continue
            emit("lease", lease=lease.id)
            while not lease.lost:
                try:
                    claim = await etcd.create_if_absent(args.key, args.me, lease=lease)
                except EtcdError as exc:
                    emit("error", error=type(exc).__name__)
                    await asyncio.sleep(0.1)
                    continue
                if claim.won:
                    emit("claimed", revision=claim.current.create_revision)
                    emit("lost", reason=await lease.wait_lost())
                    break
                owner = claim.current.value.decode() if claim.current else None
                if owner != last_refusal:
                    emit("refused", owner=owner)
                    last_refusal = owner
                # Claims are retried every 100 ms: the failover time measured by the
                # tests includes up to this much.
                try:
                    await asyncio.wait_for(lease.wait_lost(), 0.1)
                except TimeoutError:
                    pass
            await lease.stop_keep_alive()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--endpoints", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--me", required=True)
    parser.add_argument("--ttl", type=int, default=3)
    parser.add_argument("--margin", type=float, default=1.0)
    parser.add_argument("--seconds", type=float, default=60.0,
                        help="exit after this long, whatever happens (a bound for tests)")
    args = parser.parse_args()

    async def bounded() -> None:
        try:
            async with asyncio.timeout(args.seconds):
                await hold(args)
        except TimeoutError:
            emit("exit")

    asyncio.run(bounded())


if __name__ == "__main__":
    main()
