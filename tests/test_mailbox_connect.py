"""The mailbox stream end to end: opening a connection (callers that wait for it,
connections that fail), how calls and replies are framed, what a lost stream does to
pending calls, and a client that half-closes its stream.

A real grpc.aio server hosts the actor; an address where something listens but
never speaks HTTP/2 keeps a connection "connecting" for as long as a test needs.
"""

import asyncio
import importlib
import random
import socket

import grpc
import pytest

from actorgrpc.actor.context import clear_actor
from actorgrpc.actor.core import Actor
from actorgrpc.actor.mailbox import MailboxHost
from actorgrpc.actor.mailbox_servicer import MailboxServicer
from actorgrpc.client import mailbox as mailbox_client
from actorgrpc.client.mailbox import MailboxConnection, NotDelivered
from actorgrpc.contract.consts import ACTOR_STATES, DEFAULT_MAX_MESSAGE_BYTES, KIND_THREAD
from actorgrpc.contract.errors import ActorUnavailable, MessageTooLarge
from actorgrpc.contract.wire import envelope_json_entry, json_list
from actorgrpc.transport.server import build_server
from actorgrpc.v1 import mailbox_pb2

from .support import wait_for_async

#: The message path: run again with gRPC's private fast path off (make test).
pytestmark = pytest.mark.dataplane


@pytest.fixture
async def actor_server():
    """(address, server, actor): an actor hosted by a real grpc.aio server."""
    importlib.import_module("tests.sample_actors")  # registers the commands used here

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
        yield f"127.0.0.1:{port}", server, actor
    finally:
        await server.stop(grace=None)
        for task in list(actor.command_tasks):
            task.cancel()
        clear_actor(actor)  # bind_loop made it this thread's actor


@pytest.fixture
def served_actor(actor_server):
    return actor_server[0]


def _raw_mailbox_stream(channel):
    """A MailboxService.Stream written with bytes (actorgrpc.contract.wire) and read parsed."""
    return channel.stream_stream(mailbox_client.STREAM_METHOD, request_serializer=None,
                                 response_deserializer=mailbox_pb2.StreamResponse.FromString)()


