"""Starts thread actors: a thread of the arbiter with an event loop of its own."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from actorgrpc.actor.core import Actor
from actorgrpc.contract.consts import ACTOR_STATES, KIND_THREAD
from actorgrpc.contract.errors import status_of
from actorgrpc.supervisor.handles import ThreadHandle
from actorgrpc.supervisor.launchers.python_process import report_actor_exit

logger = logging.getLogger("actorgrpc.supervision")

if TYPE_CHECKING:
    from actorgrpc.actor.hooks import HookResolver
    from actorgrpc.supervisor.arbiter import Arbiter
    from actorgrpc.supervisor.protocols import LaunchRecord

__all__ = ["ThreadLauncher"]


class ThreadLauncher:
    """Runs an Actor in a new thread; reports its start, failure and exit."""

    def __init__(self, arbiter: Arbiter) -> None:
        self.arbiter = arbiter

    async def start(self, record: LaunchRecord) -> None:
        arbiter = self.arbiter
        spec = record.spec
        # The arbiter's HookResolver (Actor leaves its ``hooks`` unannotated).
        hooks: HookResolver = arbiter.hooks

        def resolve(hook: str | Callable[..., Any] | None) -> Callable[..., Any] | None:
            return hooks.resolve(hook) if isinstance(hook, str) else hook

        actor = Actor(aid=record.aid, name=record.name, kind=KIND_THREAD,
                      runtime=arbiter.runtime, hooks=hooks,
                      start=resolve(spec.start), stopping=resolve(spec.stopping),
                      periodic_task=resolve(spec.periodic_task),
                      periodic_interval=spec.periodic_interval, extra=spec.extra,
                      monitor=record.monitor.aid if record.monitor else "arbiter",
                      timeout=spec.timeout)
        actor.address = arbiter.address
        record.address = arbiter.address
        host_loop = asyncio.get_running_loop()
        life = _ThreadLife(arbiter, record, actor, host_loop)
        thread = threading.Thread(target=life.main, name=f"actor-{record.name}", daemon=True)
        handle = ThreadHandle(actor, arbiter.endings.abandon_thread)
        record.launched(actor_pid(), handle)
        thread.start()

    async def close(self) -> None:
        """Nothing of its own to stop: each actor is stopped through its record."""


def actor_pid() -> int:
    import os

    return os.getpid()


class _ThreadLife:
    """The life of one thread actor, reported to the arbiter's loop."""

    def __init__(self, arbiter: Arbiter, record: LaunchRecord, actor: Actor,
                 host_loop: asyncio.AbstractEventLoop) -> None:
        self.arbiter = arbiter
        self.record = record
        self.actor = actor
        self.host_loop = host_loop

    def main(self) -> None:
        try:
            code = asyncio.run(self.life())
        except BaseException:  # noqa: BLE001 - reported as a crash below, then gone
            logger.exception("thread actor %s crashed", self.record.name,
                             extra={"actor": self.record})
            code = 1
        self.host_loop.call_soon_threadsafe(self.report_exit, code)

    async def life(self) -> int:
        actor = self.actor
        actor.bind_loop()
        try:
            await actor.boot()
        except Exception as exc:  # noqa: BLE001 - the user's start hook: a failed start
            self.host_loop.call_soon_threadsafe(self.report_failure, exc)
            return 1
        self.arbiter.mailbox_host.add(actor)
        self.host_loop.call_soon_threadsafe(self.record.on_beat, ACTOR_STATES.RUN)
        await actor.wait_stopped()
        return actor.exit_code or 0

    def report_failure(self, exc: BaseException) -> None:
        _code, message, remote_type = status_of(exc)
        self.record.on_failure(message, remote_type)

    def report_exit(self, code: int) -> None:
        self.arbiter.mailbox_host.remove(self.actor)
        report_actor_exit(self.arbiter, self.record, code)
