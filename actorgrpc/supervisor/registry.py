"""The arbiter's registry: every actor it knows, by aid and by unique live name."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from actorgrpc.contract.consts import ACTOR_STATES
from actorgrpc.contract.errors import ActorAlreadyExists, ActorNotFound, shown

if TYPE_CHECKING:
    from actorgrpc.actor.core import Actor
    from actorgrpc.contract.proxy import ActorProxy
    from actorgrpc.supervisor.record import ActorRecord

#: Exited actors kept for their crash reports (oldest forgotten first).
EXITED_KEPT = 500


class Registry:
    """Live actors by aid and by name; recently exited ones by aid."""

    def __init__(self) -> None:
        self.live: dict[str, ActorRecord] = {}
        self.names: dict[str, str] = {}
        self.exited: OrderedDict[str, ActorRecord] = OrderedDict()
        #: Actors that live inside the arbiter's own loop: the arbiter and monitors.
        self.local: dict[str, Actor] = {}
        #: Names whose actor exited and that a supervisor is starting again: each
        #: Future is resolved once the new incarnation is registered, or the
        #: restart is abandoned (lookups may wait on it instead of failing).
        self.restarting: dict[str, asyncio.Future[None]] = {}

    def add_local(self, actor: Actor) -> None:
        self.local[actor.aid] = actor
        self.names[actor.name] = actor.aid

    def remove_local(self, actor: Actor) -> None:
        self.local.pop(actor.aid, None)
        if self.names.get(actor.name) == actor.aid:
            del self.names[actor.name]

    def reserve(self, record: ActorRecord) -> None:
        """Add a new actor; ALREADY_EXISTS if a live actor has its name."""
        if record.name in self.names:
            raise ActorAlreadyExists(f"an actor named {record.name!r} is already running")
        self.live[record.aid] = record
        self.names[record.name] = record.aid
        self.restart_settled(record.name)

    def restart_expected(self, name: str) -> asyncio.Future[None]:
        """A supervisor will start ``name`` again (after its backoff); the Future that
        lookups wait on (the one already there, if any)."""
        pending = self.restarting.get(name)
        if pending is None:
            pending = self.restarting[name] = asyncio.get_running_loop().create_future()
        return pending

    def restart_settled(self, name: str, expected: asyncio.Future[None] | None = None) -> None:
        """``name`` was registered again, or its restart was abandoned. With
        ``expected``, only if that is still the Future of ``name``: a restart that
        ends must not settle the one a newer crash of its replacement started."""
        pending = self.restarting.get(name)
        if pending is None or (expected is not None and pending is not expected):
            return
        del self.restarting[name]
        if not pending.done():
            pending.set_result(None)

    def release(self, record: ActorRecord) -> None:
        """The actor exited: free its name, keep its record for a while."""
        if self.live.pop(record.aid, None) is None:
            return
        if self.names.get(record.name) == record.aid:
            del self.names[record.name]
        self.exited[record.aid] = record
        while len(self.exited) > EXITED_KEPT:
            self.exited.popitem(last=False)

    def find(self, target: str) -> ActorRecord | Actor:
        """The live record or local actor for an aid or name; NOT_FOUND otherwise."""
        aid = self.names.get(target, target)
        found = self.live.get(aid) or self.local.get(aid)
        if found is None:
            raise ActorNotFound(f"no live actor with aid or name {shown(target)}")
        return found

    def find_any(self, target: str) -> ActorRecord | Actor:
        """Like ``find``, but also recently exited actors (newest first)."""
        try:
            return self.find(target)
        except ActorNotFound:
            return self.find_exited(target)

    def find_exited(self, target: str) -> ActorRecord:
        """The most recent exited incarnation of an aid or name; NOT_FOUND otherwise."""
        if target in self.exited:
            return self.exited[target]
        for record in reversed(self.exited.values()):
            if record.name == target:
                return record
        raise ActorNotFound(f"no live actor with aid or name {shown(target)}")

    async def find_running(self, target: str, wait: float) -> ActorRecord | Actor:
        """The record (or local actor) of ``target``; while it is starting, or its
        supervisor is restarting it, wait up to ``wait`` seconds for it to run.

        Raises ActorNotFound for a target with no live actor and no restart pending.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        # A restart's Future[None], or a starting record's Future[ActorProxy].
        pending: asyncio.Future[Any] | None
        while True:
            try:
                found = self.find(target)
            except ActorNotFound:
                pending = self.restarting.get(target)
                if pending is None:
                    raise
            else:
                running: asyncio.Future[ActorProxy] | None = getattr(
                    found, "running", None)  # local actors have none
                if running is None or running.done() or found.state >= ACTOR_STATES.RUN:
                    return found
                pending = running
            remaining = deadline - loop.time()
            if remaining <= 0 or not await settled_within(pending, remaining):
                return self.find(target)


async def settled_within(future: asyncio.Future[Any], timeout: float) -> bool:
    """Wait until ``future`` (whatever its result) is done (True) or ``timeout`` s
    pass (False); never cancels it. Lighter than wait_for(shield()): the caller wakes
    one loop turn after the future is done, not three."""
    loop = asyncio.get_running_loop()
    waiter: asyncio.Future[bool] = loop.create_future()

    def wake(_: object = None) -> None:
        if not waiter.done():
            waiter.set_result(future.done())

    future.add_done_callback(wake)
    timer = loop.call_later(timeout, wake)
    try:
        return await waiter
    finally:
        timer.cancel()
        future.remove_done_callback(wake)