@pytest.fixture
def silent_address():
    """An address that accepts TCP connections but never answers the HTTP/2 handshake."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    try:
        yield f"127.0.0.1:{listener.getsockname()[1]}"
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
        address = f"127.0.0.1:{probe.getsockname()[1]}"
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


@pytest.mark.parametrize("core_ops", [True, False], ids=["grpc-core-ops", "public-api"])
async def test_answers_reach_their_callers_and_a_lost_stream_fails_what_is_pending(
        actor_server, monkeypatch, core_ops):
    # Both ways of using the stream: gRPC core's coroutines (what runs), and the
    # public write/read that a grpcio without them falls back to.
    if not core_ops:
        monkeypatch.setattr(mailbox_client, "stream_ops",
                            lambda call: (call.write, call.read))
    address, server, actor = actor_server
    connection = MailboxConnection(address)
    try:
        # A lone call is written at once; a burst shares frames; keyword arguments
        # travel in their own envelopes.
        assert await connection.call("", "echo", ["alone"], {}, 10.0) == "alone"
        burst = [connection.submit("", "echo", [n], {}, 10.0) for n in range(500)]
        assert await asyncio.gather(*burst) == list(range(500))
        assert await connection.call("", "echo", [], {"message": "kw"}, 10.0) == "kw"
        pending = connection.submit("", "never_answer", [], {}, 30.0)
        # The actor has the call (10 s: far more than a local server needs).
        await wait_for_async(lambda: actor.command_tasks, 10, "the call", interval=0.005)
        await server.stop(grace=None)
        # Failed as soon as the stream ends, long before its 30 s timeout.
        with pytest.raises(ActorUnavailable, match="lost"):
            await asyncio.wait_for(pending, 10)
        assert connection.closed and not connection.up
    finally:
        await connection.close()


async def test_a_client_that_half_closes_still_gets_the_replies_of_running_commands(
        actor_server):
    address, _server, actor = actor_server
    async with grpc.aio.insecure_channel(address) as channel:
        stream = _raw_mailbox_stream(channel)
        await stream.write(envelope_json_entry(7, "", "wait_for_release", [], {}, 0.0, False))
        await stream.done_writing()
        # The command is running once it has made its event (10 s: it is local).
        await wait_for_async(lambda: "release" in actor.extra, 10, "the command",
                             interval=0.005)
        # The stream is half-closed while the command runs: the actor's loop keeps
        # serving (the test's own loop: a spinning actor would hang it here).
        other = MailboxConnection(address)
        try:
            assert await other.call("", "echo", ["still serving"], {}, 10.0) == "still serving"
        finally:
            await other.close()
        actor.extra["release"].set()
        response = await asyncio.wait_for(stream.read(), 10)  # 10 s: answered at once
        assert [(reply.id, reply.result_json) for reply in response.replies] == [
            (7, b'"released"')]
        assert await asyncio.wait_for(stream.read(), 10) is grpc.aio.EOF


def _record_frames(connection):
    """Keep a parsed copy of every frame the open ``connection`` writes."""
    frames = []
    send = connection._writer.write_frame

    def recording_send(frame):
        frames.append(mailbox_pb2.StreamRequest.FromString(frame))
        return send(frame)

    connection._writer.write_frame = recording_send
    return frames


def _calls_in(frame) -> int:
    return sum(len(json_list(envelope.batch_args_json)) if envelope.batch_args_json else 1
               for envelope in frame.envelopes)


async def test_a_lone_ask_leaves_alone_and_a_burst_shares_frames(served_actor):
    connection = MailboxConnection(served_actor)
    try:
        await connection.call("", "echo", [0], {}, 10.0)  # opens the stream
        frames = _record_frames(connection)
        assert await connection.submit("", "echo", [1], {}, 10.0) == 1
        assert [_calls_in(frame) for frame in frames] == [1]
        # 3,000 asks made without yielding: the first leaves at once, the others
        # queue behind it in frames of at most MAX_BATCH calls.
        frames.clear()
        burst = [connection.submit("", "echo", [n], {}, 10.0) for n in range(3000)]
        assert await asyncio.gather(*burst) == list(range(3000))
        assert [_calls_in(frame) for frame in frames] == [1, 1024, 1024, 951]
    finally:
        await connection.close()


async def test_one_sender_keeps_its_order_around_lone_asks(actor_server):
    address, _server, actor = actor_server
    connection = MailboxConnection(address)
    try:
        await connection.call("", "notes", [], {}, 10.0)  # opens the stream
        rng = random.Random(5)
        expected = []
        for _round in range(200):
            # Each round starts with an ask that leaves alone (nothing in flight),
            # then tells, asks and keyword calls queue behind it.
            pending = []
            for _ in range(rng.randint(1, 6)):
                value = len(expected)
                expected.append(value)
                kind = rng.randrange(4)
                if kind == 0:
                    pending.append(connection.submit("", "note", [value], {}, 10.0))
                elif kind == 1:
                    pending.append(connection.submit("", "note", [], {"value": value}, 10.0))
                elif kind == 2:
                    connection.tell_nowait("", "note", [value], {})
                else:
                    connection.tell_nowait("", "note", [], {"value": value})
            await asyncio.gather(*pending)
        assert await connection.call("", "notes", [], {}, 10.0) == expected
    finally:
        await connection.close()


async def test_the_size_limit_does_not_depend_on_what_is_in_flight(served_actor):
    connection = MailboxConnection(served_actor, max_message_bytes=4096)
    try:
        await connection.call("", "echo", [0], {}, 10.0)  # opens the stream
        # Near the limit: refused whether it would leave alone or join a frame.
        near = ["x" * (4096 - 64 - 40 - 5)]
        with pytest.raises(MessageTooLarge):
            connection.submit("", "echo", near, {}, 10.0)  # alone
        busy = connection.submit("", "echo", [1], {}, 10.0)  # the writer is now busy
        with pytest.raises(MessageTooLarge):
            connection.submit("", "echo", near, {}, 10.0)  # queued
        fits = ["x" * (4096 - 64 - 40 - 20)]
        assert await connection.submit("", "echo", fits, {}, 10.0) == fits[0]
        assert await busy == 1
    finally:
        await connection.close()


async def test_calls_on_a_stream_that_is_not_open_are_refused_as_not_delivered(
        served_actor):
    connection = MailboxConnection(served_actor)
    with pytest.raises(NotDelivered):
        connection.submit("", "echo", [1], {}, 10.0)
    with pytest.raises(NotDelivered):
        connection.tell_nowait("", "echo", [1], {})
    assert await connection.call("", "echo", [2], {}, 10.0) == 2  # call opens it
    await connection.close()
    with pytest.raises(NotDelivered):
        connection.submit("", "echo", [3], {}, 10.0)


async def test_the_replies_to_one_frame_of_several_calls_leave_together(served_actor):
    async with grpc.aio.insecure_channel(served_actor) as channel:
        stream = _raw_mailbox_stream(channel)
        # Keyword calls: one envelope each, five in one frame.
        await stream.write(b"".join(
            envelope_json_entry(n, "", "echo", [], {"message": n}, 0.0, False)
            for n in range(1, 6)))
        await stream.done_writing()
        replies = []
        while (response := await asyncio.wait_for(stream.read(), 10)) is not grpc.aio.EOF:
            replies.append([reply.id for reply in response.replies])
        assert replies == [[1, 2, 3, 4, 5]]


async def test_calls_pending_when_the_stream_ends_mid_burst_hear_its_status(actor_server):
    # The server goes away while frames are being written: gRPC core's write fails
    # with an error of its own, but the callers hear the stream's status.
    address, server, actor = actor_server
    connection = MailboxConnection(address)
    try:
        await connection.call("", "echo", [0], {}, 10.0)  # opens the stream
        pending = connection.submit("", "never_answer", [], {}, 30.0)
        # The actor has the call (10 s: far more than a local server needs).
        await wait_for_async(lambda: actor.command_tasks, 10, "the call", interval=0.005)

        async def burst():
            while not connection.closed:
                for n in range(200):
                    connection.tell_nowait("", "echo", [n], {})
                connection.submit("", "echo", [n], {}, 30.0).add_done_callback(
                    lambda future: future.exception())  # (each is failed too)
                await asyncio.sleep(0)

        writing = asyncio.ensure_future(burst())
        await wait_for_async(lambda: connection._writer.writing, 10, "a write",
                             interval=0.005)
        await server.stop(grace=None)
        # The stream's status is UNAVAILABLE, or under load gRPC core's own INTERNAL
        # "Internal error from Core" for a transport torn down mid-write; either way
        # the caller hears that the connection was lost, not the write's error.
        with pytest.raises(ActorUnavailable,
                           match="was lost while the call was pending.*(UNAVAILABLE|INTERNAL)"):
            await asyncio.wait_for(pending, 10)  # 10 s: STATUS_WAIT is 1 s
        await asyncio.wait_for(writing, 10)  # the burst ends once the stream is closed
    finally:
        await connection.close()
