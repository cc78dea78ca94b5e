"""Bad input gets a clear error with the right status, and the service keeps serving."""

import grpc
import pytest

import actorgrpc
from actorgrpc.v1 import arbiter_pb2, arbiter_pb2_grpc, mailbox_pb2

from .support import raw_mailbox_stream

#: The message path: run again with gRPC's private fast path off (make test).
pytestmark = pytest.mark.dataplane


@pytest.fixture
async def stub(arbiter_process):
    async with grpc.aio.insecure_channel(arbiter_process.address) as channel:
        yield arbiter_pb2_grpc.ArbiterServiceStub(channel)


@pytest.fixture
async def target(client):
    proxy = await client.spawn(name="target")
    yield proxy
    await client.stop(proxy)


async def _still_serving(client, proxy):
    assert await client.send(proxy, "ping") == "pong"
    assert await client.send_via_arbiter(proxy.name, "ping") == "pong"


async def _raw_stream(address, request, count):
    """Send one StreamRequest on a raw MailboxService.Stream; its replies by id, once
    ``count`` distinct ids have answered."""

    async with grpc.aio.insecure_channel(address) as channel:
        stream = raw_mailbox_stream(channel)
        await stream.write(request)
        replies = {}
        while len(replies) < count:
            response = await stream.read()
            assert response is not grpc.aio.EOF
            replies.update({reply.id: reply for reply in response.replies})
        await stream.done_writing()
    return replies


async def test_unknown_target(client, stub):
    with pytest.raises(actorgrpc.ActorNotFound, match="nobody"):
        await client.send("nobody", "ping")
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await stub.Send(arbiter_pb2.SendRequest(target="nobody", action="ping"))
    assert info.value.code() == grpc.StatusCode.NOT_FOUND
    for call in (client.info, client.stop):
        with pytest.raises(actorgrpc.ActorNotFound):
            await call("nobody")


async def test_unknown_action(client, target):
    with pytest.raises(actorgrpc.CommandNotFound, match="'fly'"):
        await client.send(target, "fly")
    with pytest.raises(actorgrpc.CommandNotFound):
        await client.send_via_arbiter("target", "fly")
    await _still_serving(client, target)


async def test_duplicate_live_name(client, target):
    with pytest.raises(actorgrpc.ActorAlreadyExists, match="target"):
        await client.spawn(name="target")
    await _still_serving(client, target)


@pytest.mark.parametrize("hook, error", [
    ("os:system", actorgrpc.PermissionDenied),
    ("subprocess:run", actorgrpc.PermissionDenied),
    ("not a reference", actorgrpc.InvalidArgument),
    ("tests.sample_actors:no_such_function", actorgrpc.PermissionDenied),
    ("tests.sample_actors", actorgrpc.InvalidArgument),
])
async def test_bad_hook_references(client, hook, error):
    for field in ("start", "stopping", "periodic_task"):
        with pytest.raises(error):
            await client.spawn(name="hooked-badly", **{field: hook})
    assert not await client.list_actors(name_prefix="hooked-badly")


async def test_bad_spawn_parameters(client, stub):
    with pytest.raises(actorgrpc.InvalidArgument, match="kind"):
        await client.spawn(kind="fiber")
    with pytest.raises(actorgrpc.InvalidArgument, match="name"):
        await client.spawn(name="has spaces")
    with pytest.raises(actorgrpc.InvalidArgument, match="unknown spawn parameter"):
        await client.spawn(colour="red")
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await stub.Spawn(arbiter_pb2.SpawnRequest(monitor="no-such-monitor"))
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_wrong_arguments_for_a_command(client, target):
    with pytest.raises(actorgrpc.InvalidArgument, match="missing a required argument"):
        await client.send(target, "add", 1)
    with pytest.raises(actorgrpc.InvalidArgument, match="unexpected keyword"):
        await client.send(target, "ping", colour="red")
    with pytest.raises(actorgrpc.InvalidArgument):
        await client.send_via_arbiter("target", "add", 1, 2, 3)
    await _still_serving(client, target)


async def test_command_that_raises(client, target, stub):
    with pytest.raises(actorgrpc.CommandError) as info:
        await client.send(target, "boom", "kaput")
    assert str(info.value) == "ValueError: kaput"
    assert info.value.remote_type == "ValueError"
    with pytest.raises(grpc.aio.AioRpcError) as raw:
        await stub.Send(arbiter_pb2.SendRequest(target="target", action="boom"))
    assert raw.value.code() == grpc.StatusCode.UNKNOWN
    assert raw.value.details() == "ValueError: boom"
    await _still_serving(client, target)


