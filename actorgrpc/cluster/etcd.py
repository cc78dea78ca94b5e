"""The one place that speaks to etcd: a small asyncio client with what the cluster needs.

Everything etcd-specific (the client library, its generated protos, gRPC status codes,
etcd's error texts) stays in this module and its two helpers, _wire.py (conversions,
error mapping) and watch.py; the rest of the cluster layer sees :class:`EtcdClient`,
the plain data of model.py and the exceptions of errors.py.

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

import asyncio
import ipaddress
import logging
import socket
import time
import urllib.parse
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import grpc
import grpc.aio

from ._wire import (
    encode_key,
    encode_value,
    from_kv,
    map_error,
    prefix_end,
    prefix_range,
    rpc_pb2,
    rpc_pb2_grpc,
)
from .errors import EtcdError, EtcdTimeout, EtcdUnavailable, LeaseNotFound
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

#: Default deadline of one call, seconds. Long enough for a write on a healthy
#: cluster of loaded 2-core machines (a few ms to ~100 ms with fsync), short enough
#: that a host notices an unreachable etcd well within a 5 s lease.
DEFAULT_TIMEOUT = 2.0

# Reads are retried on another member within their deadline after this pause, doubled
# up to the cap: a killed member is refused at once, so the pause is what the retry
# loop costs while the channel notices the member is gone.
_RETRY_PAUSE = 0.05
_RETRY_PAUSE_MAX = 0.5

# gRPC keepalive pings detect a member that vanished without closing its connections
# (a partition) in ~keepalive time + timeout = 8 s. etcd 3.4 refuses pings more often
# than every 5 s (--grpc-keepalive-min-time) and closes the connection after a few, so
# 6 s leaves a margin; pings are only sent while a call or stream is open, because
# etcd also refuses pings without streams.
_CHANNEL_OPTIONS: list[tuple[str, Any]] = [
    ("grpc.lb_policy_name", "round_robin"),
    ("grpc.keepalive_time_ms", 6_000),
    ("grpc.keepalive_timeout_ms", 2_000),
    ("grpc.keepalive_permit_without_calls", 0),
    # Idle watch streams send no data: without this, gRPC stops pinging after 2
    # pings and a partitioned member holding a watch would never be detected.
    ("grpc.http2.max_pings_without_data", 0),
    # A restarted member is reconnected within ~1 s (gRPC's default backoff grows
    # to 120 s, which would keep a watch away from a single-member cluster).
    ("grpc.initial_reconnect_backoff_ms", 100),
    ("grpc.max_reconnect_backoff_ms", 1_000),
    # gRPC uses this as the minimum *connect timeout* (default 20 s; the timeout is
    # the larger of it and the current backoff): an attempt to reach a cut-off member
    # is given up after 0.5-1 s (a TCP + TLS handshake on a LAN takes milliseconds),
    # so a member that comes back is reached again within ~1-2 s, not ~20.
    ("grpc.min_reconnect_backoff_ms", 500),
    # Only transparent retries (the request never left this process): safe for writes.
    ("grpc.enable_retries", 1),
]

_T = TypeVar("_T")


def _lease_id(lease: Lease | int | None) -> int:
    if lease is None:
        return 0
    return lease.id if isinstance(lease, Lease) else int(lease)


# ------------------------------------------------------------------------ endpoints


def _parse_endpoint(endpoint: str) -> tuple[str, int, bool]:
    """``host:port``, ``http://host:port`` or ``https://host:port`` → (host, port, tls)."""
    text = endpoint.strip()
    tls = text.startswith("https://")
    if "://" not in text:
        text = "tcp://" + text
    parsed = urllib.parse.urlsplit(text)
    if not parsed.hostname or not parsed.port:
        raise ValueError(f"etcd endpoint {endpoint!r}: expected host:port or a URL")
    return parsed.hostname, parsed.port, tls


def _ipv4(host: str) -> str:
    """The IPv4 address of ``host``: gRPC's multi-address target takes addresses only."""
    try:
        return str(ipaddress.IPv4Address(host))
    except ValueError:
        pass
    infos = socket.getaddrinfo(host, None, socket.AF_INET, socket.SOCK_STREAM)
    if not infos:
        raise ValueError(f"etcd endpoint host {host!r} has no IPv4 address")
    return str(infos[0][4][0])


