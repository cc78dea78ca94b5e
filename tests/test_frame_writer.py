"""FrameWriter: one frame written at a time, the rest batched behind it, and write
failures reported instead of leaving the writer stuck."""

import asyncio

import pytest

from actorgrpc.contract.framing import FrameWriter

#: The message path: run again with gRPC's private fast path off (make test).
pytestmark = pytest.mark.dataplane


class Recorder:
    """A stream's write: each frame waits for a Future the test resolves."""

    def __init__(self):
        self.frames = []
        self.in_flight: list[asyncio.Future] = []

    async def write(self, frame: bytes) -> None:
        self.frames.append(frame)
        done = asyncio.get_running_loop().create_future()
        self.in_flight.append(done)
        await done

    def finish_one(self) -> None:
        self.in_flight.pop(0).set_result(None)


def _writer(write, errors: list) -> FrameWriter:
    return FrameWriter(write, max_bytes=1000, max_entries=10, on_error=errors.append)


async def test_write_now_goes_at_once_and_what_follows_waits_for_it():
    stream, errors = Recorder(), []
    writer = _writer(stream.write, errors)
    assert writer.can_write_now()
    writer.write_now(b"lone")
    assert stream.frames == [b"lone"] and writer.writing and not writer.can_write_now()
    for entry in (b"a", b"b", b"c"):
        writer.push(entry)
        writer.flush()
    assert stream.frames == [b"lone"]  # one write at a time
    stream.finish_one()
    await asyncio.sleep(0)  # the write's completion runs on the loop
    assert stream.frames == [b"lone", b"abc"]  # the rest left together
    stream.finish_one()
    await asyncio.sleep(0)
    assert not writer.writing and writer.can_write_now() and errors == []


async def test_a_write_that_cannot_start_is_reported_and_does_not_stick():
    errors = []

    def no_stream(frame):
        raise RuntimeError("no stream")

    writer = _writer(no_stream, errors)
    writer.write_now(b"lone")
    assert [str(error) for error in errors] == ["no stream"]
    assert not writer.writing


async def test_a_write_that_awaits_something_other_than_a_future_is_an_error():
    errors = []

    class NotAFuture:
        def __await__(self):
            yield "not a future"

    async def odd_write(frame):
        await NotAFuture()

    writer = _writer(odd_write, errors)
    writer.write_now(b"lone")
    assert len(errors) == 1 and "awaited" in str(errors[0])
    assert not writer.writing


def test_the_fast_path_has_one_gate():
    """gRPC's private internals are used only on the grpcio releases they were tested
    with, and never with ACTORGRPC_GRPC_FAST_PATH=0."""
    import os
    import subprocess
    import sys

    probe = "from actorgrpc.transport import stream_ops; print(stream_ops.FAST_PATH)"
    for value, expected in (("0", "False"), ("1", None)):
        result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                                env={**os.environ, "ACTORGRPC_GRPC_FAST_PATH": value},
                                timeout=60)
        if expected is None:
            import grpc

            from actorgrpc.transport.stream_ops import FAST_PATH_RELEASES
            expected = str(grpc.__version__.startswith(FAST_PATH_RELEASES))
        assert result.stdout.strip() == expected, result.stderr
