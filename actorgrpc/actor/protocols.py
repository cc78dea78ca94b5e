"""The structural types of the actor side: what an Actor needs of its runtime.

Types only (nothing here runs): ``Concurrency`` (actorgrpc.actor.runtime) and its
subclasses satisfy ``Runtime``; annotations name the protocol so that a test double,
or a concurrency of another kind, needs no base class.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

if TYPE_CHECKING:
    from actorgrpc.actor.core import Actor
    from actorgrpc.client.routing import Router
    from actorgrpc.contract.proxy import ActorProxy

__all__ = ["Runtime"]

_T = TypeVar("_T")


class Runtime(Protocol):
    """How an actor reaches the world from the process that hosts it (pulsar's
    Concurrency): a Router to send, a way to spawn, the host loop of gRPC objects."""

    #: "process", "thread", "monitor" or "arbiter".
    kind: str
    router: Router
    host_loop: asyncio.AbstractEventLoop
    #: The thread of ``host_loop``.
    host_thread: int

    async def on_host(self, start: Callable[[], Awaitable[_T]]) -> _T:
        """Await ``start()`` on the host loop (inline when called from it)."""
        ...

    async def spawn(self, **params: Any) -> ActorProxy:
        """Spawn an actor; its proxy once it runs."""
        ...

    async def on_state_change(self, actor: Actor) -> None:
        """Called on the actor's loop when its state changes outside boot."""
        ...
