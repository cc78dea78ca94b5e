"""Commands of the chaos test (allowed with ``-m tests.chaos_actors``).

Each actor writes what it saw to files in ``extra["chaos_dir"]``, named by its aid,
one line per message, with a single ``write`` on a file opened for appending: what
a process wrote before it was killed is still there afterwards, so even a dead
actor's count can be checked against what was sent to it.
"""

from __future__ import annotations

import asyncio
import os
import time

from actorgrpc import command


def _append(actor, suffix: str, line: str) -> None:
    folder = actor.extra.get("chaos_dir")
    if not folder:
        return
    fd = os.open(os.path.join(folder, f"{actor.aid}.{suffix}"),
                 os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        os.write(fd, (line + "\n").encode())
    finally:
        os.close(fd)


@command(ack=False)
def tally(actor, n=1):
    """Fire and forget: count ``n`` in ``extra["tally"]`` and one line in ``<aid>.tally``."""
    actor.extra["tally"] = actor.extra.get("tally", 0) + n
    _append(actor, "tally", str(n))


@command()
def tallied(actor):
    """What ``tally`` counted in this incarnation."""
    return actor.extra.get("tally", 0)


@command()
async def mark(actor, token, seconds=0.0):
    """Note ``token`` in ``<aid>.asks`` (it ran), wait ``seconds``, return ``token``.

    A waiting call is one that is in flight when its actor is killed.
    """
    _append(actor, "asks", token)
    if seconds:
        await asyncio.sleep(seconds)
    return token


@command(ack=False)
def wedge(actor, seconds):
    """Block the actor's event loop for ``seconds`` (a hung thread actor)."""
    time.sleep(seconds)
