"""The mailbox stream stops reading while its replies cannot be written.

A client that sends asks without reading the replies must not make the actor
queue replies without bound: once a few reply frames wait, the stream reads no
more requests (gRPC's flow control then holds the client back). The gRPC
context is a stand-in here, so that a write can be held pending at will.
"""

import asyncio

import grpc
import pytest

from actorgrpc.actor.context import clear_actor
from actorgrpc.actor.core import Actor
from actorgrpc.actor.mailbox import MailboxHost
from actorgrpc.actor.mailbox_servicer import MAX_REPLY_BATCH, MailboxServicer
from actorgrpc.contract.consts import ACTOR_STATES, KIND_THREAD
from actorgrpc.v1 import mailbox_pb2

#: The message path: run again with gRPC's private fast path off (make test).
pytestmark = pytest.mark.dataplane


class HeldContext:
    """A server-side stream whose writes complete only when released."""

    def __init__(self, frames):
        self.frames = list(frames)
        self.reads = 0
        self.writes: list[asyncio.Future] = []
        self.reading = asyncio.Event()

    async def read(self):
        self.reads += 1
        if not self.frames:
            self.reading.set()
            await asyncio.Event().wait()  # the client sends nothing more
        return self.frames.pop(0)

    async def write(self, data):
        written = asyncio.get_running_loop().create_future()
        self.writes.append(written)
        await written


def _asks(actor, count, first_id):
    """A frame's envelopes, as the stream handler reads them (see read_frame)."""
    return mailbox_pb2.StreamRequest(envelopes=[
        mailbox_pb2.Envelope(id=first_id + n, target=actor.aid, action="echo",
                             args_json=b"[1]") for n in range(count)]).envelopes


async def test_the_stream_reads_no_more_while_replies_pile_up():
    actor = Actor(aid="a1", name="a1", kind=KIND_THREAD, runtime=None, hooks=None)
    actor.bind_loop()
    try:
        await _run_held_stream(actor)
    finally:
        clear_actor(actor)  # bind_loop made it this thread's actor


async def _run_held_stream(actor):
    actor.state = ACTOR_STATES.RUN
    host = MailboxHost()
    host.add(actor, main=True)
    frames = [_asks(actor, MAX_REPLY_BATCH, n * MAX_REPLY_BATCH + 1) for n in range(10)]
    context = HeldContext(frames)
    session = asyncio.ensure_future(MailboxServicer(host).Stream(None, context))
    # Let the stream run as far as it goes while no write ever completes (each turn
    # of the loop lets it read or handle one frame; 200 turns are far more than it
    # needs to read all ten frames if nothing held it back).
    for _ in range(200):
        await asyncio.sleep(0)
    # One reply frame being written, two waiting, one being filled: then it stops.
    assert context.reads <= 4 and len(context.writes) == 1
    assert not context.reading.is_set()
    # Writes completing let it read on, to the end of what the client sent.
    while not context.reading.is_set():
        for written in context.writes:
            if not written.done():
                written.set_result(None)
        await asyncio.sleep(0)
    assert context.reads == 11 and actor.processed == 10 * MAX_REPLY_BATCH
    session.cancel()
    try:
        await session
    except (asyncio.CancelledError, grpc.aio.AioRpcError):
        pass
