"""An arbiter's membership of a cluster: its lease, its names, its fence (see docs/cluster.md).

Everything lives under ``/actorgrpc/<cluster>/`` in etcd:

* ``members/<host>``: this arbiter (``host`` = its advertised HOST:PORT), under its lease;
* ``names/<name>``: who owns a name (host, aid, mailbox address), under the owner's
  lease: created with create-if-absent, so a name is unique cluster-wide, and freed
  in one revision with every other name of a host whose lease ends;
* ``specs/<name>``: the spawn spec of a permanent/transient root actor, with no lease
  (it outlives its host, so that the failover leader can place it again);
* ``leader/``: the election of the one arbiter that re-places orphaned actors
  (cluster_failover.py).

Fencing: the lease reports its loss ``fence_margin`` seconds before etcd can expire it
(actorgrpc.cluster.lease); the arbiter then kills its actors at once, so that no name
runs on two hosts. It then keeps trying to join again with a new lease, and claims
nothing: what it ran was orphaned with its old lease and is re-placed by the leader.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import time
from typing import TYPE_CHECKING, Any

from actorgrpc.contract.consts import OWN_PROCESS_KINDS
from actorgrpc.contract.errors import ActorAlreadyExists, ActorUnavailable, shown
from actorgrpc.supervisor.cluster_placement import HostLoad, LoadMeter

if TYPE_CHECKING:
    # Imported when a cluster is joined: etcd3aio is the optional `cluster` extra.
    from actorgrpc.cluster import EtcdClient, Lease
    from actorgrpc.contract.spawn_spec import SpawnSpec
    from actorgrpc.supervisor.arbiter import Arbiter
    from actorgrpc.supervisor.cluster_failover import Failover
    from actorgrpc.supervisor.record import ActorRecord

logger = logging.getLogger("actorgrpc.cluster")

__all__ = ["ClusterNode", "ClusterSettings"]

#: Seconds an etcd call may take before it is given up (each call has a deadline).
ETCD_TIMEOUT = 2.0
#: Seconds a killed actor is given to be reaped while fencing.
FENCE_JOIN = 1.0
#: Pause between two attempts to join again after a fence (etcd unreachable).
REJOIN_PAUSE = 0.5
#: Seconds between two measures of this host's load (cluster_placement.py); it is
#: written to etcd only when its CPU step changed.
LOAD_PERIOD = 2.0


@dataclasses.dataclass(frozen=True)
class ClusterSettings:
    """How an arbiter joins a cluster (``serve --etcd --cluster --advertise``)."""

    endpoints: tuple[str, ...]
    name: str
    #: HOST:PORT others reach this arbiter at; also this host's name in the cluster.
    advertise: str
    #: Seconds of the arbiter's lease (etcd's minimum is 2); keep-alive every TTL/3.
    lease_ttl: int = 5
    #: "least-loaded" or "local" (cluster_placement.PLACEMENT_POLICIES).
    placement: str = "least-loaded"
    #: Seconds before etcd may expire the lease at which this host fences itself;
    #: None: 30% of the TTL.
    fence_margin: float | None = None
    #: The internal credential shared by the cluster's arbiters (derived from the
    #: operator's admin tokens); None: this arbiter's own random one.
    credential: str | None = dataclasses.field(default=None, repr=False)
    #: Options of the etcd connection: ca_cert, cert_key, cert_chain (PEM bytes), user,
    #: password (actorgrpc.cluster.EtcdClient).
    etcd_options: dict[str, Any] = dataclasses.field(default_factory=dict, repr=False, hash=False,
                                           compare=False)

    @property
    def margin(self) -> float:
        return self.lease_ttl * 0.3 if self.fence_margin is None else self.fence_margin

    @property
    def advertise_host(self) -> str:
        return self.advertise.rpartition(":")[0].strip("[]")


class ClusterNode:
    """The cluster side of one arbiter: membership, names, specs, fencing."""

    def __init__(self, arbiter: Arbiter, settings: ClusterSettings) -> None:
        self.arbiter = arbiter
        self.settings = settings
        self.host = settings.advertise
        self.prefix = f"/actorgrpc/{settings.name}/"
        self.etcd: EtcdClient | None = None
        self.lease: Lease | None = None
        #: True from the loss of the lease until this arbiter joined again.
        self.fenced = False
        #: Monotonic time of the last completed fence (for tests and figures).
        self.fenced_at = 0.0
        self._locks: dict[str, asyncio.Lock] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._closing = False
        self.failover: Failover | None = None
        self._load_meter = LoadMeter()
        #: This host's load as last measured and as last written to etcd.
        self.load = HostLoad(cpu_percent=0.0, cpus=self._load_meter.cpus)
        self._published_step: int | None = None
        self._since = 0.0  # when this arbiter (last) joined: wall-clock seconds

    @classmethod
    def attach(cls, arbiter: Arbiter, settings: ClusterSettings | None) -> ClusterNode | None:
        """The node of ``arbiter`` in a cluster; None (and nothing changed) without one."""
        if settings is None:
            return None
        # Actors must be reachable from the other hosts, at this host's address.
        arbiter.actor_host = settings.advertise_host
        if settings.credential:
            # Calls between hosts (arbiter to arbiter, actor to actor) present it.
            arbiter.security = arbiter.security.with_credential(settings.credential)
            arbiter.server_host.security = arbiter.security
        return cls(arbiter, settings)

    # -- joining and leaving -------------------------------------------------------------

    async def join(self) -> None:
        """Connect to etcd, take a lease and the membership key, campaign as leader."""
        from actorgrpc.cluster import EtcdClient
        from actorgrpc.supervisor.cluster_failover import Failover

        self.etcd = await EtcdClient(list(self.settings.endpoints), timeout=ETCD_TIMEOUT,
                                     **self.settings.etcd_options).connect()
        await self._register()
        self.failover = Failover(self)
        self._tasks.append(asyncio.ensure_future(self.failover.run()))
        self._tasks.append(asyncio.ensure_future(self._report_load()))
        logger.info("joined cluster %r as %s (lease %x, TTL %d s)", self.settings.name,
                    self.host, self.current_lease.id, self.current_lease.ttl)

    async def _register(self) -> None:
        lease = await self.client.grant(self.settings.lease_ttl, loss_margin=self.settings.margin,
                                      on_lost=self._on_lease_lost)
        self._since = time.time()
        await self._put_member(lease)
        self.lease = lease

    async def _put_member(self, lease: Lease) -> None:
        """Write this arbiter's membership key: who it is and the load it last measured."""
        load = self.load
        value = json.dumps({"host": self.host, "pid": _pid(), "lease": lease.id,
                            "since": self._since, "load": load.as_dict()})
        await self.client.put(self.key("members", self.host), value, lease=lease)
        self._published_step = load.cpu_step

    async def _report_load(self) -> None:
        """Measure the load every LOAD_PERIOD; publish it when its CPU step changed."""
        while True:
            await asyncio.sleep(LOAD_PERIOD)
            lease = self.lease
            try:
                self.load = self._load_meter.measure(self.arbiter.registry.live)
                if self.load.cpu_step == self._published_step or self.fenced \
                        or lease is None or lease.lost:
                    continue
                await self._put_member(lease)
            except Exception as exc:  # noqa: BLE001 - etcd trouble: the next period retries
                logger.info("cluster: could not publish this host's load (%s)", exc)

    def info(self) -> dict[str, Any]:
        """The cluster part of the arbiter's ``info``."""
        return {"name": self.settings.name, "host": self.host, "fenced": self.fenced,
                "lease_ttl_seconds": self.settings.lease_ttl,
                "placement": self.settings.placement, "load": self.load.as_dict(),
                "published_cpu_step": self._published_step}

    async def leave(self) -> None:
        """After every local actor stopped: free this host's names at once (revoke)."""
        self._closing = True
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.lease is not None and not self.lease.lost:
            with contextlib.suppress(Exception):  # unreachable etcd: it expires by itself
                await self.lease.revoke(timeout=ETCD_TIMEOUT)
        if self.etcd is not None:
            await self.etcd.close()

    def key(self, kind: str, name: str) -> str:
        return f"{self.prefix}{kind}/{name}"

    @property
    def client(self) -> EtcdClient:
        """The etcd client, once joined (UNAVAILABLE before: nothing is claimed yet)."""
        if self.etcd is None:
            raise ActorUnavailable("this arbiter has not joined its cluster yet")
        return self.etcd

    @property
    def current_lease(self) -> Lease:
        """This arbiter's lease, once joined (UNAVAILABLE before)."""
        if self.lease is None:
            raise ActorUnavailable("this arbiter has not joined its cluster yet")
        return self.lease

    # -- fencing -------------------------------------------------------------------------

    def _on_lease_lost(self, lease: Lease) -> None:
        if self._closing or lease is not self.lease:
            return
        self.fenced = True
        self._tasks.append(asyncio.ensure_future(self._fence_and_rejoin(lease)))

    async def _fence_and_rejoin(self, lost: Lease) -> None:
        registry = self.arbiter.registry
        records = list(registry.live.values())
        for record in records:
            if record.kind in OWN_PROCESS_KINDS:
                record.kill()
        await asyncio.gather(*(r.stop("fenced: lost the cluster lease", timeout=0.2)
                               for r in records if r.kind not in OWN_PROCESS_KINDS),
                             return_exceptions=True)
        await asyncio.gather(*(r.join(FENCE_JOIN) for r in records))
        self.fenced_at = time.monotonic()
        # A line that tests read: when every local actor was gone (CLOCK_MONOTONIC is
        # the same on every "host" of a machine).
        logger.warning("cluster: fenced at monotonic %.6f: lease %x lost (%s); %d local "
                       "actors stopped", self.fenced_at, lost.id, lost.lost_reason,
                       len(records))
        if self.failover is not None:
            self.failover.lease_changed()
        while not self._closing:
            try:
                # The old lease, if etcd still has it, would keep our old names claimed.
                with contextlib.suppress(Exception):
                    await self.client.revoke(lost.id, timeout=ETCD_TIMEOUT)
                await self._register()
                break
            except Exception as exc:  # noqa: BLE001 - any etcd failure: try again later
                logger.info("cluster: cannot join again yet (%s)", exc)
                await asyncio.sleep(REJOIN_PAUSE)
        self.fenced = False
        logger.warning("cluster: joined again with lease %x; claiming nothing",
                       self.current_lease.id)

    # -- names ---------------------------------------------------------------------------

    def _lock(self, name: str) -> asyncio.Lock:
        return self._locks.setdefault(name, asyncio.Lock())

    def _check_usable(self) -> None:
        if self.fenced or self.lease is None or self.lease.lost:
            raise ActorUnavailable("this arbiter is cut off from its cluster (fenced)")

    async def claim(self, name: str) -> None:
        """Own ``name`` cluster-wide (ALREADY_EXISTS when another host or lease has it)."""
        self._check_usable()
        async with self._lock(name):
            value = json.dumps({"host": self.host, "aid": "", "address": ""})
            lease = self.current_lease
            result = await self.client.create_if_absent(self.key("names", name), value,
                                                        lease=lease)
            if result.won or (result.current is not None
                              and result.current.lease == lease.id):
                return
            owner = _decode(result.current.value).get("host", "?") if result.current else "?"
            raise ActorAlreadyExists(f"an actor named {shown(name)} is already running "
                                     f"(on {owner})")

    async def announce(self, record: ActorRecord) -> None:
        """The actor of a claimed name runs: publish its aid and mailbox address."""
        self._check_usable()
        value = json.dumps({"host": self.host, "aid": record.aid, "address": record.address,
                            "kind": record.kind, "pid": record.pid})
        async with self._lock(record.name):
            await self.client.put(self.key("names", record.name), value,
                                  lease=self.current_lease)

    def name_maybe_free(self, name: str) -> None:
        """A record of ``name`` ended: once no incarnation is live or coming, free it."""
        asyncio.get_running_loop().call_soon(
            lambda: self.arbiter.keep_task(asyncio.ensure_future(self._free(name)),
                                           "free a cluster name"))

    async def _free(self, name: str) -> None:
        registry = self.arbiter.registry
        async with self._lock(name):
            if name in registry.names or name in registry.restarting or self.fenced \
                    or self._closing:
                return
            key = self.key("names", name)
            with contextlib.suppress(Exception):  # gone with our lease anyway
                current = await self.client.get(key)
                if current is not None and current.lease == self.current_lease.id:
                    await self.client.compare_and_delete(key, current.mod_revision)

    async def lookup(self, name: str) -> dict[str, Any] | None:
        """The owner of ``name`` as etcd says (``host``, ``aid``, ``address``), or None."""
        kv = await self.client.get(self.key("names", name))
        return _decode(kv.value) if kv is not None else None

    async def entries(self, kind: str) -> dict[str, dict[str, Any]]:
        """Every key of one kind (members, names, specs): name → decoded value."""
        found = await self.client.get_prefix(f"{self.prefix}{kind}/")
        start = len(self.prefix) + len(kind) + 1
        return {kv.key[start:]: {**_decode(kv.value), "_lease": kv.lease} for kv in found.kvs}

    # -- specs ---------------------------------------------------------------------------

    async def keep_spec(self, spec: SpawnSpec) -> None:
        """Store the spec of a permanent/transient actor (no lease: it outlives us)."""
        value = json.dumps({"host": self.host, "lease": self.current_lease.id,
                            "spec": spec_to_dict(spec)})
        await self.client.put(self.key("specs", spec.name), value)

    def drop_spec(self, name: str) -> None:
        """The actor ended for good here (stopped, finished, given up): forget its spec."""
        if self.fenced or self._closing:
            return  # fenced: its spec is for the leader to place again

        async def drop() -> None:
            key = self.key("specs", name)
            with contextlib.suppress(Exception):  # a later failover finds the name running
                current = await self.client.get(key)
                if current is not None and _decode(current.value).get("host") == self.host:
                    await self.client.compare_and_delete(key, current.mod_revision)

        self.arbiter.keep_task(asyncio.ensure_future(drop()), "drop a cluster spec")


def spec_to_dict(spec: SpawnSpec) -> dict[str, Any]:
    """A SpawnSpec as JSON (its hooks are "module:function" references)."""
    data = {f.name: getattr(spec, f.name) for f in dataclasses.fields(spec)}
    data.pop("host", None)
    return {k: v for k, v in data.items() if v not in (None, "", {})}


def _decode(value: bytes) -> dict[str, Any]:
    try:
        data = json.loads(value)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _pid() -> int:
    import os

    return os.getpid()
