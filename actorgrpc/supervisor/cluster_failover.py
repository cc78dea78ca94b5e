"""Spawning on another host, and failover: one leader re-places orphans.

An orphan is a stored spec (``specs/<name>``) whose name nobody holds and whose
host's incarnation (the lease it was spawned under) is no longer a member: its host
died, was cut off (and fenced), or stopped. Every arbiter campaigns in one etcd
election; only the leader re-places orphans, so two arbiters never race to do it
(and a race would still end with one winner: names are created if absent).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING, Any

from actorgrpc.contract.errors import ActorAlreadyExists, ActorUnavailable, InvalidArgument
from actorgrpc.supervisor.cluster_placement import choose_host

if TYPE_CHECKING:
    from actorgrpc.cluster import Lease, Watch
    from actorgrpc.contract.proxy import ActorProxy
    from actorgrpc.contract.spawn_spec import SpawnSpec
    from actorgrpc.supervisor.cluster_node import ClusterNode

logger = logging.getLogger("actorgrpc.cluster")

__all__ = ["Failover", "spawn_on"]

#: Seconds between two looks at the orphans when etcd reports no change (a watch
#: wakes the leader at once on a change; this only bounds a missed wake-up).
RECONCILE_PERIOD = 1.0


async def spawn_on(node: ClusterNode, host: str, spec: SpawnSpec) -> ActorProxy:
    """Spawn ``spec`` on ``host``'s arbiter (ArbiterService.Spawn with the host pinned)."""
    import dataclasses

    import grpc

    from actorgrpc.contract.errors import error_from_rpc_error
    from actorgrpc.contract.proxy import ActorProxy
    from actorgrpc.transport.channels import open_channel
    from actorgrpc.v1 import arbiter_pb2_grpc

    arbiter = node.arbiter
    request = dataclasses.replace(spec, host=host).to_request()
    security = arbiter.security.client()
    channel = open_channel(host, arbiter.max_message_bytes, security)
    try:
        stub = arbiter_pb2_grpc.ArbiterServiceStub(channel)
        # The remote spawn's own timeout, plus time to get there and back.
        response = await stub.Spawn(request, timeout=arbiter.spawn_timeout + 5.0,
                                    metadata=security.metadata)
    except grpc.aio.AioRpcError as exc:
        raise error_from_rpc_error(exc) from None
    finally:
        await channel.close(grace=None)
    return ActorProxy.from_ref(response.actor)


class Failover:
    """Campaigns for leadership; while leading, re-places orphaned actors."""

    def __init__(self, node: ClusterNode) -> None:
        self.node = node
        self._wake = asyncio.Event()
        self.replaced = 0

    def lease_changed(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        node = self.node
        while True:
            lease = node.lease
            if lease is None or lease.lost:
                await asyncio.sleep(0.2)  # fenced: the node is joining again
                continue
            election = node.client.election(f"{node.prefix}leader", lease, node.host)
            try:
                await election.campaign()
                logger.info("cluster: %s leads failover", node.host)
                await self._lead(lease)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - lost lease or etcd trouble: campaign again
                logger.info("cluster: failover leadership ended (%s)", exc)
                await asyncio.sleep(0.2)

    async def _lead(self, lease: Lease) -> None:
        node = self.node
        watch = node.client.watch_prefix(f"{node.prefix}members/")
        waker = asyncio.ensure_future(self._wake_on(watch))
        try:
            while not lease.lost:
                await self.reconcile()
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), RECONCILE_PERIOD)
        finally:
            waker.cancel()
            await watch.close()

    async def _wake_on(self, watch: Watch) -> None:
        async for _events in watch:
            self._wake.set()

    async def reconcile(self) -> None:
        """Place every orphan once (the next look retries what failed)."""
        node = self.node
        members = await node.entries("members")
        names = await node.entries("names")
        specs = await node.entries("specs")
        live_leases = {entry.get("lease") for entry in members.values()}
        for name, stored in sorted(specs.items()):
            if name in names or stored.get("lease") in live_leases:
                continue
            host = choose_host(members, names, node.host, node.settings.placement)
            try:
                await place(node, host, stored.get("spec") or {}, name)
            except ActorAlreadyExists:
                continue
            except Exception as exc:  # noqa: BLE001 - logged; retried on the next look
                logger.warning("cluster: could not re-place %s on %s: %s", name, host, exc)
                continue
            self.replaced += 1
            names[name] = {"host": host}
            logger.warning("cluster: re-placed %s on %s (its host is gone)", name, host)


async def place(node: ClusterNode, host: str, spec_dict: dict[str, Any],
                name: str) -> ActorProxy:
    """Spawn a stored spec under its name on ``host`` (this arbiter or another)."""
    from actorgrpc.contract.spawn_spec import SpawnSpec

    spec = SpawnSpec.from_kwargs(**{**spec_dict, "name": name, "host": host})
    return await node.arbiter.spawn(_spec=spec)


async def spawn_placed(node: ClusterNode, spec: SpawnSpec) -> ActorProxy | None:
    """Where ``Arbiter.spawn`` goes in a cluster: here, or another host's arbiter."""
    host = spec.host
    if not host:
        members = await node.entries("members")
        names = await node.entries("names")
        host = choose_host(members, names, node.host, node.settings.placement)
    elif host != node.host:
        members = await node.entries("members")
        if host not in members:
            raise InvalidArgument(f"no host {host!r} in the cluster (members: "
                                  f"{', '.join(sorted(members))})")
    if host == node.host:
        return None  # here
    if node.fenced:
        raise ActorUnavailable("this arbiter is cut off from its cluster (fenced)")
    return await spawn_on(node, host, spec)
