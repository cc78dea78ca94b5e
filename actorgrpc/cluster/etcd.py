"""The one place that speaks to etcd: a small asyncio client with what the cluster needs.

Everything etcd-specific (the client library, its generated protos, gRPC status codes,
etcd's error texts) stays in this module and its helpers: connection.py (channel,
calls, retries), _wire.py (conversions, error mapping) and watch.py; the rest of the
cluster layer sees :class:`EtcdClient`, the plain data of model.py and the exceptions of errors.py.

Why not the library's own helpers: ``etcd3aio`` 0.3.0 is used for its generated
protos and stubs (they load with grpcio 1.85 / protobuf 7), not for its logic: its
watch resumes from the revision of the *created* response (which loses events when
the watch starts in the past and the stream breaks before they arrive), its lease
keep-alive has no deadline (it hangs on an unreachable member), its retries replay
transactions whose outcome is unknown, and it cannot send etcd's ``hasleader``
metadata. Here: every call has a deadline; reads retry on another member within it;
writes are never replayed; every call and stream asks for ``hasleader`` so that a
member cut off from its leader answers UNAVAILABLE at once (a stream already open on
it is cancelled by etcd after about 3 election timeouts) instead of going silent.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import grpc
import grpc.aio

from ._wire import (
    encode_key,
    encode_value,
    from_kv,
    prefix_end,
    prefix_range,
    rpc_pb2,
)
from .connection import DEFAULT_TIMEOUT, EtcdConnection
from .errors import EtcdError, EtcdUnavailable, LeaseNotFound
from .lease import Lease
from .model import Event, EventType, KeyValue, Range, TxnResult
from .watch import Watch

if TYPE_CHECKING:
    from .election import Election

__all__ = [
    "DEFAULT_TIMEOUT",
    "EtcdClient",
    "Event",
    "EventType",
    "KeyValue",
    "Range",
    "TxnResult",
    "Watch",
    "prefix_end",
]

log = logging.getLogger(__name__)

def _lease_id(lease: Lease | int | None) -> int:
    if lease is None:
        return 0
    return lease.id if isinstance(lease, Lease) else int(lease)


# --------------------------------------------------------------------------- client


class EtcdClient(EtcdConnection):
    """An asyncio etcd v3 client over several endpoints, every call with a deadline.

    Calls are spread over the endpoints (gRPC round-robin) and go elsewhere when a
    member is refused. Reads retry on UNAVAILABLE within their deadline; writes are
    sent once (an :class:`EtcdTimeout` on a write means "maybe applied": read back).
    ``timeout`` on each method overrides the client's default deadline.

    Use ``async with EtcdClient(endpoints) as etcd`` or ``await connect()`` and
    ``await close()``; closing stops the keep-alive of every lease and every watch
    this client made (the leases themselves then expire on their own TTL).
    """

    def __init__(self, endpoints: Sequence[str], **options: Any) -> None:
        """``endpoints``: ``host:port`` or ``http(s)://host:port``; ``options``: timeout,
        ca_cert, cert_key, cert_chain, tls_server_name, user, password (see
        EtcdConnection)."""
        super().__init__(endpoints, **options)
        self._leases: set[Lease] = set()
        self._watches: set[Watch] = set()

    async def connect(self) -> EtcdClient:
        await super().connect()
        return self

    async def close(self) -> None:
        """Stop every watch and lease keep-alive of this client, then close the channel."""
        for watch in list(self._watches):
            await watch.close()
        for lease in list(self._leases):
            await lease.stop_keep_alive()
        await super().close()

    async def __aenter__(self) -> EtcdClient:
        return await self.connect()

    # ------------------------------------------------------------------------ KV

    async def put(self, key: str, value: str | bytes, *, lease: Lease | int | None = None,
                  timeout: float | None = None) -> int:
        """Store ``value`` at ``key`` (held by ``lease`` if given). Returns the revision."""
        request = rpc_pb2.PutRequest(key=encode_key(key), value=encode_value(value),
                                     lease=_lease_id(lease))
        response = await self._call(lambda t: self._kv_stub.Put(
            request, timeout=t, metadata=self._metadata()), timeout, idempotent=False)
        return int(response.header.revision)

    async def get(self, key: str, *, timeout: float | None = None) -> KeyValue | None:
        """The key, or None when absent (a linearizable read)."""
        request = rpc_pb2.RangeRequest(key=encode_key(key))
        response = await self._call(lambda t: self._kv_stub.Range(
            request, timeout=t, metadata=self._metadata()), timeout, idempotent=True)
        return from_kv(response.kvs[0]) if response.kvs else None

    async def get_prefix(self, prefix: str, *, timeout: float | None = None) -> Range:
        """Every key under ``prefix``, sorted by key, with the revision they were read at."""
        key, end = prefix_range(prefix)
        request = rpc_pb2.RangeRequest(key=key, range_end=end,
                                       sort_order=rpc_pb2.RangeRequest.ASCEND,
                                       sort_target=rpc_pb2.RangeRequest.KEY)
        response = await self._call(lambda t: self._kv_stub.Range(
            request, timeout=t, metadata=self._metadata()), timeout, idempotent=True)
        return Range(kvs=[from_kv(kv) for kv in response.kvs], revision=response.header.revision)

    async def delete(self, key: str, *, timeout: float | None = None) -> bool:
        """Delete ``key``. Returns whether it existed."""
        request = rpc_pb2.DeleteRangeRequest(key=encode_key(key))
        response = await self._call(lambda t: self._kv_stub.DeleteRange(
            request, timeout=t, metadata=self._metadata()), timeout, idempotent=False)
        return bool(response.deleted > 0)

    async def delete_prefix(self, prefix: str, *, timeout: float | None = None) -> int:
        """Delete every key under ``prefix`` in one revision. Returns how many."""
        key, end = prefix_range(prefix)
        request = rpc_pb2.DeleteRangeRequest(key=key, range_end=end)
        response = await self._call(lambda t: self._kv_stub.DeleteRange(
            request, timeout=t, metadata=self._metadata()), timeout, idempotent=False)
        return int(response.deleted)

    async def revision(self, *, timeout: float | None = None) -> int:
        """The store's current revision (a linearizable read)."""
        request = rpc_pb2.RangeRequest(key=b"\0", limit=1, count_only=True)
        response = await self._call(lambda t: self._kv_stub.Range(
            request, timeout=t, metadata=self._metadata()), timeout, idempotent=True)
        return int(response.header.revision)

    # ---------------------------------------------------------------- transactions

    async def _txn(self, key: str, compare: rpc_pb2.Compare, success: rpc_pb2.RequestOp,
                   timeout: float | None) -> tuple[bool, int, KeyValue | None]:
        """One transaction: ``success`` if ``compare`` holds, else read the key."""
        request = rpc_pb2.TxnRequest(
            compare=[compare], success=[success],
            failure=[rpc_pb2.RequestOp(request_range=rpc_pb2.RangeRequest(key=encode_key(key)))])
        response = await self._call(lambda t: self._kv_stub.Txn(
            request, timeout=t, metadata=self._metadata()), timeout, idempotent=False)
        current = None
        if not response.succeeded:
            kvs = response.responses[0].response_range.kvs
            current = from_kv(kvs[0]) if kvs else None
        return response.succeeded, response.header.revision, current

    async def create_if_absent(self, key: str, value: str | bytes, *,
                               lease: Lease | int | None = None,
                               timeout: float | None = None) -> TxnResult:
        """Create ``key`` only if it does not exist, in one transaction.

        ``won`` tells whether we created it; otherwise ``current`` is the owner's key
        (its value, its lease). When the key already holds exactly our value under our
        (non-zero) lease, that is reported as won too: it makes a retry after an
        :class:`EtcdTimeout` safe (the first attempt may have been applied).
        """
        data, lease_id = encode_value(value), _lease_id(lease)
        compare = rpc_pb2.Compare(key=encode_key(key), target=rpc_pb2.Compare.CREATE,
                                  result=rpc_pb2.Compare.EQUAL, create_revision=0)
        put = rpc_pb2.RequestOp(request_put=rpc_pb2.PutRequest(
            key=encode_key(key), value=data, lease=lease_id))
        succeeded, revision, current = await self._txn(key, compare, put, timeout)
        if succeeded:
            current = KeyValue(key=key, value=data, create_revision=revision,
                               mod_revision=revision, version=1, lease=lease_id)
        elif current is not None and lease_id and current.lease == lease_id \
                and current.value == data:
            succeeded = True
        return TxnResult(succeeded=succeeded, revision=revision, current=current)

    async def compare_and_put(self, key: str, value: str | bytes, mod_revision: int, *,
                              lease: Lease | int | None = None,
                              timeout: float | None = None) -> TxnResult:
        """Put only if the key's ``mod_revision`` is the given one (0: the key is absent)."""
        data, lease_id = encode_value(value), _lease_id(lease)
        compare = rpc_pb2.Compare(key=encode_key(key), target=rpc_pb2.Compare.MOD,
                                  result=rpc_pb2.Compare.EQUAL, mod_revision=mod_revision)
        put = rpc_pb2.RequestOp(request_put=rpc_pb2.PutRequest(
            key=encode_key(key), value=data, lease=lease_id))
        succeeded, revision, current = await self._txn(key, compare, put, timeout)
        if succeeded:
            # The create revision of an overwritten key is not in a put's answer.
            current = await self.get(key, timeout=timeout) if mod_revision else KeyValue(
                key=key, value=data, create_revision=revision, mod_revision=revision,
                version=1, lease=lease_id)
        return TxnResult(succeeded=succeeded, revision=revision, current=current)

    async def compare_and_delete(self, key: str, mod_revision: int, *,
                                 timeout: float | None = None) -> TxnResult:
        """Delete only if the key's ``mod_revision`` is the given one."""
        compare = rpc_pb2.Compare(key=encode_key(key), target=rpc_pb2.Compare.MOD,
                                  result=rpc_pb2.Compare.EQUAL, mod_revision=mod_revision)
        delete = rpc_pb2.RequestOp(
            request_delete_range=rpc_pb2.DeleteRangeRequest(key=encode_key(key)))
        succeeded, revision, current = await self._txn(key, compare, delete, timeout)
        return TxnResult(succeeded=succeeded, revision=revision, current=current)

    # ---------------------------------------------------------------------- leases

    async def grant(self, ttl: int, *, keep_alive: bool = True, loss_margin: float = 0.0,
                    on_lost: Callable[[Lease], None] | None = None,
                    timeout: float | None = None) -> Lease:
        """Grant a lease of ``ttl`` seconds and (by default) keep it alive every ttl/3.

        etcd raises a TTL below its minimum (2 s with the default election timeout).
        The lease reports loss (``on_lost``, ``wait_lost()``) ``loss_margin`` seconds
        before the earliest moment etcd may expire it, see :class:`Lease`.
        """
        sent = time.monotonic()  # etcd starts the TTL when it applies the grant: later
        request = rpc_pb2.LeaseGrantRequest(TTL=ttl)
        # Not replayed: a second grant would only leak a lease until its TTL.
        response = await self._call(lambda t: self._lease_stub.LeaseGrant(
            request, timeout=t, metadata=self._metadata()), timeout, idempotent=False)
        if response.error:
            raise EtcdError(f"lease grant refused: {response.error}")
        lease = Lease(self, response.ID, response.TTL, granted_at=sent,
                      loss_margin=loss_margin, on_lost=on_lost)
        if keep_alive:
            lease.start_keep_alive()
        return lease

    async def keep_alive_once(self, lease_id: int, *, timeout: float | None = None) -> int:
        """Renew a lease once. Returns its TTL, or 0 when etcd no longer has it."""
        budget = self.timeout if timeout is None else timeout

        async def attempt(t: float) -> int:
            # One request on a fresh stream: each renewal may go to another member, and
            # nothing long-lived stays pinned to a member that stopped answering.
            call = self._lease_stub.LeaseKeepAlive(
                iter([rpc_pb2.LeaseKeepAliveRequest(ID=lease_id)]),
                timeout=t, metadata=self._metadata())
            try:
                response = await call.read()
            finally:
                call.cancel()
            if response is grpc.aio.EOF:
                raise EtcdUnavailable("lease keep-alive stream closed without an answer")
            return int(response.TTL)

        return await self._call(attempt, budget, idempotent=True)

    async def revoke(self, lease_id: int, *, timeout: float | None = None) -> bool:
        """Revoke a lease: its keys are deleted in one revision. False if it was gone."""
        request = rpc_pb2.LeaseRevokeRequest(ID=lease_id)
        try:
            await self._call(lambda t: self._lease_stub.LeaseRevoke(
                request, timeout=t, metadata=self._metadata()), timeout, idempotent=True)
        except LeaseNotFound:
            return False
        return True

    async def time_to_live(self, lease_id: int, *, timeout: float | None = None) -> int:
        """The lease's remaining TTL in whole seconds as etcd sees it; -1 when gone."""
        request = rpc_pb2.LeaseTimeToLiveRequest(ID=lease_id)
        response = await self._call(lambda t: self._lease_stub.LeaseTimeToLive(
            request, timeout=t, metadata=self._metadata()), timeout, idempotent=True)
        return int(response.TTL)

    def _track_lease(self, lease: Lease, alive: bool) -> None:
        if alive:
            self._leases.add(lease)
        else:
            self._leases.discard(lease)

    # --------------------------------------------------------------------- watches

    def watch(self, key: str, *, start_revision: int = 0, prev_kv: bool = False) -> Watch:
        """Watch one key from ``start_revision`` (0: from now on). See :class:`Watch`."""
        return Watch(self, encode_key(key), b"", start_revision, prev_kv)

    def watch_prefix(self, prefix: str, *, start_revision: int = 0,
                     prev_kv: bool = False) -> Watch:
        """Watch every key under ``prefix`` from ``start_revision`` (0: from now on)."""
        key, end = prefix_range(prefix)
        return Watch(self, key, end, start_revision, prev_kv)

    def _track_watch(self, watch: Watch, alive: bool) -> None:
        if alive:
            self._watches.add(watch)
        else:
            self._watches.discard(watch)

    # ------------------------------------------------------------------- elections

    def election(self, name: str, lease: Lease, value: str | bytes = b"") -> Election:
        """A leader election among the holders of leases; see :class:`Election`."""
        from .election import Election

        return Election(self, name, lease, value)

    # ------------------------------------------------------------------- cluster

    async def status(self, *, timeout: float | None = None) -> dict[str, int]:
        """One member's view: ``member_id``, ``leader`` (0: none), ``raft_term``, ``revision``."""
        request = rpc_pb2.StatusRequest()
        response = await self._call(lambda t: self._maintenance_stub.Status(
            request, timeout=t, metadata=self._metadata()), timeout, idempotent=True)
        return {"member_id": response.header.member_id, "leader": response.leader,
                "raft_term": response.raftTerm, "revision": response.header.revision}


