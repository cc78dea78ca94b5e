"""The arbiter's gRPC services: ArbiterService (control plane) and MonitorService."""

from __future__ import annotations

import asyncio
import logging
import math
import os
import time
from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING, Any, TypeAlias

import grpc

from actorgrpc.contract.consts import (
    ACTOR_STATES,
    DEFAULT_SEND_TIMEOUT,
    MAX_RESTART_WAIT,
    OWN_PROCESS_KINDS,
)
from actorgrpc.contract.enums import state_from_wire
from actorgrpc.contract.errors import (
    ActorNotFound,
    ActorUnavailable,
    InvalidArgument,
    PermissionDenied,
    ResourceExhausted,
    shown,
    status_of,
)
from actorgrpc.contract.proxy import ActorProxy
from actorgrpc.contract.spawn_spec import SpawnSpec
from actorgrpc.contract.values import from_list, from_struct, to_struct, to_value
from actorgrpc.supervisor import log_files
from actorgrpc.supervisor.cluster_remote import forward, owner_elsewhere, relay_members
from actorgrpc.supervisor.events import EXISTING
from actorgrpc.supervisor.monitor import Monitor
from actorgrpc.supervisor.page_tokens import PageQuery
from actorgrpc.supervisor.record import ActorRecord, Load, StopOrder
from actorgrpc.supervisor.summaries import summary_of, timestamp
from actorgrpc.transport.boundary import Context, MalformedRequest
from actorgrpc.v1 import actor_pb2, arbiter_pb2, arbiter_pb2_grpc, monitor_pb2, monitor_pb2_grpc

if TYPE_CHECKING:
    from actorgrpc.actor.core import Actor
    from actorgrpc.client.routing import Router
    from actorgrpc.supervisor.arbiter import Arbiter
    from actorgrpc.supervisor.cluster_routing import RemoteActor

    #: An actor the arbiter knows of: its record, a local actor, another host's.
    KnownActor: TypeAlias = ActorRecord | Actor | RemoteActor
    #: The contexts of the streams (unary calls use boundary.Context): what they
    #: read and write is checked. A heartbeat stream reads, besides its requests, a
    #: MalformedRequest for bytes that did not parse, and EOF at its end.
    WatchContext: TypeAlias = grpc.aio.ServicerContext[arbiter_pb2.WatchActorsRequest,
                                                       arbiter_pb2.WatchActorsResponse]
    LogsContext: TypeAlias = grpc.aio.ServicerContext[arbiter_pb2.LogsRequest,
                                                      arbiter_pb2.LogsResponse]
    HeartbeatContext: TypeAlias = grpc.aio.ServicerContext[
        monitor_pb2.HeartbeatRequest | MalformedRequest | grpc.aio._EOF,
        monitor_pb2.HeartbeatResponse]

logger = logging.getLogger("actorgrpc.supervisor.services")

#: Most actions of one actor's heartbeat tally kept (the busiest; the rest "other").
MAX_BEAT_ACTIONS = 100
#: Characters of an action name kept from a heartbeat.
MAX_ACTION_NAME = 200
#: Most CPU an actor may report, in percent of one CPU: all of this machine's.
MAX_CPU_PERCENT = 100.0 * (os.cpu_count() or 1)
#: Seconds a watcher may leave an event unread (its flow-control window full).
WATCH_WRITE_TIMEOUT = 30.0


def _timeout(request: arbiter_pb2.SendRequest, context: Context) -> float:
    if not math.isfinite(request.timeout_seconds) or request.timeout_seconds < 0:
        raise InvalidArgument("timeout_seconds must be a finite number of seconds >= 0 "
                              "(0: the call's deadline, else the default)")
    return request.timeout_seconds or context.time_remaining() or DEFAULT_SEND_TIMEOUT


