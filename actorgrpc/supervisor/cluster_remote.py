"""Calls an arbiter in a cluster makes to the other hosts' arbiters on a client's behalf.

* ``Info`` / ``Stop`` of a name another host owns are forwarded to its owner's arbiter
  (``forward``), which answers as for one of its own actors (with its supervision).
* ``WatchActors`` with ``cluster`` relays every other member's events (``relay_members``):
  one WatchActors stream (``cluster`` false) to each member, opened when it joins and
  again when it rejoins, closed when it leaves; each event carries its ``host``.

These calls present this arbiter's internal credential: in a cluster with tokens it is
derived from the operator's admin tokens and the cluster's name (``cluster_credential``),
so that every arbiter given the same token file accepts the others' calls.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import logging
from typing import TYPE_CHECKING, Any

import grpc
from google.protobuf.message import Message

from actorgrpc.contract.consts import DEFAULT_SEND_TIMEOUT
from actorgrpc.contract.errors import error_from_rpc_error
from actorgrpc.transport.channels import open_channel
from actorgrpc.v1 import arbiter_pb2, arbiter_pb2_grpc

if TYPE_CHECKING:
    from actorgrpc.supervisor.cluster_node import ClusterNode
    from actorgrpc.supervisor.events import Subscription

logger = logging.getLogger("actorgrpc.cluster")

__all__ = ["cluster_credential", "forward", "owner_elsewhere", "relay_members"]

#: Seconds between two looks at the members while a cluster watch runs (one etcd
#: range read each): how late a member that joined is watched.
MEMBERS_PERIOD = 1.0
#: Seconds before a member whose stream failed (and is still a member) is dialled again.
RETRY_PAUSE = 0.5
#: Seconds a cluster watch waits for the members' streams before it says it is in place
#: (a member that does not answer by then is watched when it does).
CONNECT_WAIT = 3.0


def cluster_credential(admin_tokens: list[str], cluster: str) -> str | None:
    """The internal credential every arbiter of ``cluster`` derives from the same admin
    tokens (HMAC-SHA256, keyed by them); None without an admin token."""
    if not admin_tokens:
        return None
    key = "\n".join(sorted(admin_tokens)).encode()
    mac = hmac.new(key, f"actorgrpc internal credential/{cluster}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()).decode().rstrip("=")


async def owner_elsewhere(node: ClusterNode | None, target: str) -> str | None:
    """The host (its arbiter's address) that owns ``target`` if not this one."""
    if node is None or not target:
        return None
    entry = await node.lookup(target)
    host = entry.get("host") if entry else None
    return host if isinstance(host, str) and host and host != node.host else None


async def forward(node: ClusterNode, host: str, method: str, request: Message,
                  context: grpc.aio.ServicerContext[Any, Any]) -> Any:
    """``ArbiterService.<method>(request)`` on ``host``'s arbiter; its answer or error."""
    arbiter = node.arbiter
    security = arbiter.security.client()
    channel = open_channel(host, arbiter.max_message_bytes, security)
    try:
        call = getattr(arbiter_pb2_grpc.ArbiterServiceStub(channel), method)
        return await call(request, timeout=context.time_remaining() or DEFAULT_SEND_TIMEOUT,
                          metadata=security.metadata)
    except grpc.aio.AioRpcError as exc:
        raise error_from_rpc_error(exc) from None
    finally:
        await channel.close(grace=None)


async def relay_members(node: ClusterNode, request: arbiter_pb2.WatchActorsRequest,
                        subscription: Subscription, ready: asyncio.Event) -> None:
    """Put every other member's events into ``subscription`` until cancelled; ``ready``
    is set once the members of the first look watch (or failed to)."""
    streams: dict[tuple[str, int], asyncio.Task[None]] = {}
    try:
        while True:
            connected: list[asyncio.Event] = []
            with contextlib.suppress(Exception):  # etcd unreachable: look again later
                members = await node.entries("members")
                wanted = {(host, entry.get("_lease", 0)) for host, entry in members.items()
                          if host != node.host}
                for key in list(streams):
                    if key not in wanted:
                        streams.pop(key).cancel()  # left, or joined again with a new lease
                for key in wanted - set(streams):
                    connected.append(asyncio.Event())
                    streams[key] = asyncio.ensure_future(
                        _relay_one(node, key[0], request, subscription, connected[-1]))
            if not ready.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.gather(*(e.wait() for e in connected)),
                                           CONNECT_WAIT)
                ready.set()
            await asyncio.sleep(MEMBERS_PERIOD)
    finally:
        ready.set()
        for task in streams.values():
            task.cancel()
        await asyncio.gather(*streams.values(), return_exceptions=True)


async def _relay_one(node: ClusterNode, host: str, request: arbiter_pb2.WatchActorsRequest,
                     subscription: Subscription, connected: asyncio.Event) -> None:
    """One member's WatchActors, relayed; dialled again while it stays a member."""
    security = node.arbiter.security.client()
    asked = arbiter_pb2.WatchActorsRequest(name_prefix=request.name_prefix,
                                           include_existing=request.include_existing)
    while True:
        channel = open_channel(host, node.arbiter.max_message_bytes, security)
        try:
            call = arbiter_pb2_grpc.ArbiterServiceStub(channel).WatchActors(
                asked, metadata=security.metadata)
            await call.initial_metadata()  # its watch is in place
            connected.set()
            async for event in call:
                if not event.actor.host:
                    event.actor.host = host
                try:
                    subscription.queue.put_nowait(event)
                except asyncio.QueueFull:
                    subscription.overflowed = True  # the watcher is told, as for local events
                    return
        except grpc.aio.AioRpcError as exc:
            logger.info("cluster: watch of %s ended (%s)", host, exc.code().name)
        finally:
            connected.set()
            await channel.close(grace=None)
        # Not on a new stream: what it has was listed once already.
        asked.include_existing = False
        await asyncio.sleep(RETRY_PAUSE)
