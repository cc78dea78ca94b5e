"""Property-based fuzzing of every RPC: any request, valid or hostile, gets a status
code, nothing crashes, and the service keeps serving.

Requests are built from the .proto descriptors (tests/fuzz_strategies.py), so new
fields are fuzzed as soon as they exist; some are sent as raw bytes (truncated or
garbage). ``make test`` runs a bounded number of examples (under a minute);
``make fuzz`` runs many more (ACTORGRPC_FUZZ_EXAMPLES).
"""

from __future__ import annotations

import asyncio
import math
import os

import grpc
import pytest
from google.protobuf.message import DecodeError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import actorgrpc
from actorgrpc.transport.auth import bearer_metadata
from actorgrpc.v1 import arbiter_pb2, mailbox_pb2, monitor_pb2

from .fuzz_strategies import messages, raw_bytes
from .support import ArbiterProcess

#: Examples per RPC: 15 keeps the whole file under a minute in `make test`.
EXAMPLES = int(os.environ.get("ACTORGRPC_FUZZ_EXAMPLES", "15"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize="CI" in os.environ,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture,
                                       HealthCheck.filter_too_much])
#: Seconds one fuzzed call may take: most are refused at once; the margin covers
#: a command given a deadline by the fuzzer (capped below) on a loaded machine.
CALL_TIMEOUT = 15.0
#: Statuses that mean the server failed rather than refused: never acceptable.
FAILURES = {grpc.StatusCode.UNKNOWN, grpc.StatusCode.INTERNAL, grpc.StatusCode.DATA_LOSS}
#: Commands a fuzzer must not call for real: they stop or start things, which is
#: what they are for, not a finding.
DANGEROUS = {"stop", "spawn", "crash", "block", "never_answer", "wait_for_release",
             "spawn_child", "relay", "relay_to_proxy", "leak_credential", "touch", "run"}

ARBITER = "/actorgrpc.v1.ArbiterService/"
MAILBOX = "/actorgrpc.v1.MailboxService/"


class Fuzzed:
    """The arbiter under fuzz, one actor that must keep answering, and a channel."""

    def __init__(self, arbiter: ArbiterProcess):
        self.arbiter = arbiter
        self.address = arbiter.address


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory):
    arbiter = ArbiterProcess(modules=("tests.sample_actors",),
                             run_dir=str(tmp_path_factory.mktemp("run")))
    yield Fuzzed(arbiter)
    arbiter.stop_and_check()


def tame(message):
    """Keep a fuzzed request from doing legitimate damage (stopping the arbiter,
    calling commands that block) while every field stays hostile otherwise."""
    for field in ("action",):
        if hasattr(message, field) and getattr(message, field) in DANGEROUS:
            setattr(message, field, "echo")
    if isinstance(message, arbiter_pb2.StopRequest):
        message.target = "fuzz-" + message.target[:50]
    if isinstance(message, arbiter_pb2.SpawnRequest):
        # A valid but tiny heartbeat timeout would only make the actor "hung" at once:
        # timing chaos, not input validation (NaN, infinities and negatives stay).
        if math.isfinite(message.timeout_seconds) and 0 < message.timeout_seconds < 1:
            message.timeout_seconds = 1.0
        message.name = "fuzz-" + message.name[:60] if message.name else ""
    if isinstance(message, mailbox_pb2.StreamRequest):
        for envelope in message.envelopes:
            if envelope.action in DANGEROUS:
                envelope.action = "echo"
    if isinstance(message, (arbiter_pb2.SendRequest, mailbox_pb2.CallRequest)):
        if math.isfinite(message.timeout_seconds) and message.timeout_seconds > 5:
            message.timeout_seconds = 5
    return message


async def status_of_unary(address: str, method: str, payload: bytes) -> grpc.StatusCode:
    async with grpc.aio.insecure_channel(address) as channel:
        call = channel.unary_unary(method, request_serializer=None,
                                   response_deserializer=None)
        try:
            await call(payload, timeout=CALL_TIMEOUT)
        except grpc.aio.AioRpcError as exc:
            return exc.code()
    return grpc.StatusCode.OK


async def status_of_server_stream(address: str, method: str, payload: bytes,
                                  reads: int = 3) -> grpc.StatusCode:
    """Read a few messages of a server stream (WatchActors, Logs), then cancel."""
    async with grpc.aio.insecure_channel(address) as channel:
        call = channel.unary_stream(method, request_serializer=None,
                                    response_deserializer=None)(payload, timeout=3.0)
        try:
            for _ in range(reads):
                if await call.read() is grpc.aio.EOF:
                    break
        except grpc.aio.AioRpcError as exc:
            # 3 s: a stream with nothing more to say (a quiet WatchActors) ends here.
            return grpc.StatusCode.OK if exc.code() == grpc.StatusCode.DEADLINE_EXCEEDED \
                else exc.code()
        call.cancel()
    return grpc.StatusCode.OK


