"""Monitors: supervisors of a pool of workers, living in the arbiter (pulsar's monitors)."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING, Any

from actorgrpc.actor.core import Actor
from actorgrpc.contract.consts import ACTOR_STATES, KIND_MONITOR, PERMANENT
from actorgrpc.contract.errors import InvalidArgument
from actorgrpc.contract.spawn_spec import SpawnSpec
from actorgrpc.supervisor.restart import RestartPolicy, RestartTracker
from actorgrpc.supervisor.tree import Supervisor

if TYPE_CHECKING:
    from actorgrpc.supervisor.arbiter import Arbiter
    from actorgrpc.supervisor.record import ActorRecord

logger = logging.getLogger("actorgrpc.monitor")

__all__ = ["Monitor"]


class Monitor(Supervisor[int], Actor):
    """Keeps ``num_workers`` workers spawned with the same parameters alive.

    Workers are named ``{monitor}-{slot}`` and keep their name across restarts.
    The restart policy (see ``actorgrpc.supervisor.restart``) decides what a crash
    does; the workers' restart type defaults to "permanent". An operator's Stop of a
    worker empties its slot. The monitor's aid is its name; a worker reaches it as
    ``send("monitor", ...)``.
    """

    default_restart = PERMANENT

    def __init__(self, arbiter: Arbiter, name: str, *, num_workers: int = 0,
                 **params: Any) -> None:
        if not isinstance(num_workers, int) or isinstance(num_workers, bool) or num_workers < 0:
            raise InvalidArgument("num_workers must be a whole number >= 0")
        params = dict(params)
        policy = RestartPolicy.from_params(params)
        Actor.__init__(self, aid=name, name=name, kind=KIND_MONITOR, runtime=arbiter.runtime,
                       hooks=arbiter.hooks, monitor=arbiter.aid)
        Supervisor.__init__(self, arbiter, policy)
        self.num_workers = num_workers
        self.tracker = RestartTracker(policy)
        # Validate once, early: a bad pool definition fails add_monitor.
        self.worker_spec = SpawnSpec.from_kwargs(**params)
        if not self.worker_spec.restart:
            self.worker_spec.restart = PERMANENT
        self.address = arbiter.address

    def __str__(self) -> str:
        return f"{self.name}({self.aid})"

    __repr__ = __str__

    # -- the pool ---------------------------------------------------------------------

    @property
    def slots(self) -> dict[int, ActorRecord]:
        """Worker slot → its current (or last) record."""
        return self.children

    @property
    def workers(self) -> dict[str, ActorRecord]:
        """The live workers, by aid (pulsar's ``managed_actors``)."""
        return {r.aid: r for r in self.children.values() if r is not None and r.is_alive()}

    managed_actors = workers

    def worker_name(self, slot: int) -> str:
        return f"{self.name}-{slot}"

    def spec_for(self, key: int, previous: ActorRecord | None) -> SpawnSpec:
        return SpawnSpec(**{**self.worker_spec.__dict__, "name": self.worker_name(key),
                            "monitor": self.name})

    def name_of(self, key: int) -> str:
        return self.worker_name(key)

    def tracker_for(self, key: int) -> RestartTracker:
        return self.tracker  # the intensity of the whole pool, as OTP counts it

    def monitor_object(self) -> Monitor:
        return self

    def stopping(self) -> bool:
        return self.after_run() or super().stopping()

    def on_child_ended(self, key: int) -> None:
        """An operator's stop empties the slot (the pool shrinks)."""

    def on_give_up(self, key: int, record: ActorRecord | None, why: str) -> None:
        self.gave_up = why
        logger.error("%s: giving up: %s; stopping its workers", self, why)
        if record is not None:
            record.gave_up = why
        self.keep_task(asyncio.ensure_future(self.stop_children("monitor gave up")),
                       "give up")

    async def maintain(self) -> None:
        """Start the workers of slots never started (at boot, then periodically)."""
        if self.state != ACTOR_STATES.RUN or self.stopping():
            return
        for slot in range(self.num_workers):
            if slot in self.children or slot in self._busy:
                continue
            self._busy.add(slot)
            try:
                record = await self.arbiter.spawner.spawn(self.spec_for(slot, None),
                                                          monitor=self)
            except Exception as exc:  # noqa: BLE001 - logged; the next upkeep tries again
                logger.error("%s: could not start worker %s: %s", self,
                             self.worker_name(slot), exc)
                continue
            finally:
                self._busy.discard(slot)
            self.children[slot] = record

    async def restart_all(self, reason: str) -> None:
        """Rolling restart of every worker (SIGHUP): one at a time, keeping the rest."""
        for slot in sorted(self.children):
            record = self.children.get(slot)
            if record is None or not record.is_alive() or slot in self._busy:
                continue
            self._busy.add(slot)
            name = self.worker_name(slot)
            expected = self.arbiter.registry.restart_expected(name)
            try:
                await record.stop(reason)
                await self._start_again(slot, 0.0, reason)
            finally:
                self._busy.discard(slot)
                self.arbiter.registry.restart_settled(name, expected)

    async def stop_workers(self) -> None:
        await self.stop_children("monitor stopping")

    def info(self) -> dict[str, Any]:
        data = super().info()
        data["workers"] = [r.summary_dict() for r in self.children.values() if r is not None]
        data["monitor"] = {"num_workers": self.num_workers, "policy": self.policy.as_dict(),
                           "restarts": self.tracker.total, "gave_up": self.gave_up,
                           "restart": self.worker_spec.restart}
        return data

    def run_started(self) -> None:
        """It lives in the arbiter's loop: RUN as soon as the arbiter creates it."""
        self.loop = self.arbiter.loop
        self.thread_id = self.arbiter.thread_id
        self._stopped = asyncio.Event()
        self.state = ACTOR_STATES.RUN
        self.started_at = time.time()
