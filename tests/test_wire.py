"""The hand-written encodings parse back, with the protobuf runtime, to the same messages."""

import math

import pytest

from actorgrpc.contract import wire
from actorgrpc.contract.framing import FrameQueue
from actorgrpc.contract.values import from_list, from_struct, from_value, to_value
from actorgrpc.v1 import mailbox_pb2

#: The message path: run again with gRPC's private fast path off (make test).
pytestmark = pytest.mark.dataplane

VALUES = [None, True, False, 0, -1, 1.5, -2.25e300, 2**53 - 1, -(2**53 - 1), "", "é✓" * 50,
          "x" * 20000,
          [], {}, [1, [2, [3, {"a": None}]]], {"k": {"": [True, {"z": []}]}},
          {"big": list(range(300))}, (1, 2)]


@pytest.mark.parametrize("value", VALUES)
def test_values_round_trip(value):
    data = wire.value_bytes(value)
    parsed = to_value(None)
    parsed.ParseFromString(data)
    expected = list(value) if isinstance(value, tuple) else value
    assert from_value(parsed) == expected
    assert parsed == to_value(value)


@pytest.mark.parametrize("bad", [{1, 2}, b"bytes", object(), 2**53, -(2**53), 2**60, math.nan,
                                 math.inf,
                                 {1: "int key"}, [1, {"x": {2}}]])
def test_not_json_is_refused(bad):
    with pytest.raises(wire.NotJson):
        wire.value_bytes(bad)


def test_envelopes_and_replies_parse_back():
    frame = b"".join([
        wire.envelope_entry(1, "aid1", "echo", ("hi", 2), {"k": [1]}, 5.0, False),
        wire.envelope_entry(0, "", "count", (), {}, 0.0, True),
        wire.envelope_entry(300_000, "a" * 200, "x" * 300, [None], None, 0.25, False),
    ])
    request = mailbox_pb2.StreamRequest.FromString(frame)
    first, second, third = request.envelopes
    assert (first.id, first.target, first.action, first.timeout_seconds, first.tell) == (
        1, "aid1", "echo", 5.0, False)
    assert from_list(first.values.args) == ["hi", 2]
    assert from_struct(first.values.kwargs) == {"k": [1]}
    assert (second.id, second.action, second.tell, second.timeout_seconds) == (0, "count", True, 0)
    assert (third.id, len(third.target), third.timeout_seconds) == (300_000, 200, 0.25)
    response = mailbox_pb2.StreamResponse.FromString(
        wire.reply_entry(7, {"a": [1, None]}) + wire.failure_entry(8, 5, "no actor", "X")
        + wire.reply_entry(2**40, None))
    ok, failed, null = response.replies
    assert ok.id == 7 and from_value(ok.result) == {"a": [1, None]}
    assert not ok.HasField("failure")
    assert failed.HasField("failure") and (failed.failure.code, failed.failure.message,
                                           failed.failure.type) == (5, "no actor", "X")
    assert null.id == 2**40 and null.HasField("result") and from_value(null.result) is None


def test_frame_queue_bounds_frames_by_count_and_bytes():
    queue = FrameQueue(max_bytes=10, max_entries=3)
    assert not queue
    for entry in (b"aaaa", b"bbbb", b"cc", b"d", b"eeeeeeeeee"):
        queue.push(entry)
    # 4+4+2 bytes fill the first frame; "d" starts the next; 10 bytes need their own.
    assert [queue.pop(), queue.pop(), queue.pop()] == [b"aaaabbbbcc", b"d", b"eeeeeeeeee"]
    assert not queue
    for entry in (b"1", b"2", b"3", b"4"):
        queue.push(entry)
    assert queue.pop() == b"123" and queue.pop() == b"4"


