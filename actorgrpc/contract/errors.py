"""Errors of actorgrpc and their gRPC status codes: the one place they are mapped.

The exception tree::

    ActorError                      UNKNOWN        base of everything below
    ├── ActorNotFound               NOT_FOUND      no live actor has that aid or name
    ├── CommandNotFound             UNIMPLEMENTED  the actor has no such command
    ├── InvalidArgument             INVALID_ARGUMENT  malformed request, bad hook
    │   │                                          reference, bad arguments, values
    │                                              that are not JSON-shaped
    ├── ResourceExhausted           RESOURCE_EXHAUSTED  a bound was reached (a full
    │   │                                          mailbox, too many actors, ...)
    │   └── MessageTooLarge         RESOURCE_EXHAUSTED  over the maximum message size
    │                                              (also an InvalidArgument)
    ├── ActorAlreadyExists          ALREADY_EXISTS a live actor already has the name
    ├── CommandError                UNKNOWN        the remote command raised;
    │   │                                          message "Type: text"
    │   └── SpawnError              UNKNOWN        the actor could not start
    ├── ActorUnavailable            UNAVAILABLE    the actor died while handling the
    │                                              call, or the arbiter is stopping
    ├── ActorTimeout                DEADLINE_EXCEEDED  the deadline passed (also a
    │                                              ``TimeoutError``)
    ├── PermissionDenied            PERMISSION_DENIED  module or hook outside what the
    │                                              operator allowed, or a token whose
    │                                              role does not allow the call
    └── Unauthenticated             UNAUTHENTICATED  a missing or wrong token

Servers turn any exception into a status with :func:`status_of` (and its
``google.rpc.Status`` details with :func:`status_details`); clients turn a status
back into an exception with :func:`error_from_status` / :func:`error_from_rpc_error`.
A user's own ``TimeoutError`` is a command that raised (UNKNOWN), not a deadline.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, cast

import grpc
from google.protobuf import any_pb2, message
from google.rpc import error_details_pb2, status_pb2

if TYPE_CHECKING:
    from actorgrpc.v1 import actor_pb2

__all__ = [
    "ActorError",
    "ActorNotFound",
    "CommandNotFound",
    "InvalidArgument",
    "MessageTooLarge",
    "ResourceExhausted",
    "ActorAlreadyExists",
    "CommandError",
    "SpawnError",
    "ActorUnavailable",
    "ActorTimeout",
    "PermissionDenied",
    "Unauthenticated",
    "status_of",
    "error_from_status",
    "error_from_rpc_error",
    "status_details",
    "fill_failure",
    "shown",
    "ERROR_DOMAIN",
    "STREAM_ERRORS",
]

#: What reading or writing a gRPC stream raises once the call or its peer has gone: a
#: status (RpcError), grpc.aio's own "the call is over" errors (BaseError: usage,
#: abort, a batch that could not run) and asyncio's "already finished". Code that
#: writes a last word on a stream that may be closed catches exactly these.
STREAM_ERRORS = (grpc.RpcError, grpc.aio.BaseError, asyncio.InvalidStateError, ConnectionError)

#: ErrorInfo.domain of every actorgrpc error.
ERROR_DOMAIN = "actorgrpc.v1"
#: The trailer that carries a serialized google.rpc.Status (gRPC's convention).
STATUS_DETAILS_KEY = "grpc-status-details-bin"


class ActorError(Exception):
    """Base class of every actorgrpc error."""

    code: grpc.StatusCode = grpc.StatusCode.UNKNOWN

    def __init__(self, message: str = "", *, remote_type: str = ""):
        super().__init__(message)
        #: Exception class name on the remote side, when the error came from user code.
        self.remote_type = remote_type

    @property
    def message(self) -> str:
        return str(self)


class ActorNotFound(ActorError):
    """No live actor has that aid or name."""

    code = grpc.StatusCode.NOT_FOUND


class CommandNotFound(ActorError):
    """The actor has no command of that name."""

    code = grpc.StatusCode.UNIMPLEMENTED


class InvalidArgument(ActorError, ValueError):
    """Malformed request, bad hook reference, bad arguments or non-JSON values."""

    code = grpc.StatusCode.INVALID_ARGUMENT


class ResourceExhausted(ActorError):
    """A bound was reached: a full mailbox, too many actors or streams, ..."""

    code = grpc.StatusCode.RESOURCE_EXHAUSTED


class MessageTooLarge(ResourceExhausted, InvalidArgument):
    """A message exceeds the maximum message size."""

    code = grpc.StatusCode.RESOURCE_EXHAUSTED


class ActorAlreadyExists(ActorError):
    """A live actor already has that name."""

    code = grpc.StatusCode.ALREADY_EXISTS


class CommandError(ActorError):
    """The remote command raised; ``remote_type`` is the exception's class name."""

    code = grpc.StatusCode.UNKNOWN


class SpawnError(CommandError):
    """The actor could not start: its process died, its ``start`` hook raised, ..."""


class ActorUnavailable(ActorError):
    """The actor died while handling the call, or the arbiter is shutting down."""

    code = grpc.StatusCode.UNAVAILABLE


class ActorTimeout(ActorError, TimeoutError):
    """The deadline passed before the result arrived."""

    code = grpc.StatusCode.DEADLINE_EXCEEDED


class PermissionDenied(ActorError):
    """A module or hook outside what the operator allowed."""

    code = grpc.StatusCode.PERMISSION_DENIED


class Unauthenticated(ActorError):
    """The call had no token, or one the server does not accept."""

    code = grpc.StatusCode.UNAUTHENTICATED