class ArbiterServicer(arbiter_pb2_grpc.ArbiterServiceServicer):
    """ArbiterService: what any client uses to drive actors."""

    #: The arbiter's router: given once the server is bound, before it starts (no
    #: call arrives earlier), so that a Send finds it without a check.
    router: Router

    def __init__(self, arbiter: Arbiter) -> None:
        self.arbiter = arbiter

    async def Spawn(self, request: arbiter_pb2.SpawnRequest,
                    context: Context) -> arbiter_pb2.SpawnResponse:
        self._refuse_if_stopping()
        spec = SpawnSpec.from_request(request)
        proxy = await self.arbiter.spawn(_spec=spec)
        return arbiter_pb2.SpawnResponse(actor=proxy.to_ref())

    async def Send(self, request: arbiter_pb2.SendRequest,
                   context: Context) -> arbiter_pb2.SendResponse:
        started = time.perf_counter()
        code = "OK"
        try:
            return await self._send(request, context)
        except Exception as exc:
            code = status_of(exc)[0].name
            raise
        finally:
            # Metrics (send latency histogram): each observer is told of every call.
            for observer in self.arbiter.send_observers:
                try:
                    observer(request.action, time.perf_counter() - started, code)
                except Exception:
                    logger.exception("send observer failed")

    async def _send(self, request: arbiter_pb2.SendRequest,
                    context: Context) -> arbiter_pb2.SendResponse:
        if not request.target:
            raise InvalidArgument("target is required")
        if not request.action:
            raise InvalidArgument("action is required")
        timeout = _timeout(request, context)
        self._refuse_if_stopping()
        deadline = time.monotonic() + timeout
        # A target being restarted is waited for within the call's timeout.
        proxy = await self._proxy(request.target, min(timeout, MAX_RESTART_WAIT))
        try:
            result = await self.router.send(
                proxy, request.action, from_list(request.args), from_struct(request.kwargs),
                timeout=max(deadline - time.monotonic(), 0.001))
        except ActorNotFound:
            # The actor went away between lookup and delivery because we are stopping.
            self._refuse_if_stopping()
            raise
        return arbiter_pb2.SendResponse(result=to_value(result, "result"))

    async def WatchActors(self, request: arbiter_pb2.WatchActorsRequest,
                          context: WatchContext) -> None:
        bus = self.arbiter.events
        subscription = bus.subscribe()
        cluster = self.arbiter.cluster
        relay: asyncio.Future[None] | None = None
        try:
            if request.cluster and cluster is not None:
                # The other hosts' events, into the same queue (they carry their host).
                ready = asyncio.Event()
                relay = asyncio.ensure_future(relay_members(cluster, request, subscription,
                                                            ready))
                await ready.wait()  # the members' watches are in place (or timed out)
            # Headers now, not with the first event: the client knows that the watch is
            # in place (wait_for_connection returns) before anything happens.
            await context.send_initial_metadata(())
            if request.include_existing:
                registry = self.arbiter.registry
                for record in sorted(registry.live.values(), key=lambda r: r.name):
                    if record.name.startswith(request.name_prefix):
                        await context.write(arbiter_pb2.WatchActorsResponse(
                            type=EXISTING, actor=self._hosted(summary_of(record)),
                            time=timestamp(time.time())))
            while True:
                # Checked before waiting: an overflowed subscription gets no more
                # events, so waiting for the next one would wait forever.
                if subscription.overflowed:
                    raise ResourceExhausted("watcher too slow: events were dropped; watch "
                                            "again (include_existing) to catch up")
                event = await subscription.queue.get()
                if event.actor.actor.name.startswith(request.name_prefix):
                    event = self._hosted_event(event)
                    # A client that reads nothing holds the write (flow control): after
                    # WATCH_WRITE_TIMEOUT it is cut off (DEADLINE_EXCEEDED is its own).
                    async with asyncio.timeout(WATCH_WRITE_TIMEOUT):
                        await context.write(event)
        finally:
            if relay is not None:
                relay.cancel()
                await asyncio.gather(relay, return_exceptions=True)
            bus.unsubscribe(subscription)

    def _hosted_event(self, event: arbiter_pb2.WatchActorsResponse
                      ) -> arbiter_pb2.WatchActorsResponse:
        """In a cluster, an event of this host's bus (shared by every watcher: copied)
        with this host's name."""
        if self.arbiter.cluster is None or event.actor.host:
            return event
        hosted = arbiter_pb2.WatchActorsResponse()
        hosted.CopyFrom(event)
        hosted.actor.host = self.arbiter.cluster.host
        return hosted

    async def Logs(self, request: arbiter_pb2.LogsRequest, context: LogsContext) -> None:
        found = self.arbiter.registry.find_any(request.target)
        if not isinstance(found, ActorRecord) or found.kind not in OWN_PROCESS_KINDS \
                or found.log_path is None:  # (a record of the arbiter's always has one)
            raise InvalidArgument(f"{shown(request.target)} has no output of its own (not an "
                                  "actor with a process of its own)")
        count = 100 if request.tail_lines == 0 else max(request.tail_lines, 0)
        # One position splits the tail from what follows: no line is lost or doubled.
        end = log_files.size_of(found.log_path)
        lines = log_files.tail(found.log_path, count, end)
        if lines:
            await context.write(arbiter_pb2.LogsResponse(lines=lines))
        if request.follow:
            async for batch in log_files.follow(found.log_path, found.is_alive, end):
                await context.write(arbiter_pb2.LogsResponse(lines=batch))

    def _refuse_if_stopping(self) -> None:
        if self.arbiter.after_run():
            raise ActorUnavailable("the arbiter is shutting down")

    async def Info(self, request: arbiter_pb2.InfoRequest,
                   context: Context) -> arbiter_pb2.InfoResponse:
        registry = self.arbiter.registry
        if request.target not in registry.names and request.target not in registry.live \
                and request.target not in registry.local:
            cluster = self.arbiter.cluster
            owner = await owner_elsewhere(cluster, request.target)
            if owner is not None and cluster is not None:  # its own arbiter answers
                forwarded: arbiter_pb2.InfoResponse = await forward(
                    cluster, owner, "Info", request, context)
                return forwarded
        info: dict[str, Any]
        if not request.target or request.target == self.arbiter.aid:
            info = self.arbiter.info()
        elif request.target not in registry.names and request.target not in registry.live \
                and request.target not in registry.local:
            # Not live: the crash report of its most recent incarnation, if any.
            record = registry.find_exited(request.target)
            report = record.summary_dict()
            info = {"actor": {"aid": record.aid, "name": record.name, "kind": report["kind"],
                              "pid": record.pid, "state": record.state,
                              "address": record.address, "restarts": record.restarts,
                              "exit_code": record.exit_code},
                    "crash_report": report["crash_report"]}
        else:
            info = await self.router.send(await self._proxy(request.target), "info",
                                          timeout=context.time_remaining()
                                          or DEFAULT_SEND_TIMEOUT)
            found = self.arbiter.registry.live.get(
                self.arbiter.registry.names.get(request.target, request.target))
            if isinstance(found, ActorRecord):
                info["supervision"] = found.summary_dict()
        return arbiter_pb2.InfoResponse(info=to_struct(info, "info"))

    async def Stop(self, request: arbiter_pb2.StopRequest,
                   context: Context) -> arbiter_pb2.StopResponse:
        if not request.target:
            raise InvalidArgument("target is required")
        try:
            found = self.arbiter.registry.find(request.target)
        except ActorNotFound:
            cluster = self.arbiter.cluster
            owner = await owner_elsewhere(cluster, request.target)
            if owner is None or cluster is None:
                raise
            # Another host's actor: its own arbiter stops it (and frees its name).
            forwarded: arbiter_pb2.StopResponse = await forward(
                cluster, owner, "Stop", request, context)
            return forwarded
        if isinstance(found, ActorRecord):
            exit_code = await found.stop("stopped by a client")
            return arbiter_pb2.StopResponse(actor=found.proxy.to_ref(), exit_code=exit_code or 0)
        if isinstance(found, Monitor):
            await found.stop_workers()
            await found.stop()
            self.arbiter.remove_monitor(found)
            return arbiter_pb2.StopResponse(actor=found.proxy.to_ref())
        # The arbiter itself: answer first, then stop.
        self.arbiter.stop_soon("Stop RPC")
        return arbiter_pb2.StopResponse(actor=found.proxy.to_ref())

    async def ListActors(self, request: arbiter_pb2.ListActorsRequest,
                         context: Context) -> arbiter_pb2.ListActorsResponse:
        registry = self.arbiter.registry
        query = PageQuery.of(request)
        candidates: list[KnownActor] = [*registry.local.values(), *registry.live.values()]
        if request.cluster and self.arbiter.cluster is not None:
            from actorgrpc.supervisor.cluster_routing import remote_actors

            candidates += await remote_actors(self.arbiter.cluster)
        if request.include_exited:
            candidates += list(registry.exited.values())
        page, token = query.page(candidates, self._monitor_name)
        return arbiter_pb2.ListActorsResponse(actors=[self._hosted(summary_of(r)) for r in page],
                                              next_page_token=token)

    def _monitor_name(self, item: KnownActor) -> str:
        if isinstance(item, ActorRecord):
            return item.monitor.name if item.monitor else self.arbiter.name
        name: str = getattr(item, "monitor_name", "arbiter")  # another host's: none
        return name

    async def GetActor(self, request: arbiter_pb2.GetActorRequest,
                       context: Context) -> arbiter_pb2.GetActorResponse:
        if not request.target:
            raise InvalidArgument("target is required")
        wait = request.wait_seconds
        if not math.isfinite(wait) or wait < 0:
            raise InvalidArgument("wait_seconds must be a finite number of seconds >= 0")
        if wait > 0:
            # Never past the caller's own deadline.
            wait = min(wait, context.time_remaining() or wait, MAX_RESTART_WAIT)
        found = await self.arbiter.find_running(request.target, max(wait, 0.0))
        return arbiter_pb2.GetActorResponse(actor=self._hosted(summary_of(found)))

    def _hosted(self, summary: actor_pb2.ActorSummary) -> actor_pb2.ActorSummary:
        """In a cluster, a summary without a host is of an actor of this host."""
        cluster = self.arbiter.cluster
        if cluster is not None and not summary.host:
            summary.host = cluster.host
        return summary

    async def _proxy(self, target: str, wait: float = 0.0) -> ActorProxy:
        """The proxy to send to; a target starting or being restarted is waited for."""
        found = await self.arbiter.find_running(target, wait)
        if isinstance(found, ActorRecord) and found.state != ACTOR_STATES.RUN:
            if found.state < ACTOR_STATES.RUN:
                raise ActorNotFound(f"actor {shown(target)} is still starting")
        proxy: ActorProxy = found.proxy  # (a local actor's is not annotated: Any)
        return proxy


