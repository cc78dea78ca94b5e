"""pulsar's module-level functions: ``spawn``, ``send`` and ``get_actor``."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from actorgrpc.actor.core import current_actor_or_fail

if TYPE_CHECKING:
    from actorgrpc.client.routing import Target
    from actorgrpc.contract.proxy import ActorProxy


def spawn(**params: Any) -> asyncio.Future[ActorProxy]:
    """Spawn an actor from the current actor (or arbiter).

    Returns a future (already scheduled, so a synchronous hook may ignore it)
    resolving to the new actor's ``ActorProxy`` once it is RUNNING, or raising
    ``SpawnError`` if it cannot start.
    """
    actor = current_actor_or_fail()
    return asyncio.ensure_future(actor.spawn(**params))


def send(target: Target, action: str, *args: Any, **kwargs: Any) -> asyncio.Future[Any]:
    """Send ``action`` to ``target`` from the current actor; a future of the result.

    ``target`` is an ``ActorProxy``, an aid, a name, ``"arbiter"`` or ``"monitor"``.
    The deadline is 5 s unless ``_timeout=SECONDS`` is given; errors raised by the
    remote command arrive as ``ActorError`` subclasses.
    """
    actor = current_actor_or_fail()
    return asyncio.ensure_future(actor.send(target, action, *args, **kwargs))
