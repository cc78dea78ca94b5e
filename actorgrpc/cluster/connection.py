"""The connection to etcd under EtcdClient: endpoints, the channel and its options,
authentication, and the one call wrapper (a deadline on every call, reads retried on
another member, writes never replayed, gRPC errors mapped to the cluster's own).
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
import time
import urllib.parse
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

import grpc
import grpc.aio

from ._wire import map_error, rpc_pb2, rpc_pb2_grpc
from .errors import EtcdError, EtcdTimeout

__all__ = ["DEFAULT_TIMEOUT", "EtcdConnection"]

log = logging.getLogger("actorgrpc.cluster.etcd")

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


class EtcdConnection:
    """A channel to several etcd endpoints, its stubs and its credentials; the base of
    EtcdClient, which adds the operations."""

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
            raise ValueError("https:// endpoints need ca_cert (the CA that signed etcd's "
                             "certificate)")
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

    # ---------------------------------------------------------------- lifecycle

    async def connect(self) -> EtcdConnection:
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
        """Close the channel."""
        if self._channel is not None:
            channel, self._channel = self._channel, None
            await channel.close()

    async def __aenter__(self) -> EtcdConnection:
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
            except TimeoutError:
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
