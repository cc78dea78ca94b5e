"""Writing and reading an open grpc.aio stream with as little Python as possible.

A round trip on a mailbox stream runs on two cold CPU caches; every Python layer it
passes through shows in its latency. grpc.aio's public ``write`` and ``read`` wrap
gRPC core's own coroutines in two more coroutine layers each; once the stream is
open, the core's coroutines can be used directly.
"""

from __future__ import annotations

import types

__all__ = ["stream_ops", "one_loop_turn"]


def stream_ops(call):
    """(send, receive) for an open stream call that has no serializers: gRPC core's
    coroutines when this grpcio has them, else the public ``write`` and ``read``.

    Both ``send``s take the frame's bytes; both ``receive``s return a message's bytes,
    or ``grpc.aio.EOF`` once the stream has ended (the public ``read`` then tells its
    status). What the public ones do besides: wait until the headers are sent (the
    caller waited for ``call.wait_for_connection()``), refuse writes after the call is
    done, and turn core errors into the call's status; the caller reads that status
    from the public ``read`` when a write or read fails.
    """
    core = getattr(call, "_cython_call", None)
    send = getattr(core, "send_serialized_message", None)
    receive = getattr(core, "receive_serialized_message", None)
    if send is None or receive is None:
        return call.write, call.read
    return send, receive


@types.coroutine
def one_loop_turn():
    """Let the event loop run what is ready once (a bare ``yield``: cheaper than
    ``asyncio.sleep(0)``)."""
    yield