async def test_command_that_outlives_its_deadline(client, target, stub):
    # 0.2 s deadline against a 30 s command: the margin is two orders of magnitude.
    with pytest.raises(actorgrpc.ActorTimeout):
        await client.send(target, "sleep", 30, _timeout=0.2)
    with pytest.raises(actorgrpc.ActorTimeout):
        await client.send_via_arbiter("target", "sleep", 30, _timeout=0.2)
    with pytest.raises(grpc.aio.AioRpcError) as raw:
        await stub.Send(_sleep_request(30), timeout=0.2)
    assert raw.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    await _still_serving(client, target)
    # The timed-out commands were cancelled inside the actor, not left running.
    info = await client.info(target)
    assert info["events"]["mailbox_depth"] == 0


def _sleep_request(seconds):
    request = arbiter_pb2.SendRequest(target="target", action="sleep")
    request.args.values.add().number_value = seconds
    return request


async def test_arguments_that_are_not_json(client, target):
    with pytest.raises(actorgrpc.InvalidArgument, match="args\\[0\\].*set"):
        await client.send(target, "echo", {1, 2})
    with pytest.raises(actorgrpc.InvalidArgument, match="bytes"):
        await client.send(target, "echo", message=b"raw")
    with pytest.raises(actorgrpc.InvalidArgument, match="JSON"):
        await client.spawn(name="x", extra={"f": object()})
    # A result that is not JSON-shaped is the command's fault: UNKNOWN, clearly worded.
    with pytest.raises(actorgrpc.CommandError, match="not JSON-shaped"):
        await client.send(target, "not_json")
    await _still_serving(client, target)


async def test_huge_messages_are_bounded(client, target, stub):
    huge = "x" * (5 * 1024 * 1024)
    with pytest.raises(actorgrpc.MessageTooLarge, match="exceeds the maximum"):
        await client.send(target, "echo", huge)
    with pytest.raises(grpc.aio.AioRpcError) as raw:
        request = arbiter_pb2.SendRequest(target="target", action="echo")
        request.args.values.add().string_value = huge
        await stub.Send(request)
    assert raw.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    with pytest.raises(actorgrpc.MessageTooLarge):
        await client.send(target, "big_result", 5 * 1024 * 1024)
    await _still_serving(client, target)


async def test_malformed_bytes_on_the_wire(arbiter_process, client, target):
    async with grpc.aio.insecure_channel(arbiter_process.address) as channel:
        raw_send = channel.unary_unary("/actorgrpc.v1.ArbiterService/Send",
                                       request_serializer=None, response_deserializer=None)
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await raw_send(b"\xff\xff\xff\xff not protobuf")
        assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "malformed actorgrpc.v1.SendRequest" in info.value.details()
    await _still_serving(client, target)


async def test_empty_requests(stub):
    for method, request in ((stub.Send, arbiter_pb2.SendRequest()),
                            (stub.Stop, arbiter_pb2.StopRequest()),
                            (stub.GetActor, arbiter_pb2.GetActorRequest()),
                            (stub.Send, arbiter_pb2.SendRequest(target="x")),
                            (stub.ListActors, arbiter_pb2.ListActorsRequest(page_token="?"))):
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await method(request)
        assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_start_hook_that_raises_fails_the_spawn(client):
    with pytest.raises(actorgrpc.SpawnError, match="RuntimeError: cannot start: no database"):
        await client.spawn(name="doomed", start="tests.sample_actors:failing_start")
    assert not await client.list_actors(name_prefix="doomed")
    assert await client.spawn(name="doomed", kind="thread")  # the name is free again
    await client.stop("doomed")


async def test_send_to_actor_that_dies_while_handling(client, stub):
    direct = await client.spawn(name="mortal")
    with pytest.raises(actorgrpc.ActorUnavailable, match="lost"):
        await client.send(direct, "crash")
    await client.spawn(name="mortal-2")
    with pytest.raises(grpc.aio.AioRpcError) as raw:
        await stub.Send(arbiter_pb2.SendRequest(target="mortal-2", action="crash"))
    assert raw.value.code() == grpc.StatusCode.UNAVAILABLE