class MonitorServicer(monitor_pb2_grpc.MonitorServiceServicer):
    """MonitorService: the arbiter's end of every actor's heartbeat stream."""

    def __init__(self, arbiter: Arbiter) -> None:
        self.arbiter = arbiter

    async def Heartbeat(self, request_iterator: AsyncIterator[monitor_pb2.HeartbeatRequest],
                        context: HeartbeatContext) -> None:
        first = await context.read()
        if not isinstance(first, monitor_pb2.HeartbeatRequest) \
                or first.WhichOneof("message") != "hello":
            if first is grpc.aio.EOF:
                return
            raise InvalidArgument("the first message of a heartbeat stream must be a hello")
        hello = first.hello
        record = self.arbiter.registry.live.get(hello.aid)
        # One answer for every refusal (unknown aid, a thread actor, a stream already
        # attached, a wrong secret): a stranger learns nothing from which it was.
        if not isinstance(record, ActorRecord) or not record.accepts_hello(hello.secret):
            raise PermissionDenied("hello refused: no actor awaits a hello with this aid and "
                                   "secret")
        record.on_hello(hello.address, hello.pid)
        if hello.HasField("beat"):
            record.on_beat(*_beat_of(hello.beat))
        await context.write(monitor_pb2.HeartbeatResponse(welcome=monitor_pb2.Welcome(
            heartbeat_interval_seconds=self.arbiter.heartbeat_interval)))
        orders = asyncio.ensure_future(self._send_orders(record, context))
        try:
            while True:
                message = await context.read()
                if not isinstance(message, monitor_pb2.HeartbeatRequest):
                    if isinstance(message, MalformedRequest):
                        # Not a message of ours: this actor's client is broken, or is not
                        # the actor. Either way it cannot be supervised through this stream.
                        raise InvalidArgument(message.description)
                    break  # grpc.aio.EOF: the stream ended
                kind = message.WhichOneof("message")
                if kind == "beat":
                    record.on_beat(*_beat_of(message.beat))
                elif kind == "failure":
                    record.on_failure(message.failure.message, message.failure.type)
        except (asyncio.CancelledError, grpc.aio.AioRpcError):
            pass
        finally:
            orders.cancel()
            self.arbiter.endings.on_stream_closed(record)

    async def _send_orders(self, record: ActorRecord, context: HeartbeatContext) -> None:
        while True:
            order: StopOrder = await record.orders.get()
            await context.write(monitor_pb2.HeartbeatResponse(stop=monitor_pb2.StopOrder(
                reason=order.reason, timeout_seconds=order.timeout)))


