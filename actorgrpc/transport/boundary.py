"""The server's error boundary: the one place where an exception becomes a gRPC status.

Every method of every actorgrpc server goes through ``ErrorBoundary``, streams
included: a servicer raises an ``ActorError`` (or anything else, reported as UNKNOWN
"Type: text" from user code), and the call ends with the code of the exception tree
(actorgrpc.contract.errors) and a ``google.rpc.Status`` in the status-details trailer.
Servicers never call ``context.abort`` themselves. A request that did not parse
(``MalformedRequest``) is INVALID_ARGUMENT before the servicer sees it.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeAlias, cast

import grpc
import grpc.aio

from actorgrpc.contract.errors import STATUS_DETAILS_KEY, InvalidArgument, status_details, status_of

logger = logging.getLogger("actorgrpc.rpc")

__all__ = ["ErrorBoundary", "MalformedRequest", "abort_with"]

#: The servicer context of any method (requests and responses are protobuf messages,
#: or raw bytes on the data plane).
# (Strings: grpc's classes are generic in its stubs only.)
Context: TypeAlias = "grpc.aio.ServicerContext[Any, Any]"
#: A method's behaviour as the server calls it: ``behaviour(request, context)`` (typed
#: loosely: grpc's stubs describe a handler's behaviour for the sync server).
Behaviour = Callable[..., Any]
Handler: TypeAlias = "grpc.RpcMethodHandler[Any, Any]"


class MalformedRequest:
    """Stands for a request whose bytes did not parse (see transport.server)."""

    def __init__(self, message_class: Any, error: Exception) -> None:
        self.description = f"malformed {message_class.DESCRIPTOR.full_name}: {str(error)[:200]}"


async def abort_with(context: Context, exc: BaseException) -> None:
    """End the call of ``context`` with the status of ``exc`` (and its details)."""
    code, message, _remote_type = status_of(exc)
    logger.debug("RPC failed with %s: %s", code.name, message)
    await context.abort(code, message,
                        trailing_metadata=((STATUS_DETAILS_KEY, status_details(exc)),))


def _checked(request: Any) -> Any:
    if isinstance(request, MalformedRequest):
        raise InvalidArgument(request.description)
    return request


def _guard_unary(behaviour: Behaviour) -> Callable[[Any, Context], Awaitable[Any]]:
    async def guarded(request: Any, context: Context) -> Any:
        try:
            return await behaviour(_checked(request), context)
        except (grpc.aio.AbortError, asyncio.CancelledError):
            raise
        except Exception as exc:  # noqa: BLE001 - the boundary: every error becomes a status
            await abort_with(context, exc)
    return guarded


def _guard_stream(behaviour: Behaviour) -> Behaviour:
    """A streaming behaviour: a coroutine that writes through its context, or an
    async generator of responses (what grpc_reflection's servicer is)."""
    if inspect.isasyncgenfunction(behaviour):
        async def guarded_generator(request_or_iterator: Any,
                                    context: Context) -> AsyncIterator[Any]:
            try:
                async for response in behaviour(_checked(request_or_iterator), context):
                    yield response
            except (grpc.aio.AbortError, asyncio.CancelledError, GeneratorExit):
                raise
            except Exception as exc:  # noqa: BLE001 - the boundary: every error, a status
                await abort_with(context, exc)
        return guarded_generator

    async def guarded(request_or_iterator: Any, context: Context) -> Any:
        try:
            return await behaviour(_checked(request_or_iterator), context)
        except (grpc.aio.AbortError, asyncio.CancelledError):
            raise
        except Exception as exc:  # noqa: BLE001 - the boundary: every error becomes a status
            await abort_with(context, exc)
    return guarded


class ErrorBoundary(grpc.aio.ServerInterceptor):
    """Wraps every method handler so that exceptions end calls with their status.

    Wrapped handlers are kept per original handler: the server hands out the same
    handler object for a method every time, so a call costs a dictionary lookup.
    """

    def __init__(self) -> None:
        self._wrapped: dict[int, tuple[Handler, Handler]] = {}

    async def intercept_service(
            self, continuation: Callable[[grpc.HandlerCallDetails], Awaitable[Handler | None]],
            handler_call_details: grpc.HandlerCallDetails) -> Handler | None:
        handler = await continuation(handler_call_details)
        if handler is None:
            return None
        cached = self._wrapped.get(id(handler))
        if cached is not None and cached[0] is handler:
            return cached[1]
        wrapped = _wrap(handler)
        self._wrapped[id(handler)] = (handler, wrapped)
        return wrapped


def _wrap(handler: Handler) -> Handler:
    options = {"request_deserializer": handler.request_deserializer,
               "response_serializer": handler.response_serializer}
    if handler.unary_unary:
        return grpc.unary_unary_rpc_method_handler(_guard_unary(handler.unary_unary), **options)
    if handler.unary_stream:
        return grpc.unary_stream_rpc_method_handler(_guard_stream(handler.unary_stream),
                                                    **options)
    if handler.stream_unary:
        return grpc.stream_unary_rpc_method_handler(_guard_unary(handler.stream_unary),
                                                    **options)
    # A handler has exactly one of the four behaviours: this one, when not the others.
    return grpc.stream_stream_rpc_method_handler(_guard_stream(cast(Behaviour,
                                                                    handler.stream_stream)),
                                                 **options)
