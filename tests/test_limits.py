"""Bounds on what clients can make the service hold (issue 16, items 4, 5 and 7):
full mailboxes, the number of actors and thread actors, ``info`` of a huge
``extra``, and numbers that are not finite. Each bound answers RESOURCE_EXHAUSTED
(or INVALID_ARGUMENT) at once, and the service keeps serving."""

import asyncio
import math
import subprocess
import sys

import grpc
import pytest

import actorgrpc
from actorgrpc.actor.info_bounds import MAX_INFO_EXTRA_BYTES, bounded_extra
from actorgrpc.v1 import arbiter_pb2, arbiter_pb2_grpc, mailbox_pb2

from .support import ROOT, ArbiterProcess, raw_mailbox_stream

#: A small mailbox, so that filling it takes a few calls.
PENDING = 8
#: Seconds a `sleep` call of the tests takes: far longer than the refusals, which
#: come back within milliseconds; the tests stop the actor instead of waiting.
LONG_SLEEP = 30


@pytest.fixture(scope="module")
def limited_arbiter(tmp_path_factory):
    arbiter = ArbiterProcess("--max-pending-calls", str(PENDING), "--max-actors", "4",
                             "--max-thread-actors", "1",
                             run_dir=str(tmp_path_factory.mktemp("run")))
    yield arbiter
    arbiter.stop_and_check()


async def test_a_full_mailbox_refuses_calls_at_once_and_recovers(limited_arbiter):
    async with actorgrpc.connect(limited_arbiter.address) as client:
        proxy = await client.spawn(name="full")
        try:
            calls = [asyncio.ensure_future(client.send(proxy, "sleep", LONG_SLEEP,
                                                       _timeout=LONG_SLEEP + 10))
                     for _ in range(PENDING + 12)]
            # Every refusal comes at once; the PENDING calls that fit are running.
            refused = await _settled(calls, PENDING + 12 - PENDING)
            assert len(refused) == 12
            for call in refused:
                with pytest.raises(actorgrpc.ResourceExhausted, match="mailbox .* is full"):
                    call.result()
            with pytest.raises(actorgrpc.ResourceExhausted):
                await client.send(proxy, "echo", 1)
            # What an operator needs still answers: ping, info, stop.
            assert await client.send(proxy, "ping") == "pong"
            assert (await client.info(proxy))["events"]["mailbox_depth"] == PENDING
        finally:
            await client.stop(proxy)
        # The running calls end with the actor, each with its own answer.
        results = await asyncio.gather(*calls, return_exceptions=True)
        assert sum(isinstance(r, actorgrpc.ActorUnavailable) for r in results) == PENDING


async def _settled(calls, count, timeout=10.0):
    """The first ``count`` calls to finish (10 s: refusals take milliseconds)."""
    async with asyncio.timeout(timeout):
        while sum(call.done() for call in calls) < count:
            await asyncio.wait([c for c in calls if not c.done()],
                               return_when=asyncio.FIRST_COMPLETED)
    return [call for call in calls if call.done()]


async def test_one_frame_of_many_calls_fills_the_mailbox_no_further(limited_arbiter):
    # The attack: one 1 MB frame of 200,000 `sleep` calls took the arbiter from 85
    # to 509 MB. Now PENDING run, every other call gets its own RESOURCE_EXHAUSTED.
    calls = 20_000
    address = limited_arbiter.address
    async with actorgrpc.connect(address) as client:
        proxy = await client.spawn(name="flooded", kind="thread")
        try:
            batch = b"[" + b",".join([b"[%d]" % LONG_SLEEP] * calls) + b"]"
            request = mailbox_pb2.StreamRequest(envelopes=[mailbox_pb2.Envelope(
                id=1, target=proxy.aid, action="sleep", batch_args_json=batch)])
            async with grpc.aio.insecure_channel(address) as channel:
                stream = raw_mailbox_stream(channel)
                await stream.write(request)
                exhausted = grpc.StatusCode.RESOURCE_EXHAUSTED.value[0]
                refused = set()
                async with asyncio.timeout(30):  # 20,000 replies take well under a second
                    while len(refused) < calls - PENDING:
                        response = await stream.read()
                        assert response is not grpc.aio.EOF
                        for reply in response.replies:
                            assert reply.failure.code == exhausted, reply
                            refused.add(reply.id)
                assert refused == set(range(PENDING + 1, calls + 1))
                stream.cancel()
            # A thread actor runs info in its own loop: the info call counts too.
            assert (await client.info(proxy))["events"]["mailbox_depth"] == PENDING + 1
        finally:
            await client.stop(proxy)


async def test_actors_and_thread_actors_are_bounded(limited_arbiter):
    async with actorgrpc.connect(limited_arbiter.address) as client:
        spawned = [await client.spawn(name="t1", kind="thread")]
        try:
            with pytest.raises(actorgrpc.ResourceExhausted, match="max_thread_actors"):
                await client.spawn(name="t2", kind="thread")
            while True:
                try:
                    spawned.append(await client.spawn())
                except actorgrpc.ResourceExhausted as exc:
                    assert "max_actors 4" in str(exc)
                    break
                assert len(spawned) <= 4, "more actors than max_actors"
            assert len(spawned) == 4
            for proxy in spawned:
                assert await client.send(proxy, "ping") == "pong"
        finally:
            for proxy in spawned:
                await client.stop(proxy)
        # Room again once they are gone.
        again = await client.spawn(kind="thread")
        await client.stop(again)


async def test_info_of_a_huge_extra_shows_its_keys(limited_arbiter):
    # The attack: 40 values of 3.9 MB stored with `remember` made Info fail for good.
    async with actorgrpc.connect(limited_arbiter.address) as client:
        proxy = await client.spawn(name="hoarder")
        try:
            for n in range(3):
                await client.send(proxy, "remember", f"k{n}", "x" * (MAX_INFO_EXTRA_BYTES // 2))
            extra = (await client.info(proxy))["extra"]
            assert extra["_keys"][:3] == ["k0", "k1", "k2"]
            assert "info lists its" in extra["_truncated"]
            assert (await client.info("arbiter"))["actor"]["name"] == "arbiter"
        finally:
            await client.stop(proxy)


def test_bounded_extra_keeps_small_values_and_survives_deep_ones():
    assert bounded_extra({"a": [1, 2, {"b": None}]}) == {"a": [1, 2, {"b": None}]}
    deep: list = []
    for _ in range(5000):  # deeper than the recursion limit
        deep = [deep]
    shown = bounded_extra({"deep": deep})
    assert "nested deeper" in str(shown) or "_truncated" in shown


async def test_non_finite_seconds_are_refused(limited_arbiter):
    async with grpc.aio.insecure_channel(limited_arbiter.address) as channel:
        stub = arbiter_pb2_grpc.ArbiterServiceStub(channel)
        for bad in (math.nan, math.inf, -1.0):
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await stub.Send(arbiter_pb2.SendRequest(target="arbiter", action="ping",
                                                        timeout_seconds=bad))
            assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            assert "finite" in caught.value.details()
        response = await stub.Send(arbiter_pb2.SendRequest(target="arbiter", action="ping"))
        assert response.result.string_value == "pong"


@pytest.mark.parametrize("option", ["--heartbeat-interval", "--spawn-timeout"])
@pytest.mark.parametrize("value", ["nan", "inf", "-1", "0"])
def test_the_cli_refuses_non_finite_seconds(option, value):
    result = subprocess.run([sys.executable, "-m", "actorgrpc", "serve", option, value],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2, result.stderr
    assert "finite number of seconds" in result.stderr
