"""The server boundary: exceptions become gRPC statuses here, and only here."""

from __future__ import annotations

import asyncio
import functools
import logging

from .errors import (ERROR_CLASS_METADATA, REMOTE_TYPE_METADATA, ActorError,
                     InvalidArgument, status_of)

logger = logging.getLogger("actorgrpc.rpc")


def fill_failure(failure, exc: BaseException) -> None:
    """Describe ``exc`` in a ``Failure`` message (for replies on a stream)."""
    code, message, remote_type = status_of(exc)
    failure.code = code.value[0]
    failure.message = message
    failure.type = remote_type


def rpc_method(handler):
    """Decorate a unary servicer method so that any exception aborts with its status."""

    @functools.wraps(handler)
    async def wrapper(self, request, context):
        try:
            if type(request).__name__ == "MalformedRequest":
                raise InvalidArgument(request.description)
            return await handler(self, request, context)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            await abort(context, exc)

    return wrapper


async def abort(context, exc: BaseException):
    """Abort the RPC of ``context`` with the status of ``exc``."""
    code, message, remote_type = status_of(exc)
    metadata = []
    if remote_type:
        metadata.append((REMOTE_TYPE_METADATA, remote_type))
    if isinstance(exc, ActorError):
        metadata.append((ERROR_CLASS_METADATA, type(exc).__name__))
    if metadata:
        context.set_trailing_metadata(tuple(metadata))
    logger.debug("RPC failed with %s: %s", code.name, message)
    await context.abort(code, message)
