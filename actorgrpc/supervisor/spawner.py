"""Starting one actor: validate, register, launch, wait until it runs (or clean up)."""

from __future__ import annotations

import asyncio
import logging
import os
import uuid
from typing import TYPE_CHECKING

from actorgrpc.actor.process import EXIT_START_FAILED
from actorgrpc.contract.consts import KIND_EXEC, KIND_THREAD
from actorgrpc.contract.errors import ActorUnavailable, ResourceExhausted, SpawnError
from actorgrpc.supervisor import events
from actorgrpc.supervisor.record import ActorRecord

if TYPE_CHECKING:
    from actorgrpc.contract.spawn_spec import SpawnSpec
    from actorgrpc.supervisor.arbiter import Arbiter
    from actorgrpc.supervisor.monitor import Monitor

logger = logging.getLogger("actorgrpc.arbiter")

__all__ = ["Spawner", "new_aid"]

#: Seconds a killed actor that never ran is given to exit before it is forgotten.
CLEANUP_TIMEOUT = 5.0
#: Seconds an actor that reported a failed start has to exit by itself.
FAILED_EXIT_GRACE = 0.5


class StoppedBeforeRunning(SpawnError):
    """The actor was asked to stop (Stop, or the arbiter stopping) before it ran."""


def new_aid() -> str:
    """A new actor id: 12 hexadecimal digits (no name may look like one)."""
    return uuid.uuid4().hex[:12]


class Spawner:
    """Spawns actors for the arbiter's supervisors (and only for them)."""

    def __init__(self, arbiter: Arbiter) -> None:
        self.arbiter = arbiter

    def check(self, spec: SpawnSpec) -> None:
        """Refuse what may not run: hooks outside the allowlist, unregistered programs."""
        arbiter = self.arbiter
        for reference in spec.references().values():
            arbiter.hooks.check(reference)
        if spec.kind == KIND_EXEC:
            arbiter.programs.get(spec.program)

    def _check_room(self, spec: SpawnSpec) -> None:
        """RESOURCE_EXHAUSTED at the arbiter's limits on live actors."""
        limits = self.arbiter.limits
        live = self.arbiter.registry.live
        if len(live) >= limits.max_actors:
            raise ResourceExhausted(f"{len(live)} actors are live, the most this arbiter "
                                    f"runs (max_actors {limits.max_actors})")
        if spec.kind == KIND_THREAD:
            threads = sum(1 for record in live.values() if record.kind == KIND_THREAD)
            if threads >= limits.max_thread_actors:
                raise ResourceExhausted(
                    f"{threads} thread actors are live, the most this arbiter runs "
                    f"(max_thread_actors {limits.max_thread_actors}); use kind process")

    async def spawn(self, spec: SpawnSpec, *, monitor: Monitor | None = None,
                    restarts: int = 0) -> ActorRecord:
        """Start the actor of ``spec``; its record once it is RUNNING.

        Raises SpawnError when it cannot start, ActorUnavailable when the arbiter is
        shutting down, and the validation errors of ``check``.
        """
        arbiter = self.arbiter
        if arbiter.after_run():
            raise ActorUnavailable("the arbiter is shutting down")
        self.check(spec)
        self._check_room(spec)
        aid = new_aid()
        record = ActorRecord(
            aid=aid, spec=spec, monitor=monitor, restarts=restarts,
            log_path=self._log_path(f"{spec.name or aid}.{aid}.log"),
            publish=arbiter.events.publish, action_timeout=arbiter.action_timeout)
        cluster = arbiter.cluster
        if cluster is not None:
            if record.name in arbiter.registry.names:
                arbiter.registry.reserve(record)  # ALREADY_EXISTS, as outside a cluster
            await cluster.claim(record.name)  # unique cluster-wide (or ALREADY_EXISTS)
        try:
            arbiter.registry.reserve(record)
        except BaseException:
            if cluster is not None:
                cluster.name_maybe_free(record.name)
            raise
        try:
            async with asyncio.timeout(arbiter.spawn_timeout):
                await arbiter.launchers.start(record)
                if record.stop_requested:
                    raise StoppedBeforeRunning(
                        f"actor {record.name!r} was stopped before it ran")
                record.publish(events.SPAWNED, f"pid {record.pid}")
                await asyncio.shield(record.running)
                if cluster is not None:
                    await cluster.announce(record)  # its address, for the other hosts
        except TimeoutError:
            stopped = record.stop_requested
            record.failure = f"did not say hello within {arbiter.spawn_timeout:g} s"
            await self._abandon(record)
            if stopped:
                raise StoppedBeforeRunning(f"actor {record.name!r} was stopped before it "
                                           "ran") from None
            raise SpawnError(f"actor {record.name!r} did not start within "
                             f"{arbiter.spawn_timeout:g} s") from None
        except BaseException as exc:
            stopped = record.stop_requested
            await self._abandon(record, str(exc))
            if arbiter.after_run() and not isinstance(exc, asyncio.CancelledError):
                raise ActorUnavailable("the arbiter is shutting down") from None
            if stopped and type(exc) in (SpawnError, ActorUnavailable):
                raise StoppedBeforeRunning(f"actor {record.name!r} was stopped before it "
                                           f"ran ({exc})") from None
            raise
        record.publish(events.RUNNING, record.address)
        logger.info("spawned %s %s(%s) pid=%s at %s", record.kind, record.name, record.aid,
                    record.pid, record.address, extra={"actor": record})
        return record

    def _log_path(self, file_name: str) -> str:
        """Where a new actor's output goes: the logs folder of the arbiter's run folder."""
        run_dir = self.arbiter.run_dir
        if run_dir is None:  # chosen when the arbiter starts
            raise ActorUnavailable("the arbiter is not running yet")
        return os.path.join(run_dir, "logs", file_name)

    async def _abandon(self, record: ActorRecord, why: str = "") -> None:
        """A spawn that failed: nothing of it may be left (process, name)."""
        if record.handle is not None and record.exit_code is None:
            # An actor that reported its failure exits by itself (code 3): its own exit
            # code, not SIGKILL, then goes into its crash report.
            if not (record.failure and await record.join(FAILED_EXIT_GRACE)):
                record.kill()
                await record.join(CLEANUP_TIMEOUT)
        if record.exit_code is None and record.handle is None:
            # Never launched (no process, no thread): it ends here, with a crash report
            # that says why, like any other incarnation that exited.
            record.failure = record.failure or why or "could not be launched"
            record.on_exit(EXIT_START_FAILED)
            if record.running.done() and not record.running.cancelled():
                record.running.exception()  # retrieved: the spawn raised already
        self.arbiter.registry.release(record)
        record.publish(events.FAILED, record.failure or why)
        if self.arbiter.cluster is not None:
            self.arbiter.cluster.name_maybe_free(record.name)