def _beat_of(beat: monitor_pb2.Beat) -> tuple[int | None, Load]:
    """A Beat as (pulsar state or None, Load)."""
    return state_from_wire(beat.state), Load(
        memory_rss_bytes=beat.memory_rss_bytes, cpu_percent=_bounded_cpu(beat.cpu_percent),
        mailbox_depth=beat.mailbox_depth, processed=beat.processed,
        processed_by_action=_bounded_tally(beat.processed_by_action))


def _bounded_cpu(percent: float) -> float:
    """An actor's CPU as it reported it, within [0, MAX_CPU_PERCENT]: it is summed into
    its host's load (cluster placement) and shown, and an actor (any program that
    speaks the protocol) may report NaN, infinities or anything else."""
    return min(max(percent, 0.0), MAX_CPU_PERCENT) if math.isfinite(percent) else 0.0


def _bounded_tally(by_action: Mapping[str, int]) -> dict[str, int]:
    """An actor's per-action tally, bounded: it becomes metric labels, and an actor
    (a Go or Node program among them) may report anything."""
    if len(by_action) <= MAX_BEAT_ACTIONS:
        return dict(by_action)
    names = sorted(by_action, key=by_action.__getitem__, reverse=True)[:MAX_BEAT_ACTIONS - 1]
    tally = {name[:MAX_ACTION_NAME]: by_action[name] for name in names}
    tally["other"] = sum(by_action.values()) - sum(tally.values())
    return tally
