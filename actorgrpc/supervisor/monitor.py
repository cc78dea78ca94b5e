"""Monitors: actors living in the arbiter that keep a pool of workers alive."""

from __future__ import annotations

import asyncio
import functools
import logging
import time

from actorgrpc.supervisor import events
from actorgrpc.actor.core import Actor
from actorgrpc.contract.consts import ACTOR_STATES, KIND_MONITOR
from actorgrpc.contract.consts import PERMANENT
from actorgrpc.supervisor.restart import (ONE_FOR_ALL, REST_FOR_ONE, RestartPolicy, RestartTracker,
                      should_restart)
from actorgrpc.contract.spawn_spec import SpawnSpec

logger = logging.getLogger("actorgrpc.supervisor.monitor")


class Monitor(Actor):
    """Supervises ``num_workers`` workers spawned with the same parameters.

    Workers are named ``{monitor}-{slot}`` and keep their name across restarts.
    The restart policy (see ``actorgrpc.supervisor.restart``) decides what a crash does; the
    workers' restart type defaults to "permanent". An operator's Stop of a worker
    empties its slot. The monitor's aid is its name; a worker reaches it as
    ``send("monitor", ...)``.
    """

    def __init__(self, arbiter, name: str, *, num_workers: int = 0, **params):
        super().__init__(aid=name, name=name, kind=KIND_MONITOR, runtime=arbiter.runtime,
                         hooks=arbiter.hooks, monitor=arbiter.aid)
        self.arbiter = arbiter
        if not isinstance(num_workers, int) or num_workers < 0:
            from actorgrpc.contract.errors import InvalidArgument

            raise InvalidArgument("num_workers must be a whole number >= 0")
        self.num_workers = num_workers
        params = dict(params)
        self.policy = RestartPolicy.from_params(params)
        self.tracker = RestartTracker(self.policy)
        # Validate once, early: a bad pool definition fails add_monitor.
        self.worker_spec = SpawnSpec.from_kwargs(**params)
        if not self.worker_spec.restart:
            self.worker_spec.restart = PERMANENT
        #: Worker slot → its current (or last) record; None until first started.
        self.slots: dict[int, object] = {}
        #: Slots being (re)started right now.
        self._busy: set[int] = set()
        #: Why this monitor stopped restarting (intensity exceeded), if it did.
        self.gave_up = ""
        self.address = arbiter.address

    @property
    def workers(self) -> dict:
        """The live workers, by aid (pulsar's ``managed_actors``)."""
        return {r.aid: r for r in self.slots.values() if r is not None and r.is_alive()}

    managed_actors = workers

    def worker_name(self, slot: int) -> str:
        return f"{self.name}-{slot}"

    def _spec(self, slot: int) -> SpawnSpec:
        return SpawnSpec(**{**self.worker_spec.__dict__, "name": self.worker_name(slot),
                            "monitor": self.name})

    def _slot_of(self, record) -> int | None:
        for slot, current in self.slots.items():
            if current is record:
                return slot
        return None

    async def maintain(self) -> None:
        """Start the workers of slots never started (at boot; the periodic task)."""
        if self.state != ACTOR_STATES.RUN or self.arbiter.after_run() or self.gave_up:
            return
        for slot in range(self.num_workers):
            if slot not in self.slots and slot not in self._busy:
                self._busy.add(slot)
                try:
                    record = await self.arbiter.spawn_record(self._spec(slot))
                except Exception as exc:
                    logger.error("%s: could not start worker %s: %s", self,
                                 self.worker_name(slot), exc)
                    continue
                finally:
                    self._busy.discard(slot)
                self.slots[slot] = record

    def on_worker_exit(self, record) -> None:
        """A worker exited: apply the restart type, intensity, backoff and strategy."""
        if self.after_run() or self.gave_up or self.arbiter.after_run():
            return
        slot = self._slot_of(record)
        if slot is None or slot in self._busy:
            return  # stopped by a strategy restart, which starts it again itself
        if not should_restart(record.spec.restart, record.exit_code, record.stop_requested):
            return
        if not self.tracker.allow():
            self._give_up(record)
            return
        ran_for = time.time() - record.started_at if record.started_at else 0.0
        delay = self.tracker.delay(slot, ran_for)
        if self.policy.strategy == ONE_FOR_ALL:
            slots = sorted(self.slots)
        elif self.policy.strategy == REST_FOR_ONE:
            slots = sorted(s for s in self.slots if s >= slot)
        else:
            slots = [slot]
        self._busy.update(slots)
        for name in map(self.worker_name, slots):
            self.arbiter.registry.restart_expected(name)
        self.keep_task(asyncio.ensure_future(self._restart(slots, delay, record.aid)),
                       "restart")
        # Logged once the restart has started: the replacement does not wait for it.
        asyncio.get_running_loop().call_soon(functools.partial(
            logger.warning, "%s: worker %s(%s) exited (%s); restarting %s in %.3f s", self,
            record.name, record.aid, record.exit_code, [self.worker_name(s) for s in slots],
            delay, extra={"actor": record}))

    async def _restart(self, slots: list[int], delay: float, cause: str) -> None:
        try:
            others = [self.slots[s] for s in slots
                      if self.slots.get(s) is not None and self.slots[s].is_alive()]
            # Siblings stopped by the strategy are not crashes: the monitor restarts
            # them itself, in slot order.
            await asyncio.gather(*(r.stop(f"{self.policy.strategy} restart") for r in others),
                                 return_exceptions=True)
            if delay:
                await asyncio.sleep(delay)
            for slot in slots:
                if self.after_run() or self.arbiter.after_run() or self.gave_up:
                    return
                await self._start_again(slot, delay, cause)
        finally:
            self._busy.difference_update(slots)
            for name in map(self.worker_name, slots):
                self.arbiter.registry.restart_settled(name)

    async def _start_again(self, slot: int, delay: float, cause: str) -> None:
        previous = self.slots.get(slot)
        restarts = (previous.restarts + 1) if previous is not None else 0
        while True:
            try:
                record = await self.arbiter.spawn_record(self._spec(slot), restarts=restarts)
            except Exception as exc:
                logger.error("%s: could not restart %s: %s", self, self.worker_name(slot), exc)
                # A replacement that cannot start is one more crash.
                if not self.tracker.allow():
                    self._give_up(previous, f"restart failed: {exc}")
                    return
                # Its registration settled the wait for the name: lookups wait again.
                self.arbiter.registry.restart_expected(self.worker_name(slot))
                await asyncio.sleep(self.tracker.delay(slot, 0.0))
                restarts += 1
                continue
            record.backoff = delay
            self.slots[slot] = record
            record.publish(events.RESTARTED,
                           f"restart {record.restarts} (backoff {delay:.3f} s) after {cause}")
            return

    def _give_up(self, record, why: str = "") -> None:
        policy = self.policy
        self.gave_up = why or (f"more than {policy.max_restarts} restarts in "
                               f"{policy.max_seconds:g} s")
        logger.error("%s: giving up: %s; stopping its workers", self, self.gave_up)
        if record is not None:
            record.gave_up = self.gave_up
            record.publish(events.GAVE_UP, f"monitor {self.name}: {self.gave_up}")
        self.keep_task(asyncio.ensure_future(self.stop_workers()), "give up")

    async def restart_all(self, reason: str) -> None:
        """Rolling restart of every worker (SIGHUP): one at a time, keeping the rest."""
        for slot in sorted(self.slots):
            record = self.slots.get(slot)
            if record is None or not record.is_alive() or slot in self._busy:
                continue
            self._busy.add(slot)
            name = self.worker_name(slot)
            self.arbiter.registry.restart_expected(name)
            try:
                await record.stop(reason)
                await self._start_again(slot, 0.0, reason)
            finally:
                self._busy.discard(slot)
                self.arbiter.registry.restart_settled(name)

    async def stop_workers(self) -> None:
        records = [r for r in self.slots.values() if r is not None and r.is_alive()]
        await asyncio.gather(*(r.stop("monitor stopping") for r in records),
                             return_exceptions=True)

    def info(self) -> dict:
        data = super().info()
        data["workers"] = [r.summary_dict() for r in self.slots.values() if r is not None]
        data["monitor"] = {"num_workers": self.num_workers, "policy": self.policy.as_dict(),
                           "restarts": self.tracker.total, "gave_up": self.gave_up,
                           "restart": self.worker_spec.restart}
        return data