# --------------------------------------------------------------------------- client


class EtcdClient:
    """An asyncio etcd v3 client over several endpoints, every call with a deadline.

    Calls are spread over the endpoints (gRPC round-robin) and go elsewhere when a
    member is refused. Reads retry on UNAVAILABLE within their deadline; writes are
    sent once (an :class:`EtcdTimeout` on a write means "maybe applied": read back).
    ``timeout`` on each method overrides the client's default deadline.

    Use ``async with EtcdClient(endpoints) as etcd`` or ``await connect()`` and
    ``await close()``; closing stops the keep-alive of every lease and every watch
    this client made (the leases themselves then expire on their own TTL).
    """

    def __init__(
        self,
        endpoints: Sequence[str],
        *,
        timeout: float = DEFAULT_TIMEOUT,
        ca_cert: bytes | None = None,
        cert_key: bytes | None = None,
        cert_chain: bytes | None = None,
        tls_server_name: str | None = None,
        user: str | None = None,
        password: str | None = None,
    ) -> None:
        if not endpoints:
            raise ValueError("at least one etcd endpoint is needed")
        parsed = [_parse_endpoint(e) for e in endpoints]
        if any(tls for _, _, tls in parsed) and ca_cert is None:
            raise ValueError("https:// endpoints need ca_cert (the CA that signed etcd's certificate)")
        if (cert_key is None) != (cert_chain is None):
            raise ValueError("a client certificate needs both cert_key and cert_chain")
        if (user is None) != (password is None):
            raise ValueError("user and password go together")
        self.endpoints = [f"{host}:{port}" for host, port, _ in parsed]
        self.timeout = timeout
        self._targets = [f"{_ipv4(host)}:{port}" for host, port, _ in parsed]
        self._tls = (ca_cert, cert_key, cert_chain) if ca_cert is not None else None
        # gRPC checks the certificate against one name; with addresses in the target it
        # has none, so default to the first endpoint's host as the user wrote it.
        self._tls_server_name = tls_server_name or parsed[0][0]
        self._user, self._password = user, password
        self._token: str | None = None
        self._auth_lock = asyncio.Lock()
        self._channel: grpc.aio.Channel | None = None
        self._kv_stub: Any = None
        self._lease_stub: Any = None
        self._watch_stub: Any = None
        self._auth_stub: Any = None
        self._maintenance_stub: Any = None
        self._leases: set[Lease] = set()
        self._watches: set[Watch] = set()

    # ---------------------------------------------------------------- lifecycle

    async def connect(self) -> EtcdClient:
        """Open the channel, and authenticate when a user was given. Returns self."""
        if self._channel is not None:
            return self
        target = "ipv4:" + ",".join(self._targets)
        options = list(_CHANNEL_OPTIONS)
        if self._tls is not None:
            ca_cert, cert_key, cert_chain = self._tls
            credentials = grpc.ssl_channel_credentials(
                root_certificates=ca_cert, private_key=cert_key, certificate_chain=cert_chain)
            options.append(("grpc.ssl_target_name_override", self._tls_server_name))
            self._channel = grpc.aio.secure_channel(target, credentials, options=options)
        else:
            self._channel = grpc.aio.insecure_channel(target, options=options)
        self._kv_stub = rpc_pb2_grpc.KVStub(self._channel)
        self._lease_stub = rpc_pb2_grpc.LeaseStub(self._channel)
        self._watch_stub = rpc_pb2_grpc.WatchStub(self._channel)
        self._auth_stub = rpc_pb2_grpc.AuthStub(self._channel)
        self._maintenance_stub = rpc_pb2_grpc.MaintenanceStub(self._channel)
        if self._user is not None:
            try:
                await self._authenticate(None)
            except BaseException:
                await self.close()
                raise
        return self

    async def close(self) -> None:
        """Stop every watch and lease keep-alive of this client, then close the channel."""
        for watch in list(self._watches):
            await watch.close()
        for lease in list(self._leases):
            await lease.stop_keep_alive()
        if self._channel is not None:
            channel, self._channel = self._channel, None
            await channel.close()

    async def __aenter__(self) -> EtcdClient:
        return await self.connect()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # --------------------------------------------------------------- call plumbing

    def _metadata(self) -> tuple[tuple[str, str], ...]:
        # hasleader: a member without a leader refuses at once (UNAVAILABLE) instead
        # of holding the call or the stream; it is etcd's WithRequireLeader.
        metadata: tuple[tuple[str, str], ...] = (("hasleader", "true"),)
        if self._token is not None:
            metadata += (("token", self._token),)
        return metadata

    async def _authenticate(self, stale_token: str | None) -> None:
        """Get a token; callers that saw ``stale_token`` refused share one new token."""
        async with self._auth_lock:
            if self._token is not None and self._token != stale_token:
                return  # another call re-authenticated meanwhile
            request = rpc_pb2.AuthenticateRequest(name=self._user, password=self._password)
            response = await self._call(lambda t: self._auth_stub.Authenticate(
                request, timeout=t), None, idempotent=True, authenticate=False)
            self._token = response.token

    async def _call(self, attempt: Callable[[float], Awaitable[_T]], timeout: float | None,
                    *, idempotent: bool, authenticate: bool = True) -> _T:
        """Run ``attempt(deadline_seconds)`` within ``timeout``, mapping gRPC errors.

        Idempotent calls are retried on UNAVAILABLE (the next attempt goes to another
        member) and give each attempt at most half of what is left, so that one
        member that swallows the request does not use the whole deadline.
        """
        if self._channel is None:
            raise EtcdError("the etcd client is not connected (or was closed)")
        budget = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + budget
        pause = _RETRY_PAUSE
        reauthenticated = False
        last_error: EtcdError | None = None  # what the last retried attempt said
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                if last_error is not None:
                    raise last_error
                raise EtcdTimeout(f"etcd call: deadline of {budget:.2f} s passed")
            attempt_timeout = max(min(left, 0.2), left / 2) if idempotent else left
            token = self._token
            try:
                return await asyncio.wait_for(attempt(attempt_timeout), attempt_timeout + 0.5)
            except asyncio.TimeoutError:
                # gRPC's own deadline fires first; this one only guards against a
                # call that never honours it.
                if not idempotent:
                    raise EtcdTimeout(f"etcd call: deadline of {budget:.2f} s passed") from None
                last_error = EtcdTimeout(f"etcd call: deadline of {budget:.2f} s passed")
                continue
            except grpc.aio.AioRpcError as exc:
                code, details = exc.code(), exc.details() or ""
                if (code == grpc.StatusCode.UNAUTHENTICATED and "invalid auth token" in details
                        and authenticate and self._user is not None and not reauthenticated):
                    # Simple tokens expire (5 min by default): the call was refused
                    # before it was applied, so it is safe to send again.
                    reauthenticated = True
                    await self._authenticate(token)
                    continue
                error = map_error(exc)
                retryable = (code == grpc.StatusCode.UNAVAILABLE
                             or (code == grpc.StatusCode.DEADLINE_EXCEEDED and idempotent))
                if idempotent and retryable and deadline - time.monotonic() > pause:
                    log.debug("etcd: %s (%s), retrying", code.name, details)
                    last_error = error
                    await asyncio.sleep(pause)
                    pause = min(pause * 2, _RETRY_PAUSE_MAX)
                    continue
                raise error from exc

    # ------------------------------------------------------------------------ KV

    async def put(self, key: str, value: str | bytes, *, lease: Lease | int | None = None,
                  timeout: float | None = None) -> int:
        """Store ``value`` at ``key`` (held by ``lease`` if given). Returns the revision."""
        request = rpc_pb2.PutRequest(key=encode_key(key), value=encode_value(value), lease=_lease_id(lease))
        response = await self._call(lambda t: self._kv_stub.Put(
            request, timeout=t, metadata=self._metadata()), timeout, idempotent=False)
        return response.header.revision

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
        return response.deleted > 0

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
        return response.header.revision

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
        delete = rpc_pb2.RequestOp(request_delete_range=rpc_pb2.DeleteRangeRequest(key=encode_key(key)))
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


