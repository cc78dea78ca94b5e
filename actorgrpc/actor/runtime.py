"""How an actor reaches the world from the process that hosts it (pulsar's Concurrency).

An actor's ``runtime`` gives it a Router (to send), a way to spawn, and the host
event loop where every gRPC object of the process lives. Thread actors have an
event loop of their own, so their gRPC work is handed to the host loop.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from actorgrpc.contract.proxy import ActorProxy

if TYPE_CHECKING:
    from actorgrpc.actor.core import Actor
    from actorgrpc.client.routing import Router

__all__ = ["Concurrency"]

_T = TypeVar("_T")


class Concurrency:
    """The bridge between an actor and its process: base of every concurrency."""

    #: "process", "thread", "monitor" or "arbiter".
    kind = ""

    def __init__(self, router: Router, host_loop: asyncio.AbstractEventLoop) -> None:
        self.router = router
        self.host_loop = host_loop
        self.host_thread = threading.get_ident()

    async def on_host(self, start: Callable[[], Awaitable[_T]]) -> _T:
        """Await ``start()`` (a coroutine or future factory) on the host loop.

        Called from the host thread it runs inline; from a thread actor's loop the
        call is made in the host loop, where the process's gRPC objects live.
        """
        if threading.get_ident() == self.host_thread:
            return await start()

        async def run() -> _T:
            return await start()

        future = asyncio.run_coroutine_threadsafe(run(), self.host_loop)
        return await asyncio.wrap_future(future)

    async def spawn(self, **params: Any) -> ActorProxy:
        raise NotImplementedError

    async def on_state_change(self, actor: Actor) -> None:
        """Called on the actor's loop when its state changes outside boot."""
