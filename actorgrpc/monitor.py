"""Monitors: actors living in the arbiter that keep a pool of workers alive."""

from __future__ import annotations

import asyncio
import logging

from .actor import Actor
from .consts import ACTOR_STATES, KIND_MONITOR
from .spawn_spec import SpawnSpec

logger = logging.getLogger("actorgrpc.monitor")


class Monitor(Actor):
    """Supervises ``num_workers`` workers spawned with the same parameters.

    A worker that exits without being asked to stop is replaced under the same
    name. The monitor's aid is its name; ``send("monitor", ...)`` from a worker
    reaches it.
    """

    def __init__(self, arbiter, name: str, *, num_workers: int = 0, **worker_params):
        super().__init__(aid=name, name=name, kind=KIND_MONITOR, runtime=arbiter.runtime,
                         hooks=arbiter.hooks, monitor=arbiter.aid)
        self.arbiter = arbiter
        self.num_workers = num_workers
        # Validate once, early: a bad pool definition fails add_monitor.
        self.worker_spec = SpawnSpec.from_kwargs(**worker_params)
        #: Worker slot → its current record; a replacement takes the same slot and name.
        self.slots: dict[int, object] = {}
        self.address = arbiter.address

    @property
    def workers(self) -> dict:
        """The live workers, by aid (pulsar's ``managed_actors``)."""
        return {r.aid: r for r in self.slots.values() if r is not None and r.is_alive()}

    managed_actors = workers

    def worker_name(self, slot: int) -> str:
        return f"{self.name}-{slot}"

    async def maintain(self) -> None:
        """Spawn workers for empty slots (the monitor's periodic task)."""
        if self.state != ACTOR_STATES.RUN or self.arbiter.stopped():
            return
        for slot in range(self.num_workers):
            record = self.slots.get(slot)
            if record is not None and (record.is_alive() or record.stop_requested):
                continue
            self.slots[slot] = None
            await self._spawn_worker(slot)

    async def _spawn_worker(self, slot: int) -> None:
        spec = SpawnSpec(**{**self.worker_spec.__dict__, "name": self.worker_name(slot),
                            "monitor": self.name})
        previous = self.slots.get(slot)
        try:
            record = await self.arbiter.spawn_record(spec, restarts=0)
        except Exception as exc:
            logger.error("%s: could not start worker %s: %s", self, spec.name, exc)
            return
        self.slots[slot] = record
        if previous is not None:
            record.restarts = previous.restarts + 1

    def on_worker_exit(self, record) -> None:
        if record.stop_requested or self.stopped():
            return
        logger.warning("%s: worker %s(%s) exited (%s); replacing it", self, record.name,
                       record.aid, record.exit_code)
        for slot, current in self.slots.items():
            if current is record:
                self.keep_task(asyncio.ensure_future(self._replace(slot, record)), "restart")

    async def _replace(self, slot: int, old) -> None:
        spec = SpawnSpec(**{**self.worker_spec.__dict__, "name": self.worker_name(slot),
                            "monitor": self.name})
        try:
            record = await self.arbiter.spawn_record(spec, restarts=old.restarts + 1)
        except Exception as exc:
            logger.error("%s: could not restart %s: %s", self, spec.name, exc)
            return
        self.slots[slot] = record
        from .events import RESTARTED

        record.publish(RESTARTED, f"restart {record.restarts} after {old.aid}")

    async def stop_workers(self) -> None:
        records = [r for r in self.slots.values() if r is not None and r.is_alive()]
        await asyncio.gather(*(r.stop("monitor stopping") for r in records),
                             return_exceptions=True)

    def info(self) -> dict:
        data = super().info()
        data["workers"] = [r.summary_dict() for r in self.slots.values() if r is not None]
        data["monitor"] = {"num_workers": self.num_workers}
        return data