async def status_of_bidi(address: str, method: str, frames: list[bytes],
                         metadata=()) -> grpc.StatusCode:
    """Write frames on a bidi stream, read what comes back, close; the final status."""
    async with grpc.aio.insecure_channel(address) as channel:
        call = channel.stream_stream(method, request_serializer=None,
                                     response_deserializer=None)(
            metadata=metadata, timeout=CALL_TIMEOUT)
        written = 0
        try:
            for frame in frames:
                await call.write(frame)
                written += 1
            await call.done_writing()
            while await call.read() is not grpc.aio.EOF:
                pass
        except (grpc.aio.AioRpcError, asyncio.InvalidStateError):
            pass
        code = await call.code()
        if written < len(frames) and code == grpc.StatusCode.INTERNAL and \
                "execute_batch" in (await call.debug_error_string() or ""):
            # The server ended the call (its status is lost) while we still wrote:
            # gRPC reports our own failed write, not what the server said.
            return grpc.StatusCode.CANCELLED
        return code


async def still_serving(fuzzed: Fuzzed) -> None:
    assert fuzzed.arbiter.process.poll() is None, fuzzed.arbiter.stderr()
    async with actorgrpc.connect(fuzzed.address) as client:
        assert await client.send("arbiter", "ping", _timeout=CALL_TIMEOUT) == "pong"
        canary = await client.get_actor("fuzz-canary")
        assert await client.send(canary, "ping", _timeout=CALL_TIMEOUT) == "pong"
        # Whatever a fuzzed Spawn started is stopped, so processes do not pile up.
        for summary in await client.list_actors(name_prefix="fuzz-"):
            if summary.actor.name != "fuzz-canary":
                try:
                    await client.stop(summary.actor.aid)
                except actorgrpc.ActorNotFound:
                    pass


@pytest.fixture(scope="module")
def canary(fuzzed):
    async def spawn():
        async with actorgrpc.connect(fuzzed.address) as client:
            return await client.spawn(name="fuzz-canary")

    return asyncio.run(spawn())


def check(code: grpc.StatusCode, what) -> None:
    assert code not in FAILURES, f"{what}: the server failed with {code.name}"


UNARY = [("Spawn", arbiter_pb2.SpawnRequest), ("Send", arbiter_pb2.SendRequest),
         ("Info", arbiter_pb2.InfoRequest), ("Stop", arbiter_pb2.StopRequest),
         ("ListActors", arbiter_pb2.ListActorsRequest),
         ("GetActor", arbiter_pb2.GetActorRequest)]


@pytest.mark.parametrize("method, request_class", UNARY, ids=[m for m, _ in UNARY])
def test_arbiter_service_unary(fuzzed, canary, method, request_class):
    @FUZZ
    @given(request=messages(request_class), raw=raw_bytes(request_class),
           use_raw=st.booleans())
    def run(request, raw, use_raw):
        payload = raw if use_raw else tame(request).SerializeToString()
        if use_raw and method in ("Stop", "Spawn"):
            # Garbage that happens to parse must still be tamed.
            try:
                payload = tame(request_class.FromString(raw)).SerializeToString()
            except DecodeError:
                pass  # garbage that does not parse is sent as it is

        async def go():
            check(await status_of_unary(fuzzed.address, ARBITER + method, payload), request)
            await still_serving(fuzzed)

        asyncio.run(go())

    run()


@pytest.mark.parametrize("method, request_class", [
    ("WatchActors", arbiter_pb2.WatchActorsRequest), ("Logs", arbiter_pb2.LogsRequest)])
def test_arbiter_service_streams(fuzzed, canary, method, request_class):
    @FUZZ
    @given(request=messages(request_class))
    def run(request):
        async def go():
            code = await status_of_server_stream(fuzzed.address, ARBITER + method,
                                                 request.SerializeToString())
            check(code, request)
            await still_serving(fuzzed)

        asyncio.run(go())

    run()


@pytest.mark.parametrize("where", ["arbiter", "actor"])
def test_mailbox_service(fuzzed, canary, where):
    address = fuzzed.address if where == "arbiter" else canary.address

    @FUZZ
    @given(call=messages(mailbox_pb2.CallRequest),
           frames=st.lists(st.one_of(messages(mailbox_pb2.StreamRequest).map(
               lambda m: tame(m).SerializeToString()), st.binary(max_size=100)),
               min_size=1, max_size=4))
    def run(call, frames):
        async def go():
            code = await status_of_unary(address, MAILBOX + "Call",
                                         tame(call).SerializeToString())
            check(code, call)
            check(await status_of_bidi(address, MAILBOX + "Stream", frames), frames)
            await still_serving(fuzzed)

        asyncio.run(go())

    run()


def test_heartbeat_with_and_without_the_credential(fuzzed, canary):
    async def leak():
        async with actorgrpc.connect(fuzzed.address) as client:
            insider = await client.spawn(name="fuzz-insider")
            return await client.send(insider, "leak_credential")

    credential = asyncio.run(leak())

    @FUZZ
    @given(frames=st.lists(st.one_of(
        messages(monitor_pb2.HeartbeatRequest).map(lambda m: m.SerializeToString()),
        st.binary(max_size=100)), min_size=1, max_size=4), with_credential=st.booleans())
    def run(frames, with_credential):
        async def go():
            metadata = bearer_metadata(credential if with_credential else None)
            code = await status_of_bidi(fuzzed.address,
                                        "/actorgrpc.v1.MonitorService/Heartbeat", frames,
                                        metadata)
            check(code, frames)
            assert code != grpc.StatusCode.OK or not frames, "a forged hello was accepted"
            await still_serving(fuzzed)

        asyncio.run(go())

    run()
