"""The sending side of the data plane: one multiplexed, batched stream per address.

Every call becomes an Envelope on a long-lived ``MailboxService.Stream``; while one
frame is being written, new envelopes queue up and leave together in the next
frame, so under load many messages share one gRPC message, and a lone message
never waits. Replies are matched to calls by id.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import deque

import grpc

from . import errors
from .channels import insecure_channel
from .consts import DEFAULT_MAX_MESSAGE_BYTES
from .errors import ActorTimeout, ActorUnavailable, MessageTooLarge, error_from_status
from .v1 import mailbox_pb2, mailbox_pb2_grpc
from .values import from_value

__all__ = ["MailboxConnection", "NotDelivered", "ActorNotHosted"]

#: Most envelopes in one frame: bounds the latency a full frame adds.
MAX_BATCH = 1024
#: Room kept for the frame's own framing bytes.
_FRAME_OVERHEAD = 64
#: Seconds a new connection may take to reach READY before calls fail over.
CONNECT_TIMEOUT = 5.0
#: Failure.type the mailbox uses when the target aid is not hosted at that address.
NOT_HOSTED = "ActorNotHosted"


class NotDelivered(ActorUnavailable):
    """The connection could not be made: the message was never delivered."""


class ActorNotHosted(errors.ActorNotFound):
    """The address answered, but no longer hosts that actor; the command did not run."""


def failure_to_error(failure) -> errors.ActorError:
    """The exception for a ``Failure`` on a stream."""
    code = errors.code_from_number(failure.code)
    if failure.type == NOT_HOSTED:
        return ActorNotHosted(failure.message)
    return error_from_status(code, failure.message, failure.type)


class MailboxConnection:
    """A stream to the MailboxService at one address, shared by every caller of a loop."""

    def __init__(self, address: str, max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES):
        self.address = address
        self.max_message_bytes = max_message_bytes
        self._channel = insecure_channel(address, max_message_bytes)
        self._stub = mailbox_pb2_grpc.MailboxServiceStub(self._channel)
        self._ids = itertools.count(1)
        self._outbox: deque = deque()
        self._wakeup = asyncio.Event()
        self._pending: dict[int, asyncio.Future] = {}
        self._call = None
        self._tasks: list[asyncio.Task] = []
        self._ready: asyncio.Future | None = None
        self.closed = False

    # -- public ---------------------------------------------------------------

    async def call(self, target: str, action: str, args, kwargs, timeout: float,
                   *, envelope: mailbox_pb2.Envelope | None = None):
        """Run ``action`` on actor ``target`` at this address; return its result."""
        if envelope is None:
            envelope = make_envelope(target, action, args, kwargs, timeout)
        if self._ready is None or not self._ready.done() or self._ready.exception():
            await self._start(timeout)
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        call_id = next(self._ids)
        envelope.id = call_id
        self._enqueue(envelope)
        self._pending[call_id] = future
        timer = loop.call_later(timeout, _expire, future, action, timeout)
        try:
            return await future
        finally:
            timer.cancel()
            self._pending.pop(call_id, None)

    async def tell(self, target: str, action: str, args, kwargs):
        """Queue ``action`` for actor ``target`` without waiting for any reply."""
        envelope = make_envelope(target, action, args, kwargs, 0.0)
        envelope.tell = True
        if self._ready is None or not self._ready.done() or self._ready.exception():
            await self._start(CONNECT_TIMEOUT)
        self._enqueue(envelope)

    async def close(self) -> None:
        """Close the stream and channel; pending calls fail with UNAVAILABLE."""
        self.closed = True
        for task in self._tasks:
            task.cancel()
        self._fail_pending(ActorUnavailable(f"connection to {self.address} closed"))
        await self._channel.close(grace=None)

    # -- internals ------------------------------------------------------------

    def _enqueue(self, envelope) -> None:
        size = envelope.ByteSize()
        if size + _FRAME_OVERHEAD > self.max_message_bytes:
            raise MessageTooLarge(
                f"message of {size} bytes exceeds the maximum of "
                f"{self.max_message_bytes} bytes"
            )
        self._outbox.append((envelope, size))
        self._wakeup.set()

    async def _start(self, timeout: float) -> None:
        if self.closed:
            raise NotDelivered(f"connection to {self.address} is closed")
        if self._ready is None or (self._ready.done() and self._ready.exception()):
            self._ready = asyncio.ensure_future(self._connect())
        try:
            await asyncio.wait_for(asyncio.shield(self._ready), min(timeout, CONNECT_TIMEOUT))
        except asyncio.TimeoutError:
            raise NotDelivered(f"could not connect to {self.address}") from None

    async def _connect(self) -> None:
        channel = self._channel
        state = channel.get_state(try_to_connect=True)
        while state != grpc.ChannelConnectivity.READY:
            if state in (grpc.ChannelConnectivity.TRANSIENT_FAILURE,
                         grpc.ChannelConnectivity.SHUTDOWN):
                self.closed = True
                raise NotDelivered(f"actor mailbox at {self.address} is unreachable")
            await channel.wait_for_state_change(state)
            state = channel.get_state(try_to_connect=True)
        self._call = self._stub.Stream()
        self._tasks = [
            asyncio.ensure_future(self._write_loop(self._call)),
            asyncio.ensure_future(self._read_loop(self._call)),
        ]

    async def _write_loop(self, call) -> None:
        outbox = self._outbox
        limit = self.max_message_bytes - _FRAME_OVERHEAD
        try:
            while True:
                if not outbox:
                    self._wakeup.clear()
                    await self._wakeup.wait()
                    continue
                batch = []
                size = 0
                while outbox and len(batch) < MAX_BATCH:
                    envelope, envelope_size = outbox[0]
                    if batch and size + envelope_size > limit:
                        break
                    outbox.popleft()
                    batch.append(envelope)
                    size += envelope_size + 8
                await call.write(mailbox_pb2.StreamRequest(envelopes=batch))
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the stream broke: the reader reports it
            self._broken(exc)

    async def _read_loop(self, call) -> None:
        pending = self._pending
        try:
            while True:
                response = await call.read()
                if response is grpc.aio.EOF:
                    break
                for reply in response.replies:
                    future = pending.get(reply.id)
                    if future is None or future.done():
                        continue
                    if reply.HasField("failure"):
                        future.set_exception(failure_to_error(reply.failure))
                    else:
                        future.set_result(from_value(reply.result))
            self._broken(None)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self._broken(exc)

    def _broken(self, exc) -> None:
        if self.closed:
            return
        self.closed = True
        detail = ""
        if isinstance(exc, grpc.aio.AioRpcError):
            detail = f": {exc.code().name} {exc.details()}"
        elif exc is not None:
            detail = f": {exc!r}"
        self._fail_pending(ActorUnavailable(
            f"the connection to the actor at {self.address} was lost while the call "
            f"was pending (the actor may have died){detail}"
        ))
        for task in self._tasks:
            if task is not asyncio.current_task():
                task.cancel()
        asyncio.ensure_future(self._channel.close(grace=None))

    def _fail_pending(self, error: Exception) -> None:
        for future in self._pending.values():
            if not future.done():
                future.set_exception(error)
        self._pending.clear()
        self._outbox.clear()


def _expire(future: asyncio.Future, action: str, timeout: float) -> None:
    if not future.done():
        future.set_exception(ActorTimeout(f"{action!r} did not answer within {timeout:g} s"))


def make_envelope(target, action, args, kwargs, timeout) -> mailbox_pb2.Envelope:
    """An Envelope with JSON-shaped arguments (InvalidArgument if they are not)."""
    from .values import fill_args, fill_kwargs

    envelope = mailbox_pb2.Envelope(target=target, action=action,
                                    timeout_seconds=timeout)
    if args:
        fill_args(envelope.args, args)
    if kwargs:
        fill_kwargs(envelope.kwargs, kwargs)
    return envelope
