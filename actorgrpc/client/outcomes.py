"""A call on a mailbox stream, apart from the stream itself: its encoding and size
check, the deadlines of the calls pending, and the errors it may end with (never
delivered, not hosted, the stream lost, a Failure on the wire).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import grpc

from actorgrpc.contract import errors
from actorgrpc.contract.errors import (
    ActorUnavailable,
    InvalidArgument,
    MessageTooLarge,
    error_from_status,
)
from actorgrpc.contract.values import _problem
from actorgrpc.contract.wire import (
    ENVELOPE_OVERHEAD,
    NotJson,
    envelope_json_entry,
    json_bytes,
    utf8_len,
)
from actorgrpc.v1 import actor_pb2

#: Failure.type the mailbox uses when the target aid is not hosted at that address.
NOT_HOSTED = "ActorNotHosted"


class NotDelivered(ActorUnavailable):
    """The connection could not be made: the message was never delivered."""


class ActorNotHosted(errors.ActorNotFound):
    """The address answered, but no longer hosts that actor; the command did not run.

    Raised by the receiving mailbox (and sent on the wire with Failure.type
    NOT_HOSTED): the only NOT_FOUND after which a sender may safely try again.
    """

    def __init__(self, message: str, *, remote_type: str = NOT_HOSTED):
        super().__init__(message, remote_type=remote_type)


class Deadlines:
    """The deadlines of pending calls, oldest first: calls with the same timeout
    expire in the order they were made, so one queue and one timer serve them all;
    a call with a shorter timeout than those queued gets a timer of its own.

    Parallel deques of plain values rather than a tuple per call: with tens of
    thousands of calls in flight, every long-lived object is one more for the
    garbage collector to walk.
    """

    __slots__ = ("at", "ids", "actions", "timeouts", "expire", "sweeper")

    def __init__(self, expire: Callable[[int, str, float], None]) -> None:
        self.at: deque[float] = deque()
        self.ids: deque[int] = deque()
        self.actions: deque[str] = deque()
        self.timeouts: deque[float] = deque()
        #: Called with (call id, action, timeout) when a call's time is up.
        self.expire = expire
        self.sweeper: asyncio.TimerHandle | None = None

    def track(self, loop: asyncio.AbstractEventLoop, call_id: int, action: str,
              timeout: float) -> None:
        deadline = loop.time() + timeout
        at = self.at
        if at and deadline < at[-1]:
            loop.call_at(deadline, self.expire, call_id, action, timeout)
            return
        at.append(deadline)
        self.ids.append(call_id)
        self.actions.append(action)
        self.timeouts.append(timeout)
        if self.sweeper is None:
            self.sweeper = loop.call_at(deadline, self._sweep)

    def _sweep(self) -> None:
        self.sweeper = None
        loop = asyncio.get_running_loop()
        now = loop.time()
        while self.at and self.at[0] <= now:
            self.at.popleft()
            self.expire(self.ids.popleft(), self.actions.popleft(), self.timeouts.popleft())
        if self.at:
            self.sweeper = loop.call_at(self.at[0], self._sweep)

    def drop_oldest(self) -> None:
        """Forget the oldest (its call was answered)."""
        self.at.popleft()
        self.ids.popleft()
        self.actions.popleft()
        self.timeouts.popleft()

    def clear(self) -> None:
        for queue in (self.at, self.ids, self.actions, self.timeouts):
            queue.clear()
        if self.sweeper is not None:
            self.sweeper.cancel()
            self.sweeper = None


def encode_call(call_id: int, target: str, action: str, args: Sequence[Any],
                kwargs: Mapping[str, Any] | None, timeout: float, tell: bool, limit: int,
                max_message_bytes: int) -> tuple[bytes | None, bytes]:
    """(entry, part) of a call: with keyword arguments, its whole Envelope entry;
    without, None and the JSON array of its arguments (which may join a batch).
    Raises InvalidArgument (not JSON-shaped) or MessageTooLarge (over ``limit``)."""
    entry, part = None, b""
    try:
        if kwargs:
            entry = envelope_json_entry(call_id, target, action, args, kwargs, timeout, tell)
            size = len(entry)
        else:
            part = json_bytes(args) if args else b"[]"
            # The same bound whether the call goes alone or joins a batch, so whether
            # it is refused never depends on what else is in flight. A character is
            # at most 4 bytes of UTF-8: counted exactly only near the limit.
            size = len(part) + ENVELOPE_OVERHEAD
            if size + 4 * (len(target) + len(action)) > limit:
                size += utf8_len(target) + utf8_len(action)
    except NotJson:
        problem = _problem(list(args), "args") if args else None
        raise InvalidArgument(problem or _problem(kwargs, "kwargs")
                              or "arguments: not JSON-shaped") from None
    if size > limit:
        raise MessageTooLarge(f"message of {size} bytes exceeds the maximum of "
                              f"{max_message_bytes} bytes")
    return entry, part


def give_up(waiter: asyncio.Future[Any], error: Exception) -> None:
    if not waiter.done():
        waiter.set_exception(error)


#: Statuses that end a stream because of the caller, not because the actor died: its
#: calls fail with that status (a missing token, a refused role, ...).
REFUSALS = frozenset({grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED,
                       grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.RESOURCE_EXHAUSTED})


def stream_error(address: str, exc: BaseException | None) -> errors.ActorError:
    """What the calls pending on a stream that ended with ``exc`` fail with."""
    if isinstance(exc, grpc.aio.AioRpcError) and exc.code() in REFUSALS:
        return errors.error_from_rpc_error(exc)
    detail = ""
    if isinstance(exc, grpc.aio.AioRpcError):
        detail = f": {exc.code().name} {exc.details()}"
    elif type(exc).__module__.startswith("grpc"):  # core's errors name no status
        detail = f": the stream failed in gRPC ({type(exc).__name__})"
    elif exc is not None:
        detail = f": {exc!r}"
    return ActorUnavailable(f"the connection to the actor at {address} was lost while the "
                            f"call was pending (the actor may have died){detail}")


def failure_to_error(failure: actor_pb2.Failure) -> errors.ActorError:
    """The exception for a ``Failure`` on a stream."""
    code = errors.code_from_number(failure.code)
    if failure.type == NOT_HOSTED:
        return ActorNotHosted(failure.message)
    if code == grpc.StatusCode.UNKNOWN:  # a command that raised: type is its exception's
        return error_from_status(code, failure.message, failure.type)
    return error_from_status(code, failure.message, error_class=failure.type)