def test_consecutive_tells_of_one_command_share_an_envelope():
    queue = FrameQueue(max_bytes=1 << 20, max_entries=5)
    for n in (1, 2, 3):
        queue.push_call(("a1", "count", True, 0.0), wire.json_bytes([n]))
    queue.push_call(("a2", "count", True, 0.0), b"[4]")  # another actor: a new envelope
    queue.push(wire.envelope_json_entry(9, "a2", "echo", [5], {}, 0.0, False))
    queue.push_call(("a2", "count", True, 0.0), b"[6]")  # after an ask: a new envelope, order kept
    # Five calls fill a frame (max_entries counts calls, not envelopes).
    queue.push_call(("a2", "count", True, 0.0), b"[7]")
    envelopes = mailbox_pb2.StreamRequest.FromString(queue.pop()).envelopes
    assert [(e.target, e.action, e.tell, e.batch_args_json, e.args_json, e.id)
            for e in envelopes] == [
        ("a1", "count", True, b"[[1],[2],[3]]", b"", 0),
        ("a2", "count", True, b"", b"[4]", 0),  # one call alone: a plain tell
        ("a2", "echo", False, b"", b"[5]", 9)]
    envelopes = mailbox_pb2.StreamRequest.FromString(queue.pop()).envelopes
    assert [(e.batch_args_json, e.args_json) for e in envelopes] == [(b"[[6],[7]]", b"")]
    assert not queue
    # Bytes bound a batch too: a tell that does not fit starts the next frame. The
    # first call counts its envelope's fields (2 + 5 + ENVELOPE_OVERHEAD bytes) and
    # "[0]," (4), each next one 4 bytes: three fit in 43 bytes, not four.
    queue = FrameQueue(max_bytes=2 + 5 + wire.ENVELOPE_OVERHEAD + 3 * 4,
                            max_entries=100)
    for n in range(4):
        queue.push_call(("a1", "count", True, 0.0), b"[%d]" % n)
    first = mailbox_pb2.StreamRequest.FromString(queue.pop()).envelopes
    second = mailbox_pb2.StreamRequest.FromString(queue.pop()).envelopes
    assert first[0].batch_args_json == b"[[0],[1],[2]]" and second[0].args_json == b"[3]"


def test_frames_are_bounded_in_bytes_for_any_text():
    # A command name of 60 CJK characters is 180 bytes of UTF-8, not 60.
    action = "处理" * 30
    queue = FrameQueue(max_bytes=1000, max_entries=100)
    for n in range(40):
        queue.push_call(("a1", action, False, 5.0), b"[%d]" % n, n + 1)
        queue.push(wire.envelope_json_entry(0, "a1", action, [n], {}, 0.0, True))
    while queue:
        assert len(queue.pop()) <= 1000


def test_json_list_says_why_text_is_not_an_array():
    assert wire.json_list(b'[1, "two"]') == [1, "two"]
    with pytest.raises(ValueError, match="a JSON dict, not an array"):
        wire.json_list(b'{"a": 1}')
    with pytest.raises(ValueError):
        wire.json_list(b"[1,")


def test_consecutive_asks_share_an_envelope_and_a_reply():
    queue = FrameQueue(max_bytes=1 << 20, max_entries=100)
    key = ("a1", "echo", False, 5.0)
    for call_id in (7, 8, 9):
        queue.push_call(key, b"[%d]" % call_id, call_id)
    queue.push_call(key, b"[11]", 11)  # not the next id: a new envelope
    queue.push_call(("a1", "echo", False, 1.0), b"[12]", 12)  # another timeout: new
    envelopes = mailbox_pb2.StreamRequest.FromString(queue.pop()).envelopes
    assert [(e.id, e.tell, e.timeout_seconds, e.batch_args_json, e.args_json)
            for e in envelopes] == [(7, False, 5.0, b"[[7],[8],[9]]", b""),
                                    (11, False, 5.0, b"", b"[11]"),
                                    (12, False, 1.0, b"", b"[12]")]
    replies = mailbox_pb2.StreamResponse.FromString(
        wire.batch_reply_entry(7, [b"7,", b'"eight",']) + wire.batch_reply_entry(9, [b"9,"])
    ).replies
    assert [(r.id, r.batch_results_json, r.result_json) for r in replies] == [
        (7, b'[7,"eight"]', b""), (9, b"", b"9")]


@pytest.mark.parametrize("value", [
    [1, "null", None], {"a": [None, 2.5]}, {1: "int keys become strings"}, (1, 2), 2**53 - 1,
])
def test_json_text_round_trips(value):
    import json
    data = wire.json_bytes(value)
    expected = json.loads(json.dumps(value))
    assert wire.json_value(data) == expected


@pytest.mark.parametrize("bad", [
    math.nan, [1, math.inf], {"x": -math.inf, "y": None}, 2**60, {1, 2}, b"raw", object(),
])
def test_json_text_refuses_what_json_cannot_hold(bad):
    # NaN and the infinities have no JSON form (orjson alone would write null).
    with pytest.raises(wire.NotJson):
        wire.json_bytes(bad)
