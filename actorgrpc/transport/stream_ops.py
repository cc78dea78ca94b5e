"""Writing and reading an open grpc.aio stream with as little Python as possible.

A round trip on a mailbox stream runs on two cold CPU caches; every Python layer it
passes through shows in its latency. grpc.aio's public ``write`` and ``read`` wrap
gRPC core's own coroutines in two more coroutine layers each; once the stream is
open, the core's coroutines can be used directly. And a frame's write is driven by
hand (actorgrpc.contract.framing) instead of through a Task per frame.

Both rest on gRPC-Python's private internals (``_cython_call``, what its coroutines
await): one gate, ``FAST_PATH``, turns them on only for the grpcio releases they were
written and tested against, and ``ACTORGRPC_GRPC_FAST_PATH=0`` turns them off (CI
runs the data-plane tests a second time that way). Off, the public API is used.
"""

from __future__ import annotations

import os
import types
from collections.abc import Awaitable, Callable, Coroutine, Generator
from typing import Any

import grpc
import grpc.aio

__all__ = ["FAST_PATH", "stream_ops", "one_loop_turn"]

#: grpcio releases whose private internals the fast path was tested against.
FAST_PATH_RELEASES = ("1.85.",)


def _fast_path_enabled() -> bool:
    if os.environ.get("ACTORGRPC_GRPC_FAST_PATH", "1") == "0":
        return False
    return grpc.__version__.startswith(FAST_PATH_RELEASES)


#: True when gRPC's private internals are used on the hot path (see above).
FAST_PATH = _fast_path_enabled()


#: ``send(frame)`` and ``receive()`` of an open stream (see stream_ops).
Send = Callable[[bytes], Coroutine[Any, Any, None]]
Receive = Callable[[], Awaitable[Any]]


def stream_ops(call: grpc.aio.StreamStreamCall[Any, Any]) -> tuple[Send, Receive]:
    """(send, receive) for an open stream call that has no serializers: gRPC core's
    coroutines when this grpcio has them, else the public ``write`` and ``read``.

    Both ``send``s take the frame's bytes; both ``receive``s return a message's bytes,
    or ``grpc.aio.EOF`` once the stream has ended (the public ``read`` then tells its
    status). What the public ones do besides: wait until the headers are sent (the
    caller waited for ``call.wait_for_connection()``), refuse writes after the call is
    done, and turn core errors into the call's status; the caller reads that status
    from the public ``read`` when a write or read fails.
    """
    if not FAST_PATH:
        return call.write, call.read
    core = getattr(call, "_cython_call", None)
    send = getattr(core, "send_serialized_message", None)
    receive = getattr(core, "receive_serialized_message", None)
    if send is None or receive is None:
        return call.write, call.read
    return send, receive


@types.coroutine
def one_loop_turn() -> Generator[None, None, None]:
    """Let the event loop run what is ready once (a bare ``yield``: cheaper than
    ``asyncio.sleep(0)``)."""
    yield
