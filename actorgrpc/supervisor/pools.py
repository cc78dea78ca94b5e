"""The arbiter's worker pools: one Monitor each, beside the root supervisor.

A pool is defined before the arbiter runs (validated at once, created when it
boots) or while it runs (created at once); the arbiter's ``monitors`` hold them by
name.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from actorgrpc.contract.errors import InvalidArgument
from actorgrpc.contract.spawn_spec import SpawnSpec
from actorgrpc.supervisor.monitor import Monitor
from actorgrpc.supervisor.restart import RestartPolicy

if TYPE_CHECKING:
    from actorgrpc.supervisor.arbiter import Arbiter

__all__ = ["Pools"]


class Pools:
    """Creates and removes the arbiter's monitors (``arbiter.monitors``)."""

    def __init__(self, arbiter: Arbiter) -> None:
        self.arbiter = arbiter
        #: Pools defined before the arbiter ran: (name, add_monitor's parameters).
        self._pending: list[tuple[str, dict[str, Any]]] = []

    def add(self, name: str, params: dict[str, Any]) -> Monitor | None:
        """The monitor of a new pool; None before the arbiter runs (created at boot)."""
        arbiter = self.arbiter
        if name in arbiter.monitors or name in arbiter.registry.names:
            raise InvalidArgument(f"a monitor or actor named {name!r} exists")
        if arbiter.loop is None:
            # Validate now so that a bad pool definition fails at once.
            worker_params = {k: v for k, v in params.items() if k != "num_workers"}
            RestartPolicy.from_params(worker_params)
            SpawnSpec.from_kwargs(**worker_params)
            self._pending.append((name, params))
            return None
        return self._create(name, params)

    def create_pending(self) -> None:
        """Create the pools defined before the arbiter ran (once it has booted)."""
        for name, params in self._pending:
            self._create(name, params)
        self._pending.clear()

    def _create(self, name: str, params: dict[str, Any]) -> Monitor:
        arbiter = self.arbiter
        monitor = Monitor(arbiter, name, **params)
        monitor.run_started()
        arbiter.monitors[name] = monitor
        arbiter.registry.add_local(monitor)
        arbiter.mailbox_host.add(monitor)
        arbiter.keep_task(asyncio.ensure_future(monitor.maintain()), "monitor start")
        return monitor

    def remove(self, monitor: Monitor) -> None:
        arbiter = self.arbiter
        arbiter.monitors.pop(monitor.name, None)
        arbiter.registry.remove_local(monitor)
        arbiter.mailbox_host.remove(monitor)