async def test_mixed_deadlines_each_expire_on_time(client, target):
    # The longer deadline is queued first; the shorter one must not wait behind it.
    slow = client.send(target, "sleep", 30, _timeout=3)
    fast = client.send(target, "sleep", 30, _timeout=0.2)
    with pytest.raises(actorgrpc.ActorTimeout):
        await fast
    # fast expired at ~0.2 s: 2.8 s remain before slow's deadline.
    assert not slow.done()
    with pytest.raises(actorgrpc.ActorTimeout):
        await slow
    await _still_serving(client, target)


async def test_malformed_json_arguments_on_a_raw_stream(client, target):
    """A non-Python sender's bad args_json is refused per message; the stream goes on."""
    from actorgrpc.v1 import mailbox_pb2
    request = mailbox_pb2.StreamRequest(envelopes=[
        mailbox_pb2.Envelope(id=1, target=target.aid, action="echo", args_json=b"[1,"),
        mailbox_pb2.Envelope(id=2, target=target.aid, action="echo", args_json=b"{}"),
        mailbox_pb2.Envelope(id=3, target=target.aid, action="echo", args_json=b'["ok"]'),
    ])
    replies = await _raw_stream(target.address, request, 3)
    invalid = grpc.StatusCode.INVALID_ARGUMENT.value[0]
    assert replies[1].failure.code == invalid and "not valid JSON" in replies[1].failure.message
    assert replies[2].failure.code == invalid and "JSON array" in replies[2].failure.message
    assert replies[3].result_json == b'"ok"'
    await _still_serving(client, target)


async def test_coalesced_tells_on_a_raw_stream(client, target):
    """Tells coalesced in one envelope (batch_args_json) run one by one, in order; a
    bad batch or element is refused alone (and logged), and the stream goes on."""
    from actorgrpc.v1 import mailbox_pb2

    def envelope(**fields):
        return mailbox_pb2.Envelope(target=target.aid, action="note", **fields)

    request = mailbox_pb2.StreamRequest(envelopes=[
        envelope(tell=True, batch_args_json=b"[[1],[2],[3]]"),
        envelope(tell=True, batch_args_json=b"[[4],"),  # not JSON: the whole batch
        envelope(tell=True, batch_args_json=b'{"not": "an array"}'),
        envelope(tell=True, batch_args_json=b'[[5],{"x":1},[6,7],[8]]'),  # bad calls alone
        envelope(tell=True, args_json=b"[9]"),
        mailbox_pb2.Envelope(id=2, target=target.aid, action="notes", args_json=b"[]"),
    ])
    replies = await _raw_stream(target.address, request, 1)
    assert replies[2].result_json == b"[1,2,3,5,8,9]"
    await _still_serving(client, target)


async def test_coalesced_asks_on_a_raw_stream(client, target):
    """Asks coalesced in one envelope: call i has id `id + i` and one reply each
    (consecutive successes share a Reply); bad calls fail alone, in order."""
    from actorgrpc.v1 import mailbox_pb2

    request = mailbox_pb2.StreamRequest(envelopes=[
        mailbox_pb2.Envelope(id=10, target=target.aid, action="echo",
                             batch_args_json=b'[["a"],["b"],{"x":1},["c"],[1,2,3]]'),
        mailbox_pb2.Envelope(id=20, target=target.aid, action="echo", batch_args_json=b"[[1],"),
        mailbox_pb2.Envelope(id=30, target="nobody", action="echo",
                             batch_args_json=b"[[1],[2]]"),
        mailbox_pb2.Envelope(id=40, target=target.aid, action="sleep",  # a coroutine command
                             batch_args_json=b"[[0],[0]]"),
        mailbox_pb2.Envelope(id=50, target=target.aid, action="big_result",  # 51: too large
                             batch_args_json=b"[[3],[%d],[3]]" % (5 * 1024 * 1024)),
    ])
    # 10 (with 11), 12, 13, 14, 20, 30, 31, 40, 41, 50, 51, 52
    replies = await _raw_stream(target.address, request, 12)
    invalid = grpc.StatusCode.INVALID_ARGUMENT.value[0]
    assert replies[10].batch_results_json == b'["a","b"]'  # ids 10 and 11
    assert 11 not in replies
    assert replies[12].failure.code == invalid and "JSON array" in replies[12].failure.message
    assert replies[13].result_json == b'"c"'
    assert replies[14].failure.code == invalid
    assert replies[20].failure.code == invalid and "batch_args_json" in replies[20].failure.message
    assert replies[30].failure.type == replies[31].failure.type == "ActorNotHosted"
    assert replies[40].result_json == replies[41].result_json == b"0"
    assert replies[50].result_json == replies[52].result_json == b'"xxx"'
    assert replies[51].failure.code == grpc.StatusCode.RESOURCE_EXHAUSTED.value[0]
    await _still_serving(client, target)


