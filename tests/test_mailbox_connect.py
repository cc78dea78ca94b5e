"""Opening a mailbox connection: callers that wait for it, and connections that fail.

A real grpc.aio server hosts the actor; an address where something listens but
never speaks HTTP/2 keeps a connection "connecting" for as long as a test needs.
"""

import asyncio
import socket

import pytest

from actorgrpc.actor import Actor
from actorgrpc.consts import ACTOR_STATES, DEFAULT_MAX_MESSAGE_BYTES, KIND_THREAD
from actorgrpc.context import clear_actor
from actorgrpc.errors import MessageTooLarge
from actorgrpc.mailbox_client import MailboxConnection, NotDelivered
from actorgrpc.mailbox_server import MailboxHost, MailboxServicer
from actorgrpc.server import build_server


@pytest.fixture
async def served_actor():
    actor = Actor(aid="a1", name="a1", kind=KIND_THREAD, runtime=None, hooks=None)
    actor.bind_loop()
    actor.state = ACTOR_STATES.RUN
    host = MailboxHost()
    host.add(actor, main=True)
    server, port, _health, _names = build_server(
        "127.0.0.1:0", mailbox=MailboxServicer(host),
        max_message_bytes=DEFAULT_MAX_MESSAGE_BYTES)
    await server.start()
    try:
        yield f"127.0.0.1:{port}"
    finally:
        await server.stop(grace=None)
        clear_actor(actor)  # bind_loop made it this thread's actor


@pytest.fixture
def silent_address():
    """An address that accepts TCP connections but never answers the HTTP/2 handshake."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    try:
        yield "127.0.0.1:%d" % listener.getsockname()[1]
    finally:
        listener.close()


async def test_callers_waiting_for_a_new_connection_all_get_answers(served_actor):
    connection = MailboxConnection(served_actor)
    try:
        calls = [asyncio.ensure_future(connection.call("", "echo", [n], {}, 10.0))
                 for n in range(20)]
        # Cancel one caller while the connection is still being made: it cancels only
        # its own wait, not the connection the others wait for.
        await asyncio.sleep(0)
        assert not connection.up
        calls[0].cancel()
        results = await asyncio.gather(*calls, return_exceptions=True)
        assert isinstance(results[0], asyncio.CancelledError)
        assert results[1:] == list(range(1, 20))
        assert connection.up and not connection.closed
    finally:
        await connection.close()


async def test_an_unreachable_address_fails_with_not_delivered():
    # A port that was free a moment ago: nothing listens there.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        address = "127.0.0.1:%d" % probe.getsockname()[1]
    closed = []
    connection = MailboxConnection(address, on_closed=closed.append)
    # 10 s: a refused connection is seen in milliseconds.
    with pytest.raises(NotDelivered):
        await connection.call("", "echo", [1], {}, 10.0)
    assert connection.closed and not connection.up
    assert closed == [connection]  # its owner forgets it
    with pytest.raises(NotDelivered):  # and it stays closed
        await connection.call("", "echo", [1], {}, 10.0)


async def test_waiting_callers_time_out_or_are_released_by_close(silent_address):
    connection = MailboxConnection(silent_address)
    # A caller's own timeout bounds its wait (0.2 s: the handshake never completes).
    with pytest.raises(NotDelivered, match="could not connect"):
        await connection.call("", "echo", [1], {}, 0.2)
    waiting = asyncio.ensure_future(connection.call("", "echo", [2], {}, 30.0))
    await asyncio.sleep(0)
    assert not waiting.done()
    await connection.close()
    # Released by close at once, long before its 30 s timeout.
    with pytest.raises(NotDelivered, match="closed"):
        await asyncio.wait_for(waiting, 10)


async def test_a_message_too_large_in_utf8_is_refused_before_sending(served_actor):
    # 1,500 CJK characters are 4,500 bytes of UTF-8: over this connection's limit.
    connection = MailboxConnection(served_actor, max_message_bytes=4096)
    try:
        pending = asyncio.ensure_future(connection.call("", "echo", [1], {}, 10.0))
        with pytest.raises(MessageTooLarge):
            await connection.call("", "处理" * 750, [], {}, 10.0)
        # Refused alone: the stream, and the call already on it, are unharmed.
        assert await pending == 1
        assert await connection.call("", "echo", ["处理"], {}, 10.0) == "处理"
    finally:
        await connection.close()
