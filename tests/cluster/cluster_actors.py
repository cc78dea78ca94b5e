"""Commands and hooks of the actors that the cluster tests run on their "hosts"."""

from __future__ import annotations

import json
import os
import statistics
import threading
import time

from actorgrpc import command, hook


@hook
def journal_start(actor):
    """Start hook: append this incarnation's start (system-wide monotonic time, pid,
    address) to the file named by ``extra["journal"]``, so that a test can order the
    incarnations of one name across hosts."""
    path = actor.extra.get("journal")
    if path:
        with open(path, "a") as out:
            out.write(json.dumps({"name": actor.name, "pid": os.getpid(),
                                  "address": actor.address, "t": time.monotonic()}) + "\n")


@command()
def where(actor):
    """Which incarnation answered: its mailbox address (its host's IP) and pid."""
    return {"name": actor.name, "address": actor.address, "pid": os.getpid()}


@command()
async def rtt(actor, target, count=200):
    """Median and spread of ``count`` sequential echo round trips to ``target``, sent
    from this actor (resolved once, then straight to the target's mailbox)."""
    await actor.send(target, "echo", 0)  # resolve and connect before measuring
    samples = []
    for i in range(int(count)):
        started = time.perf_counter()
        await actor.send(target, "echo", i)
        samples.append(time.perf_counter() - started)
    samples.sort()
    return {"p50": statistics.median(samples), "p10": samples[len(samples) // 10],
            "p90": samples[len(samples) * 9 // 10]}


@command()
def burn(actor, seconds):
    """Keep one CPU busy for ``seconds`` in a thread of this actor (its loop and its
    heartbeats go on), so that its host's published load rises."""

    def spin() -> None:
        deadline = time.monotonic() + float(seconds)
        while time.monotonic() < deadline:
            pass

    threading.Thread(target=spin, name="burn", daemon=True).start()
    return True
