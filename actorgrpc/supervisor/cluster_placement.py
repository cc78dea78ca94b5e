"""Where a spawn with no host goes in a cluster, and the load each host publishes for it.

Each arbiter measures its host's load (its own CPU and, from their heartbeats, that of
its actors' processes) and publishes it in its membership key, rounded to steps of a
tenth of the host's CPUs: a host writes to etcd only when its step changes, so an idle
cluster writes nothing. The ``least-loaded`` policy ranks hosts by that step, then by
the names they own (read from etcd at spawn time, so the count is never stale).
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from actorgrpc.contract.consts import OWN_PROCESS_KINDS

if TYPE_CHECKING:
    import psutil

__all__ = ["HostLoad", "LoadMeter", "choose_host", "PLACEMENT_POLICIES"]

#: ``least-loaded``: the host whose processes use the fewest tenths of its CPUs, then
#: the fewest actors, then the arbiter that received the spawn, then by address.
#: ``local``: the arbiter that received the spawn.
PLACEMENT_POLICIES = ("least-loaded", "local")

#: Steps of CPU use a host is ranked by: tenths of its CPUs. Coarse on purpose, so that
#: the noise of idle hosts (a few percent) never outranks the count of their actors.
CPU_STEPS = 10


@dataclasses.dataclass(frozen=True)
class HostLoad:
    """One host's load as its arbiter measured it."""

    #: CPU use of the arbiter and its actors' own processes, in percent of one CPU.
    cpu_percent: float
    #: CPUs this host may use (its affinity mask).
    cpus: int

    @property
    def cpu_step(self) -> int:
        """Tenths of the host's CPUs in use: 0 (idle) to 10 (all busy)."""
        share = self.cpu_percent / (100.0 * max(1, self.cpus))
        if not math.isfinite(share):  # heartbeats are bounded at intake; this is a guard
            return 0
        return max(0, min(CPU_STEPS, int(share * CPU_STEPS)))

    def as_dict(self) -> dict[str, Any]:
        return {"cpu_percent": round(self.cpu_percent, 1), "cpus": self.cpus,
                "cpu_step": self.cpu_step}


class LoadMeter:
    """Measures a host's load: the arbiter's own CPU since the last look, plus the CPU
    its process actors reported in their last heartbeats (thread actors run in the
    arbiter's process, so they are counted with it)."""

    def __init__(self, process: psutil.Process | None = None) -> None:
        import psutil

        self._process = process or psutil.Process()
        self._process.cpu_percent(None)  # the first reading starts the interval
        self.cpus = len(os.sched_getaffinity(0))

    def measure(self, records: Mapping[str, Any]) -> HostLoad:
        actors = sum(record.load.cpu_percent for record in records.values()
                     if record.kind in OWN_PROCESS_KINDS)
        return HostLoad(cpu_percent=self._process.cpu_percent(None) + actors,
                        cpus=self.cpus)


def choose_host(members: Mapping[str, Mapping[str, Any]],
                names: Mapping[str, Mapping[str, Any]], me: str, policy: str) -> str:
    """The host for a spawn with none given (see PLACEMENT_POLICIES)."""
    if policy == "local" or not members:
        return me if me in members or not members else sorted(members)[0]
    actors = dict.fromkeys(members, 0)
    for entry in names.values():
        host = entry.get("host")
        if host in actors:
            actors[host] += 1
    steps = {host: _published_step(entry) for host, entry in members.items()}
    return min(actors, key=lambda host: (steps[host], actors[host], host != me, host))


def _published_step(member: Mapping[str, Any]) -> int:
    """The CPU step a member published (0 when it published none: an older arbiter,
    or one that has not measured yet)."""
    load = member.get("load")
    step = load.get("cpu_step") if isinstance(load, Mapping) else None
    return step if isinstance(step, int) and 0 <= step <= CPU_STEPS else 0
