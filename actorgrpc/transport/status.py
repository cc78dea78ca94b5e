"""The server boundary: exceptions become gRPC statuses here, and only here."""

from __future__ import annotations

import asyncio
import functools
import logging

from actorgrpc.contract.errors import STATUS_DETAILS_KEY, InvalidArgument, status_details, status_of

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
    code, message, _remote_type = status_of(exc)
    logger.debug("RPC failed with %s: %s", code.name, message)
    await context.abort(code, message,
                        trailing_metadata=((STATUS_DETAILS_KEY, status_details(exc)),))
