"""The structural types of the actor side: what an Actor needs of its runtime, and
the shapes the mailbox and heartbeat code read from gRPC.

Types only (nothing here runs): ``Concurrency`` (actorgrpc.actor.runtime) and its
subclasses satisfy ``Runtime``; annotations name the protocol so that a test double,
or a concurrency of another kind, needs no base class.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias, TypeVar

if TYPE_CHECKING:
    import grpc.aio

    from actorgrpc.actor.core import Actor
    from actorgrpc.client.routing import Router
    from actorgrpc.contract.frame_reader import BadEnvelope, MalformedFrame
    from actorgrpc.contract.proxy import ActorProxy
    from actorgrpc.v1 import mailbox_pb2, monitor_pb2

__all__ = ["Runtime", "Hook", "SpawnPayload", "Frame", "CallContext", "MailboxStreamContext",
           "MonitorStub", "HeartbeatCall"]

_T = TypeVar("_T")

#: A start, stopping or periodic_task hook: ``hook(actor)``, its result awaited when it
#: is awaitable (and otherwise ignored).
Hook: TypeAlias = "Callable[[Actor], object]"

#: A spawn specification as an actor process reads it (JSON written by the arbiter's
#: actorgrpc.supervisor.launchers.payload): the settings every actor shares, plus
#: those of one actor once it is assigned.
SpawnPayload: TypeAlias = "dict[str, Any]"

#: What one read of the mailbox stream gives (read_frame, the Stream handler's
#: request_deserializer): the envelopes of a frame, each parsed or a BadEnvelope
#: stand-in, or a MalformedFrame when the frame is not a list of envelopes at all.
Frame: TypeAlias = "Sequence[mailbox_pb2.Envelope | BadEnvelope] | MalformedFrame"

#: The servicer context of MailboxService.Call.
CallContext: TypeAlias = (
    "grpc.aio.ServicerContext[mailbox_pb2.CallRequest, mailbox_pb2.CallResponse]")


class Runtime(Protocol):
    """How an actor reaches the world from the process that hosts it (pulsar's
    Concurrency): a Router to send, a way to spawn, the host loop of gRPC objects."""

    #: "process", "thread", "monitor" or "arbiter".
    kind: str
    router: Router
    host_loop: asyncio.AbstractEventLoop
    #: The thread of ``host_loop``.
    host_thread: int

    async def on_host(self, start: Callable[[], Awaitable[_T]]) -> _T:
        """Await ``start()`` on the host loop (inline when called from it)."""
        ...

    async def spawn(self, **params: Any) -> ActorProxy:
        """Spawn an actor; its proxy once it runs."""
        ...

    async def on_state_change(self, actor: Actor) -> None:
        """Called on the actor's loop when its state changes outside boot."""
        ...


class MailboxStreamContext(Protocol):
    """The servicer context of MailboxService.Stream, as the stream session uses it:
    frames in (already parsed by read_frame), encoded reply frames out."""

    async def read(self) -> Frame | grpc.aio._EOF:
        """The next frame, or ``grpc.aio.EOF`` once the client closed its side."""
        ...

    async def write(self, message: bytes) -> None:
        """Write one encoded StreamResponse."""
        ...


class HeartbeatCall(Protocol):
    """The actor's end of MonitorService.Heartbeat (a grpc.aio stream-stream call)."""

    async def read(self) -> monitor_pb2.HeartbeatResponse | grpc.aio._EOF: ...

    async def write(self, request: monitor_pb2.HeartbeatRequest) -> None: ...

    async def done_writing(self) -> None: ...


class MonitorStub(Protocol):
    """``monitor_pb2_grpc.MonitorServiceStub`` as an actor uses it, typed (the
    generated ``*_pb2_grpc`` modules have no stubs)."""

    def Heartbeat(self, *, metadata: Sequence[tuple[str, str]]) -> HeartbeatCall: ...
