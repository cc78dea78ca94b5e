"""The supervision tree: restarts written once, for the root and for every monitor.

Erlang/OTP's model. The arbiter hosts a root supervisor whose children are the
actors spawned directly (and, beside them, the monitors); every monitor is a
supervisor of a pool of workers. A supervisor hears that a child exited and decides:
its restart type says whether it comes back, the intensity (``max_restarts`` in
``max_seconds``) whether the supervisor still restarts at all, the backoff how long
to wait, and the strategy which siblings go with it. A replacement that cannot start
is one more crash: retried with backoff until the intensity is exceeded, then the
supervisor gives up (GAVE_UP event, error logged, reason in info).
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
import time
from typing import TYPE_CHECKING, Generic, TypeVar

from actorgrpc.contract.consts import TEMPORARY
from actorgrpc.supervisor import events
from actorgrpc.supervisor.restart import (
    ONE_FOR_ALL,
    REST_FOR_ONE,
    RestartPolicy,
    RestartTracker,
    should_restart,
)
from actorgrpc.supervisor.spawner import StoppedBeforeRunning

if TYPE_CHECKING:
    from actorgrpc.contract.spawn_spec import SpawnSpec
    from actorgrpc.supervisor.arbiter import Arbiter
    from actorgrpc.supervisor.monitor import Monitor
    from actorgrpc.supervisor.record import ActorRecord

#: A child's key: a monitor's worker slot, or the name of one of the arbiter's actors.
Key = TypeVar("Key", int, str)

logger = logging.getLogger("actorgrpc.supervision")

__all__ = ["Supervisor", "RootSupervisor"]


class Supervisor(Generic[Key]):
    """Restarts the children it owns, by key (a worker slot, or an actor's name).

    Subclasses say how keys map to records and specifications (``key_of``,
    ``spec_for``), which siblings a restart takes along (``affected``) and how
    intensity is counted (``tracker_for``).
    """

    #: Restart type of a child that has none of its own.
    default_restart = TEMPORARY

    def __init__(self, arbiter: Arbiter, policy: RestartPolicy) -> None:
        self.arbiter = arbiter
        self.policy = policy
        #: Key → the child's current (or last) incarnation.
        self.children: dict[Key, ActorRecord] = {}
        #: Keys being (re)started right now.
        self._busy: set[Key] = set()
        #: Why this supervisor stopped restarting, if it gave up as a whole.
        self.gave_up = ""

    # -- what subclasses say -----------------------------------------------------------

    def key_of(self, record: ActorRecord) -> Key | None:
        """The key of ``record`` if it is one of ours and current, else None."""
        for key, current in self.children.items():
            if current is record:
                return key
        return None

    def spec_for(self, key: Key, previous: ActorRecord | None) -> SpawnSpec:
        raise NotImplementedError

    def affected(self, key: Key) -> list[Key]:
        """The keys a crash of ``key`` restarts (the strategy)."""
        if self.policy.strategy == ONE_FOR_ALL:
            return sorted(self.children)
        if self.policy.strategy == REST_FOR_ONE:
            return sorted(k for k in self.children if k >= key)
        return [key]

    def tracker_for(self, key: Key) -> RestartTracker:
        raise NotImplementedError

    def stopping(self) -> bool:
        return self.arbiter.after_run() or bool(self.gave_up)

    def on_child_ended(self, key: Key) -> None:
        """A child exited for good (not restarted)."""

    def on_give_up(self, key: Key, record: ActorRecord | None, why: str) -> None:
        """The intensity is exceeded (``why``); the default forgets that child."""
        self.children.pop(key, None)

    # -- deciding --------------------------------------------------------------------

    def child_exited(self, record: ActorRecord) -> None:
        """One of our children exited: apply its restart type, intensity, backoff and
        strategy."""
        if self.stopping():
            return
        key = self.key_of(record)
        if key is None or key in self._busy:
            return  # stopped by a strategy restart, which starts it again itself
        restart_type = record.spec.restart or self.default_restart
        if not should_restart(restart_type, record.exit_code, record.stop_requested):
            self.on_child_ended(key)
            return
        tracker = self.tracker_for(key)
        if not tracker.allow():
            self._give_up(key, record)
            return
        ran_for = time.time() - record.started_at if record.started_at else 0.0
        delay = tracker.delay(key, ran_for)
        keys = self.affected(key)
        self._busy.update(keys)
        expected = [(self.name_of(k), self.arbiter.registry.restart_expected(self.name_of(k)))
                    for k in keys]
        self.arbiter.keep_task(asyncio.ensure_future(
            self._restart(keys, delay, record.aid, expected)), "restart")
        # Logged once the restart has started: the replacement does not wait for it.
        asyncio.get_running_loop().call_soon(functools.partial(
            logger.warning, "%s(%s) exited (%s); restarting %s in %.3f s", record.name,
            record.aid, record.exit_code, [self.name_of(k) for k in keys], delay,
            extra={"actor": record}))

    def name_of(self, key: Key) -> str:
        return self.spec_for(key, self.children.get(key)).name

    async def _restart(self, keys: list[Key], delay: float, cause: str,
                       expected: list[tuple[str, asyncio.Future[None]]]) -> None:
        try:
            others = [self.children[k] for k in keys
                      if self.children.get(k) is not None and self.children[k].is_alive()]
            # Siblings stopped by the strategy are not crashes: restarted right here.
            await asyncio.gather(*(r.stop(f"{self.policy.strategy} restart") for r in others),
                                 return_exceptions=True)
            if delay:
                await asyncio.sleep(delay)
            for key in keys:
                if self.stopping():
                    return
                await self._start_again(key, delay, cause)
        finally:
            self._busy.difference_update(keys)
            for name, future in expected:
                self.arbiter.registry.restart_settled(name, future)
                if self.arbiter.cluster is not None:
                    self.arbiter.cluster.name_maybe_free(name)  # if the restart gave up
            # A replacement that died while this restart was still under way (after
            # it ran, before it became our child): its exit was ignored then.
            for key in keys:
                current = self.children.get(key)
                if current is not None and current.exit_code is not None:
                    self.child_exited(current)

    async def _start_again(self, key: Key, delay: float, cause: str) -> None:
        previous = self.children.get(key)
        restarts = (previous.restarts + 1) if previous is not None else 0
        tracker = self.tracker_for(key)
        while not self.stopping():
            try:
                record = await self.arbiter.spawner.spawn(
                    self.spec_for(key, previous), monitor=self.monitor_object(),
                    restarts=restarts)
            except StoppedBeforeRunning as exc:
                # Stopped by an operator while it was starting: not a crash.
                logger.info("restart of %s stopped: %s", self.name_of(key), exc)
                self.on_child_ended(key)
                return
            except Exception as exc:  # noqa: BLE001 - counted as one more crash
                logger.error("could not restart %s: %s", self.name_of(key), exc)
                # A replacement that cannot start is one more crash.
                if not tracker.allow():
                    self._give_up(key, previous, f"restart failed: {exc}")
                    return
                # Its failed registration settled the wait for the name: wait again.
                self.arbiter.registry.restart_expected(self.name_of(key))
                await asyncio.sleep(tracker.delay(key, 0.0))
                restarts += 1
                continue
            record.backoff = delay
            self.children[key] = record
            record.publish(events.RESTARTED,
                           f"restart {record.restarts} (backoff {delay:.3f} s) after {cause}")
            return

    def monitor_object(self) -> Monitor | None:
        """The Monitor its children report to (None: the arbiter itself)."""
        return None

    def _give_up(self, key: Key, record: ActorRecord | None, why: str = "") -> None:
        policy = self.policy
        why = why or f"more than {policy.max_restarts} restarts in {policy.max_seconds:g} s"
        logger.error("%s: giving up restarting %s: %s", self, self.name_of(key), why)
        if record is not None:
            record.gave_up = why
            record.publish(events.GAVE_UP, why)
        self.on_give_up(key, record, why)

    async def stop_children(self, reason: str) -> None:
        records = [r for r in self.children.values() if r is not None and r.is_alive()]
        await asyncio.gather(*(r.stop(reason) for r in records), return_exceptions=True)


class RootSupervisor(Supervisor[str]):
    """The arbiter's own children: actors spawned directly, by name, one_for_one.

    Each child has its own intensity window: one actor in a crash loop makes the
    root give up on that actor, not on the others.
    """

    def __init__(self, arbiter: Arbiter, policy: RestartPolicy) -> None:
        super().__init__(arbiter, dataclasses.replace(policy, strategy="one_for_one"))
        self._trackers: dict[str, RestartTracker] = {}

    def __str__(self) -> str:
        return "the arbiter"

    async def spawn(self, spec: SpawnSpec) -> ActorRecord:
        """Start a child; its record once it runs (SpawnError otherwise)."""
        record = await self.arbiter.spawner.spawn(spec)
        self.children[record.name] = record
        if record.exit_code is not None:
            # Died after it ran, before it was our child: its exit was ignored then.
            self.child_exited(record)
        return record

    def spec_for(self, key: str, previous: ActorRecord | None) -> SpawnSpec:
        if previous is None:  # a child of the root is known by its last incarnation
            raise KeyError(f"no actor named {key!r} to restart")
        # The same name as before, even for an actor named after its first aid.
        return dataclasses.replace(previous.spec, name=previous.name)

    def tracker_for(self, key: str) -> RestartTracker:
        tracker = self._trackers.get(key)
        if tracker is None:
            tracker = self._trackers[key] = RestartTracker(self.policy)
        return tracker

    def on_child_ended(self, key: str) -> None:
        self.children.pop(key, None)
        self._trackers.pop(key, None)
        if self.arbiter.cluster is not None:
            self.arbiter.cluster.drop_spec(key)  # ended for good: not to be re-placed

    def on_give_up(self, key: str, record: ActorRecord | None, why: str) -> None:
        self.on_child_ended(key)
