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

import grpc

from actorgrpc.contract.errors import STATUS_DETAILS_KEY, InvalidArgument, status_details, status_of

logger = logging.getLogger("actorgrpc.rpc")

__all__ = ["ErrorBoundary", "MalformedRequest", "abort_with"]


class MalformedRequest:
    """Stands for a request whose bytes did not parse (see transport.server)."""

    def __init__(self, message_class, error: Exception):
        self.description = f"malformed {message_class.DESCRIPTOR.full_name}: {str(error)[:200]}"


async def abort_with(context, exc: BaseException):
    """End the call of ``context`` with the status of ``exc`` (and its details)."""
    code, message, _remote_type = status_of(exc)
    logger.debug("RPC failed with %s: %s", code.name, message)
    await context.abort(code, message,
                        trailing_metadata=((STATUS_DETAILS_KEY, status_details(exc)),))


def _checked(request):
    if isinstance(request, MalformedRequest):
        raise InvalidArgument(request.description)
    return request


def _guard_unary(behaviour):
    async def guarded(request, context):
        try:
            return await behaviour(_checked(request), context)
        except (grpc.aio.AbortError, asyncio.CancelledError):
            raise
        except Exception as exc:  # noqa: BLE001 - the boundary: every error becomes a status
            await abort_with(context, exc)
    return guarded


def _guard_stream(behaviour):
    """A streaming behaviour: a coroutine that writes through its context, or an
    async generator of responses (what grpc_reflection's servicer is)."""
    if inspect.isasyncgenfunction(behaviour):
        async def guarded_generator(request_or_iterator, context):
            try:
                async for response in behaviour(_checked(request_or_iterator), context):
                    yield response
            except (grpc.aio.AbortError, asyncio.CancelledError, GeneratorExit):
                raise
            except Exception as exc:  # noqa: BLE001 - the boundary: every error, a status
                await abort_with(context, exc)
        return guarded_generator

    async def guarded(request_or_iterator, context):
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

    def __init__(self):
        self._wrapped: dict[int, tuple] = {}

    async def intercept_service(self, continuation, handler_call_details):
        handler = await continuation(handler_call_details)
        if handler is None:
            return None
        cached = self._wrapped.get(id(handler))
        if cached is not None and cached[0] is handler:
            return cached[1]
        wrapped = _wrap(handler)
        self._wrapped[id(handler)] = (handler, wrapped)
        return wrapped


def _wrap(handler):
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
    return grpc.stream_stream_rpc_method_handler(_guard_stream(handler.stream_stream),
                                                 **options)