async def test_a_bad_envelope_gets_its_own_reply_and_the_stream_lives(client, target):
    """Bad UTF-8 in one envelope made the whole frame fail to parse, which ended the
    stream with UNKNOWN for every call on it; now only that envelope is refused."""
    from actorgrpc.contract import wire

    good_before = wire.envelope_json_entry(1, target.aid, "echo", ["a"], None, 0.0, False)
    bad_utf8 = wire.envelope_json_entry(2, target.aid, "echo", ["b"], None, 0.0, False)
    bad_utf8 = bad_utf8.replace(b"echo", b"ech\xff")
    deep = wire.envelope_entry(3, target.aid, "echo", [_nested(150)], None, 0.0, False)
    good_after = wire.envelope_json_entry(4, target.aid, "echo", ["d"], None, 0.0, False)
    async with grpc.aio.insecure_channel(target.address) as channel:
        stream = channel.stream_stream("/actorgrpc.v1.MailboxService/Stream",
                                       request_serializer=None,
                                       response_deserializer=mailbox_pb2.StreamResponse.FromString)()
        await stream.write(good_before + bad_utf8 + deep + good_after)
        replies: dict = {}
        while len(replies) < 4:
            response = await stream.read()
            assert response is not grpc.aio.EOF
            replies.update({reply.id: reply for reply in response.replies})
        assert replies[1].result_json == b'"a"' and replies[4].result_json == b'"d"'
        for call_id in (2, 3):
            assert replies[call_id].failure.code == grpc.StatusCode.INVALID_ARGUMENT.value[0]
            assert "malformed envelope" in replies[call_id].failure.message
        # The same stream still serves; garbage that is not even a frame ends it cleanly.
        await stream.write(wire.envelope_json_entry(5, target.aid, "ping", [], None, 0.0,
                                                    False))
        response = await stream.read()
        assert response.replies[0].result_json == b'"pong"'
        await stream.write(b"\x05garbage")
        with pytest.raises(grpc.aio.AioRpcError) as ended:
            while await stream.read() is not grpc.aio.EOF:
                pass
        assert ended.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert await client.send(target, "ping") == "pong"


def _nested(depth: int):
    value: object = "bottom"
    for _ in range(depth):
        value = [value]
    return value


async def test_errors_echo_a_bounded_prefix_and_carry_details(stub):
    """A 20 kB target used to make a status too large for gRPC's metadata
    (RESOURCE_EXHAUSTED "metadata size exceeds hard limit"); every error, streams
    included, carries the ErrorInfo that clients map from."""
    from actorgrpc.contract.errors import error_info_of

    huge = "t" * 20_000
    for call in (stub.Send(arbiter_pb2.SendRequest(target=huge, action="ping")),
                 stub.Info(arbiter_pb2.InfoRequest(target=huge)),
                 stub.GetActor(arbiter_pb2.GetActorRequest(target=huge)),
                 stub.Stop(arbiter_pb2.StopRequest(target=huge))):
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await call
        assert info.value.code() == grpc.StatusCode.NOT_FOUND
        assert len(info.value.details()) < 300
        assert error_info_of(info.value.trailing_metadata()).metadata["error_class"] == \
            "ActorNotFound"
    logs = stub.Logs(arbiter_pb2.LogsRequest(target=huge))
    with pytest.raises(grpc.aio.AioRpcError) as info:
        async for _ in logs:
            pass
    assert info.value.code() == grpc.StatusCode.NOT_FOUND and len(info.value.details()) < 300
    assert error_info_of(info.value.trailing_metadata()).reason == "ACTOR_NOT_FOUND"


async def test_a_commands_own_timeout_error_is_its_error_not_a_deadline(client, target):
    """UNKNOWN "TimeoutError: ...", as any exception a command raises; only a deadline
    of the call is DEADLINE_EXCEEDED."""
    with pytest.raises(actorgrpc.CommandError, match="TimeoutError: the database") as info:
        await client.send(target, "own_timeout")
    assert info.value.remote_type == "TimeoutError"
    with pytest.raises(actorgrpc.CommandError, match="TimeoutError"):
        await client.send_via_arbiter("target", "own_timeout")
    with pytest.raises(actorgrpc.ActorTimeout):
        await client.send(target, "sleep", 5, _timeout=0.2)
