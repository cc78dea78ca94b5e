"""The arbiter's periodic upkeep: hung actors, monitors' pools, output rotation.

Every step is guarded: one that fails (a rotation that hits a full disk, a bug) is
logged, and the others go on, every period. If the loop itself cannot go on, the
arbiter's health says NOT_SERVING: a supervisor that no longer supervises must not
look healthy.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from actorgrpc.contract.consts import ACTOR_STATES, KIND_THREAD, OWN_PROCESS_KINDS
from actorgrpc.supervisor import events, log_files
from actorgrpc.supervisor.handles import ThreadHandle

if TYPE_CHECKING:
    from actorgrpc.supervisor.arbiter import Arbiter
    from actorgrpc.supervisor.record import ActorRecord

logger = logging.getLogger("actorgrpc.arbiter")

__all__ = ["Upkeep"]

#: Seconds between two log lines about a step that keeps failing.
FAILURE_LOG_INTERVAL = 60.0


class Upkeep:
    """Runs the arbiter's periodic steps every ``period`` seconds."""

    def __init__(self, arbiter: Arbiter, period: float) -> None:
        self.arbiter = arbiter
        self.period = period
        self.steps: list[tuple[str, Callable[[], Awaitable[None]]]] = [
            ("hung actors", self.find_hung),
            ("monitors", self.maintain_monitors),
            ("output rotation", self.rotate_outputs),
        ]
        #: Step name → (failures in a row, monotonic time of the last log line).
        self.failing: dict[str, tuple[int, float]] = {}
        #: Completed rounds (every step tried once): tests and health watch it.
        self.rounds = 0

    async def run(self) -> None:
        try:
            while True:
                await asyncio.sleep(self.period)
                for name, step in self.steps:
                    await self._guarded(name, step)
                self.rounds += 1
        except asyncio.CancelledError:
            raise
        except BaseException:
            logger.critical("the arbiter's upkeep stopped: hung actors and monitors are no "
                            "longer watched; health says NOT_SERVING", exc_info=True)
            await self.arbiter.server_host.set_serving(False)
            raise

    async def _guarded(self, name: str, step: Callable[[], Awaitable[None]]) -> None:
        try:
            await step()
        except Exception:
            count, logged = self.failing.get(name, (0, 0.0))
            now = time.monotonic()
            if count == 0 or now - logged >= FAILURE_LOG_INTERVAL:
                logger.exception("upkeep: %s failed (%d times in a row); the other steps "
                                 "go on", name, count + 1)
                logged = now
            self.failing[name] = (count + 1, logged)
        else:
            if name in self.failing:
                logger.info("upkeep: %s works again", name)
                del self.failing[name]

    # -- the steps -----------------------------------------------------------------------

    async def find_hung(self) -> None:
        """Actors that stopped heartbeating for longer than their timeout."""
        now = time.monotonic()
        for record in list(self.arbiter.registry.live.values()):
            if record.state != ACTOR_STATES.RUN:
                continue
            if record.kind == KIND_THREAD:
                self._ping_thread(record)
            elif not (record.kind in OWN_PROCESS_KINDS and record.stream_attached):
                continue
            silent = now - record.last_beat
            if silent > record.spec.timeout:
                self._hung(record, silent)

    def _ping_thread(self, record: ActorRecord) -> None:
        """A thread actor has no heartbeat of its own: its loop answering a callback
        is its beat."""
        handle = record.handle
        actor = handle.actor if isinstance(handle, ThreadHandle) else None
        if actor is not None and actor.loop is not None and not actor.loop.is_closed():
            try:
                actor.loop.call_soon_threadsafe(_beat, record)
            except RuntimeError:
                pass  # its loop just closed: its exit is on its way

    def _hung(self, record: ActorRecord, silent: float) -> None:
        logger.error("%s(%s) missed heartbeats for %.1f s: hung; stopping it", record.name,
                     record.aid, silent, extra={"actor": record})
        record.failure = f"hung: no heartbeat for {silent:.1f} s"
        record.publish(events.HUNG, record.failure)
        if record.kind == KIND_THREAD:
            self.arbiter.endings.abandon_thread(record)
            return
        # Not an operator stop: its restart policy applies once it is gone.
        self.arbiter.keep_task(asyncio.ensure_future(record.stop("hung", requested=False)),
                               "stop hung actor")

    async def maintain_monitors(self) -> None:
        for monitor in list(self.arbiter.monitors.values()):
            await monitor.maintain()

    async def rotate_outputs(self) -> None:
        """Rotate actors' output files that grew too large, off the event loop."""
        paths = [r.log_path for r in self.arbiter.registry.live.values()
                 if r.kind in OWN_PROCESS_KINDS and r.log_path]
        if paths:
            await asyncio.to_thread(_rotate_all, paths, self.arbiter.max_log_bytes)


def _beat(record: ActorRecord) -> None:
    record.last_beat = time.monotonic()


def _rotate_all(paths: list[str], max_bytes: int) -> None:
    errors = []
    for path in paths:
        try:
            log_files.rotate_if_large(path, max_bytes)
        except OSError as exc:
            errors.append(f"{path}: {exc}")
    if errors:
        raise OSError("rotation failed for " + "; ".join(errors[:5]))
