"""The actor's side of MonitorService.Heartbeat: hello, beats, stop orders."""

from __future__ import annotations

import asyncio
import logging
import os
import platform
from collections.abc import Iterable
from typing import TYPE_CHECKING

import grpc

from actorgrpc.actor import system_info
from actorgrpc.contract.enums import kind_to_wire, state_to_wire
from actorgrpc.contract.errors import STREAM_ERRORS, fill_failure
from actorgrpc.v1 import monitor_pb2, monitor_pb2_grpc

if TYPE_CHECKING:
    from actorgrpc.actor.core import Actor
    from actorgrpc.actor.protocols import HeartbeatCall, MonitorStub

logger = logging.getLogger("actorgrpc.actor.heartbeat")


#: What runs the actor, as its hello tells operators.
RUNTIME = f"python {platform.python_version()}"

#: Seconds from the welcome to the first regular beat.
FIRST_BEAT_DELAY = 0.1


class MonitorLost(Exception):
    """The stream to the monitor broke: the arbiter is gone."""


class HeartbeatStream:
    """One actor's life line to its monitor."""

    def __init__(self, actor: Actor | None, channel: grpc.aio.Channel,
                 metadata: Iterable[tuple[str, str]] = ()) -> None:
        #: The actor (None until it is known, for a pre-opened stream: set it before hello).
        self.actor = actor
        #: Call metadata: the arbiter's internal credential.
        self.metadata = tuple(metadata)
        self.stub: MonitorStub = monitor_pb2_grpc.MonitorServiceStub(channel)
        #: The Heartbeat call, once opened (preopen, or hello).
        self.call: HeartbeatCall | None = None
        self.interval = 1.0
        self.lost = asyncio.Event()
        self._write_lock = asyncio.Lock()
        self._tasks: list[asyncio.Task[None]] = []
        self._closing = False

    def preopen(self) -> None:
        """Start the RPC now (a standby process does it before it knows its actor):
        the stream is set up while nothing waits for it."""
        self.call = self.stub.Heartbeat(metadata=self.metadata)

    async def hello(self, secret: str, welcome_timeout: float,
                    with_beat: bool = False) -> None:
        """Say hello (with the actor's state and load when ``with_beat``).

        The welcome is awaited in the background: the actor boots meanwhile, so a
        spawn costs no extra round trip to the monitor; an actor that is not
        welcomed within ``welcome_timeout`` seconds stops itself.
        """
        actor = self._assigned_actor()
        if self.call is None:
            self.call = self.stub.Heartbeat(metadata=self.metadata)
        hello = monitor_pb2.Hello(aid=actor.aid, name=actor.name, pid=os.getpid(),
                                  address=actor.address, kind=kind_to_wire(actor.kind),
                                  secret=secret, runtime=RUNTIME,
                                  beat=self._beat_message(with_load=False) if with_beat
                                  else None)
        await self._write(monitor_pb2.HeartbeatRequest(hello=hello))
        self._tasks = [asyncio.ensure_future(self._read_orders(welcome_timeout))]

    async def beat(self) -> None:
        """Send state and load now."""
        await self._write(monitor_pb2.HeartbeatRequest(beat=self._beat_message()))

    def _beat_message(self, with_load: bool = True) -> monitor_pb2.Beat:
        actor = self._assigned_actor()
        # Measuring the load costs a millisecond in a new process: the hello of a
        # spawn leaves it to the first regular beat.
        rss, cpu = system_info.load() if with_load else (0, 0.0)
        return monitor_pb2.Beat(state=state_to_wire(actor.state), memory_rss_bytes=rss,
                                cpu_percent=cpu,
                                mailbox_depth=actor.mailbox_depth, processed=actor.processed,
                                processed_by_action=actor.processed_by_action)

    async def fail(self, exc: BaseException) -> None:
        """Report a failed start, then close our side."""
        request = monitor_pb2.HeartbeatRequest()
        fill_failure(request.failure, exc)
        try:
            await self._write(request)
            await self._open_call().done_writing()
        except STREAM_ERRORS as exc:  # the monitor is gone: it sees the process exit
            logger.debug("%s: could not report its failed start: %s", self.actor, exc)

    async def close(self) -> None:
        """A last beat with the final state, then close our side."""
        self._closing = True
        # Only the beater is cancelled: cancelling a task blocked in call.read()
        # would cancel the whole RPC and lose the final beat.
        for task in self._tasks[1:]:
            task.cancel()
        try:
            await self.beat()
            await self._open_call().done_writing()
        except STREAM_ERRORS as exc:  # the monitor is gone: it sees the process exit
            logger.debug("%s: no last beat: %s", self.actor, exc)

    async def _write(self, request: monitor_pb2.HeartbeatRequest) -> None:
        async with self._write_lock:
            await self._open_call().write(request)

    def _assigned_actor(self) -> Actor:
        if self.actor is None:
            raise RuntimeError("a pre-opened heartbeat stream speaks once its actor is set")
        return self.actor

    def _open_call(self) -> HeartbeatCall:
        if self.call is None:
            raise RuntimeError("the heartbeat stream is not open yet: hello() opens it")
        return self.call

    async def _beat_forever(self) -> None:
        try:
            # The first beat brings the load figures that the hello of a spawn left
            # out: soon enough for an operator's first look, late enough not to
            # compete with the first messages a new actor gets.
            await asyncio.sleep(min(self.interval, FIRST_BEAT_DELAY))
            while True:
                await self.beat()
                await asyncio.sleep(self.interval)
        except asyncio.CancelledError:
            raise
        except STREAM_ERRORS:
            self._on_lost()

    async def _read_orders(self, welcome_timeout: float) -> None:
        call, actor = self._open_call(), self._assigned_actor()
        try:
            async with asyncio.timeout(welcome_timeout):
                response = await call.read()
            # A HeartbeatResponse, or grpc.aio.EOF once the monitor closed the stream.
            if not isinstance(response, monitor_pb2.HeartbeatResponse) \
                    or response.WhichOneof("message") != "welcome":
                raise MonitorLost("the monitor did not welcome this actor")
            self.interval = response.welcome.heartbeat_interval_seconds or 1.0
            self._tasks.append(asyncio.ensure_future(self._beat_forever()))
            while True:
                response = await call.read()
                if not isinstance(response, monitor_pb2.HeartbeatResponse):
                    break  # grpc.aio.EOF
                if response.WhichOneof("message") == "stop":
                    actor.stop_soon(f"ordered by its monitor: {response.stop.reason}")
        except asyncio.CancelledError:
            raise
        except (*STREAM_ERRORS, MonitorLost, TimeoutError) as exc:
            if not self._closing and not self.lost.is_set():
                logger.warning("%s: heartbeat stream to its monitor failed: %s", self.actor, exc)
        self._on_lost()

    def _on_lost(self) -> None:
        if not self._closing and not self.lost.is_set():
            logger.warning("%s: lost the stream to its monitor; stopping", self.actor)
            self.lost.set()
