"""Errors of actorgrpc and their gRPC status codes: the one place they are mapped.

The exception tree::

    ActorError                      UNKNOWN        base of everything below
    ├── ActorNotFound               NOT_FOUND      no live actor has that aid or name
    ├── CommandNotFound             UNIMPLEMENTED  the actor has no such command
    ├── InvalidArgument             INVALID_ARGUMENT  malformed request, bad hook
    │   │                                          reference, bad arguments, values
    │   │                                          that are not JSON-shaped
    │   └── MessageTooLarge         RESOURCE_EXHAUSTED  over the maximum message size
    ├── ActorAlreadyExists          ALREADY_EXISTS a live actor already has the name
    ├── CommandError                UNKNOWN        the remote command raised;
    │   │                                          message "Type: text"
    │   └── SpawnError              UNKNOWN        the actor could not start
    ├── ActorUnavailable            UNAVAILABLE    the actor died while handling the
    │                                              call, or the arbiter is stopping
    ├── ActorTimeout                DEADLINE_EXCEEDED  the deadline passed (also a
    │                                              ``TimeoutError``)
    └── PermissionDenied            PERMISSION_DENIED  module or hook outside what the
                                                   operator allowed

Servers turn any exception into a status with :func:`status_of`; clients turn a
status back into an exception with :func:`error_from_status`.
"""

from __future__ import annotations

import grpc

__all__ = [
    "ActorError",
    "ActorNotFound",
    "CommandNotFound",
    "InvalidArgument",
    "MessageTooLarge",
    "ActorAlreadyExists",
    "CommandError",
    "SpawnError",
    "ActorUnavailable",
    "ActorTimeout",
    "PermissionDenied",
    "status_of",
    "error_from_status",
    "error_from_rpc_error",
]


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


class MessageTooLarge(InvalidArgument):
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


_CLASS_OF_CODE: dict[grpc.StatusCode, type[ActorError]] = {
    cls.code: cls
    for cls in (
        ActorNotFound,
        CommandNotFound,
        InvalidArgument,
        MessageTooLarge,
        ActorAlreadyExists,
        ActorUnavailable,
        ActorTimeout,
        PermissionDenied,
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
    if isinstance(exc, TimeoutError):
        return grpc.StatusCode.DEADLINE_EXCEEDED, str(exc) or "deadline exceeded", ""
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


def error_from_rpc_error(error: grpc.RpcError) -> ActorError:
    """The exception a client raises for a ``grpc.RpcError``."""
    code = error.code() if hasattr(error, "code") else grpc.StatusCode.UNKNOWN
    details = error.details() if hasattr(error, "details") else str(error)
    metadata = dict(error.trailing_metadata() or ()) if hasattr(
        error, "trailing_metadata") else {}
    return error_from_status(code, details or "", metadata.get(REMOTE_TYPE_METADATA, ""),
                             metadata.get(ERROR_CLASS_METADATA, ""))


#: Trailing metadata key that carries the remote exception's class name.
REMOTE_TYPE_METADATA = "actorgrpc-error-type"
#: Trailing metadata key that carries the ActorError subclass the server raised.
ERROR_CLASS_METADATA = "actorgrpc-error-class"
