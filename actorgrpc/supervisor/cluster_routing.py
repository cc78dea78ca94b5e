"""What an arbiter in a cluster answers for actors it does not host, and where it spawns.

GetActor / Send for a name this arbiter does not run look the name up in etcd and
answer with the owner's mailbox address: clients and actors then send straight there
(their Router caches it and resolves again when the actor moved). Info and Stop of
such a name go to the owner's arbiter (cluster_remote.py).
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from actorgrpc.contract.consts import ACTOR_STATES, PERMANENT, TRANSIENT
from actorgrpc.contract.enums import kind_to_wire, state_to_wire
from actorgrpc.contract.errors import ActorNotFound, shown
from actorgrpc.contract.proxy import ActorProxy
from actorgrpc.v1 import actor_pb2

if TYPE_CHECKING:
    from actorgrpc.contract.spawn_spec import SpawnSpec
    from actorgrpc.supervisor.cluster_node import ClusterNode
    from actorgrpc.supervisor.record import ActorRecord

__all__ = ["RemoteActor", "cluster_spawn", "find_remote", "remote_actors"]

#: Seconds between two looks in etcd while waiting for a name to appear (failover).
LOOKUP_POLL = 0.1


@dataclasses.dataclass
class RemoteActor:
    """An actor of another host, as etcd's ``names/<name>`` says."""

    name: str
    aid: str
    address: str
    host: str
    kind: str = "process"
    pid: int = 0
    state: int = ACTOR_STATES.RUN
    created_at: float = 0.0

    @property
    def proxy(self) -> ActorProxy:
        return ActorProxy(self.aid, self.name, self.address, self.state)

    def summary(self) -> actor_pb2.ActorSummary:
        return actor_pb2.ActorSummary(
            actor=actor_pb2.ActorRef(aid=self.aid, name=self.name, address=self.address,
                                     state=state_to_wire(self.state)),
            kind=kind_to_wire(self.kind), pid=self.pid, host=self.host)


def _remote(name: str, entry: dict[str, Any]) -> RemoteActor | None:
    if not entry.get("address") or not entry.get("aid"):
        return None  # claimed, not running yet
    return RemoteActor(name=name, aid=entry["aid"], address=entry["address"],
                       host=entry.get("host", ""), kind=entry.get("kind", "process"),
                       pid=int(entry.get("pid", 0)))


async def find_remote(node: ClusterNode, target: str, wait: float) -> RemoteActor:
    """The running actor named ``target`` on another host; waits up to ``wait`` s for
    the name to be (re)claimed and running (a failover in progress)."""
    deadline = time.monotonic() + wait
    while True:
        entry = await node.lookup(target)
        found = _remote(target, entry) if entry is not None else None
        if found is not None and found.host != node.host:
            return found
        if time.monotonic() + LOOKUP_POLL > deadline:
            raise ActorNotFound(f"no live actor with aid or name {shown(target)} in "
                                "the cluster")
        await asyncio.sleep(LOOKUP_POLL)


async def remote_actors(node: ClusterNode) -> list[RemoteActor]:
    """Every running actor of the other hosts."""
    found = []
    for name, entry in (await node.entries("names")).items():
        actor = _remote(name, entry)
        if actor is not None and actor.host != node.host:
            found.append(actor)
    return found


async def cluster_spawn(node: ClusterNode, spec: SpawnSpec,
                        spawn_here: Callable[[SpawnSpec], Awaitable[ActorRecord]]) -> ActorProxy:
    """Spawn ``spec`` where placement says; keep the spec of a permanent/transient
    actor in etcd so that the failover leader can place it again."""
    from actorgrpc.supervisor.cluster_failover import spawn_placed

    proxy = await spawn_placed(node, spec)
    if proxy is not None:
        return proxy
    record = await spawn_here(spec)
    if spec.restart in (PERMANENT, TRANSIENT):
        await node.keep_spec(dataclasses.replace(spec, name=record.name))
    return record.proxy