_CLASS_OF_CODE: dict[grpc.StatusCode, type[ActorError]] = {
    cls.code: cls
    for cls in (
        ActorNotFound,
        CommandNotFound,
        InvalidArgument,
        ResourceExhausted,
        ActorAlreadyExists,
        ActorUnavailable,
        ActorTimeout,
        PermissionDenied,
        Unauthenticated,
    )
}
_CLASS_OF_CODE[grpc.StatusCode.UNKNOWN] = CommandError
_CODE_OF_NUMBER = {code.value[0]: code for code in grpc.StatusCode}


def status_of(exc: BaseException) -> tuple[grpc.StatusCode, str, str]:
    """Return ``(code, message, remote_type)`` for any exception raised serving a call.

    Our own errors keep their code and message; anything else is user code that
    raised, reported as UNKNOWN with "Type: text".
    """
    if isinstance(exc, ActorError):
        return exc.code, str(exc), exc.remote_type
    name = type(exc).__name__
    text = str(exc)
    return grpc.StatusCode.UNKNOWN, f"{name}: {text}" if text else name, name


def code_from_number(number: int) -> grpc.StatusCode:
    """The ``grpc.StatusCode`` with that number (UNKNOWN when there is none)."""
    return _CODE_OF_NUMBER.get(number, grpc.StatusCode.UNKNOWN)


def error_from_status(
    code: grpc.StatusCode, message: str, remote_type: str = "", error_class: str = ""
) -> ActorError:
    """The exception a client raises for a failed call.

    ``error_class`` names the server's own ActorError subclass when it sent one
    (e.g. SpawnError); it is used only if it agrees with the status code.
    """
    if code == grpc.StatusCode.CANCELLED:
        return ActorUnavailable(message or "call cancelled")
    if code == grpc.StatusCode.INTERNAL:
        return ActorUnavailable(message or "internal error")
    cls = _CLASS_OF_CODE.get(code, ActorError)
    named = globals().get(error_class) if error_class in __all__ else None
    if isinstance(named, type) and issubclass(named, cls):
        cls = named
    return cls(message, remote_type=remote_type)


def reason_of(class_name: str) -> str:
    """ErrorInfo.reason for an error class: "ActorNotFound" → "ACTOR_NOT_FOUND"."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", class_name).upper()


def public_class_of(exc: BaseException) -> str:
    """The name of the nearest public ActorError class of ``exc`` (a private subclass
    such as the supervisor's StoppedBeforeRunning is sent as its public parent)."""
    for cls in type(exc).__mro__:
        if issubclass(cls, ActorError) and cls.__name__ in __all__:
            return cls.__name__
    return "CommandError"


def status_details(exc: BaseException) -> bytes:
    """The serialized ``google.rpc.Status`` of ``exc``, for the status-details trailer.

    Its one ErrorInfo says which error class the server raised (``error_class``) and,
    for a command that raised, the exception's type (``exception_type``), so clients
    in any language map errors without reading messages.
    """
    code, message, remote_type = status_of(exc)
    error_class = public_class_of(exc)
    metadata = {"error_class": error_class}
    if remote_type:
        metadata["exception_type"] = remote_type
    detail = any_pb2.Any()
    detail.Pack(error_details_pb2.ErrorInfo(reason=reason_of(error_class),
                                            domain=ERROR_DOMAIN, metadata=metadata))
    return status_pb2.Status(code=code.value[0], message=message,
                             details=[detail]).SerializeToString()


def error_info_of(trailing_metadata: Iterable[tuple[str, str | bytes]] | None,
                  ) -> error_details_pb2.ErrorInfo | None:
    """The actorgrpc ErrorInfo in a call's status-details trailer, if any."""
    for key, value in trailing_metadata or ():
        if key != STATUS_DETAILS_KEY or not isinstance(value, bytes):
            continue
        try:
            status = status_pb2.Status.FromString(value)
        except message.DecodeError:  # a peer's garbage: fall back to the code alone
            return None
        for detail in status.details:
            info = error_details_pb2.ErrorInfo()
            if detail.Unpack(info) and info.domain == ERROR_DOMAIN:
                return info
    return None


def error_from_rpc_error(error: grpc.RpcError) -> ActorError:
    """The exception a client raises for a ``grpc.RpcError``."""
    code = error.code() if hasattr(error, "code") else grpc.StatusCode.UNKNOWN
    details = error.details() if hasattr(error, "details") else str(error)
    # grpc's stubs type an RpcError's trailer as key/value objects; it holds pairs.
    info = error_info_of(cast("Iterable[tuple[str, str | bytes]]", error.trailing_metadata())
                         if hasattr(error, "trailing_metadata") else ())
    metadata = info.metadata if info is not None else {}
    return error_from_status(code, details or "", metadata.get("exception_type", ""),
                             metadata.get("error_class", ""))


def fill_failure(failure: actor_pb2.Failure, exc: BaseException) -> None:
    """Describe ``exc`` in a ``Failure`` message (replies on a stream, a failed start)."""
    code, message, remote_type = status_of(exc)
    failure.code = code.value[0]
    failure.message = message
    failure.type = remote_type or (type(exc).__name__ if isinstance(exc, ActorError) else "")


#: The longest piece of a client's input an error message repeats.
SHOWN_INPUT_CHARACTERS = 64


def shown(value: object, limit: int = SHOWN_INPUT_CHARACTERS) -> str:
    """``repr(value)``, cut to ``limit`` characters: an error message never echoes a
    client's input in full (a 20 kB target made a status too large to send)."""
    text = value if isinstance(value, str) else repr(value)
    if len(text) > limit:
        text = text[:limit] + f"… ({len(text)} characters)"
    return repr(text) if isinstance(value, str) else text
