"""The example module of ``make run`` and of the polyglot tests.

Start an arbiter that allows it with ``actorgrpc serve -m actorgrpc.examples.demo``;
every actor then has these commands beside the standard ones.
"""

from __future__ import annotations

import asyncio

from actorgrpc import command, hook


@command()
def add(actor, a, b):
    """Return ``a + b``."""
    return a + b


@command()
def greet(actor, name="world", punctuation="!"):
    """Return a greeting that names the actor answering."""
    return f"hello {name}{punctuation} from {actor.name}"


@command()
def boom(actor, message="boom"):
    """Raise ``ValueError(message)``: how a failing command looks to a client."""
    raise ValueError(message)


@command()
async def sleep(actor, seconds):
    """Sleep without blocking the actor, then return ``seconds``."""
    await asyncio.sleep(seconds)
    return seconds


@command()
def remember(actor, key, value):
    """Store ``value`` under ``key`` in the actor's ``extra``; return the old value."""
    old = actor.extra.get(key)
    actor.extra[key] = value
    return old


@command(ack=False)
def count(actor, n=1):
    """Fire and forget: add ``n`` to the actor's ``extra["count"]``."""
    actor.extra["count"] = actor.extra.get("count", 0) + n


@hook
def on_start(actor):
    """A ``start`` hook: marks the actor as greeted."""
    actor.extra["started_by_hook"] = True
