"""Writing batched frames on one gRPC stream, for both ends of the mailbox stream.

Entries (encoded envelopes or replies) queue into frames (see ``wire.FrameQueue``);
one frame is written at a time, and whatever queues meanwhile leaves together in
the next one.

Writes are driven from callbacks rather than by a writer Task: ``flush()`` hands
a lone frame to gRPC synchronously (no task to create and schedule first: one
event-loop turn less per round trip), and since no caller ever awaits a write,
cancelling a caller cannot cancel the stream that every caller shares.
"""

from __future__ import annotations

import asyncio
from typing import Awaitable, Callable

from actorgrpc.contract.wire import FrameQueue


class FrameWriter:
    """Frames waiting for one stream, and the writing of them."""

    def __init__(self, write: Callable[[bytes], Awaitable[None]] | None, *, max_bytes: int,
                 max_entries: int, on_error: Callable[[BaseException], None],
                 on_idle: Callable[[], None] | None = None, max_queued: int = 0,
                 hand_driven: bool = True):
        #: Writes one frame's bytes: the client's stream send (set once the stream is
        #: open, see ``actorgrpc.transport.stream_ops``) or ``context.write`` (server).
        self.write_frame = write
        self.frames = FrameQueue(max_bytes, max_entries)
        #: True while a frame is being written.
        self.writing = False
        self.closed = False
        self._on_error = on_error
        self._on_idle = on_idle
        #: Frames that may wait before ``room()`` makes a sender wait (0: never).
        self._max_queued = max_queued
        self._room: asyncio.Future | None = None
        self._task: asyncio.Task | None = None
        #: Drive each write coroutine by hand (what a Task does, without one per
        #: frame), or run it as a Task: see actorgrpc.transport.stream_ops.FAST_PATH.
        self._hand_driven = hand_driven

    def push(self, entry: bytes) -> int:
        """Queue one entry; the number of frames now waiting."""
        return self.frames.push(entry)

    def flush(self) -> None:
        """Start writing, unless a write is already under way (it takes the rest)."""
        if not self.writing:
            self._write_next()

    def can_write_now(self) -> bool:
        """True when nothing is being written nor waits: a frame may go at once."""
        return not (self.writing or self.frames or self.closed)

    def write_now(self, frame: bytes) -> None:
        """Start writing ``frame`` (already encoded) at once; only when
        ``can_write_now()``.

        A lone message skips the queue: no frame to assemble, fewer steps before
        gRPC has it.
        """
        self.writing = True
        self._start(frame)

    def room(self) -> asyncio.Future | None:
        """None, or a Future resolved once no more than ``max_queued`` frames wait."""
        if not self._max_queued or len(self.frames) <= self._max_queued:
            return None
        if self._room is None:
            self._room = asyncio.get_running_loop().create_future()
        return self._room

    def close(self) -> None:
        """Drop what waits; senders waiting for room are released."""
        self.closed = True
        self.frames.clear()
        self._release_room()

    # -- internals ------------------------------------------------------------

    def _write_next(self) -> None:
        frames = self.frames
        if not frames or self.closed:
            self.writing = False
            if self._on_idle is not None:
                self._on_idle()
            return
        self.writing = True
        frame = frames.pop()
        if self._room is not None and len(frames) <= self._max_queued:
            self._release_room()
        self._start(frame)

    def _start(self, frame: bytes) -> None:
        try:
            write = self.write_frame(frame)
        except BaseException as exc:  # e.g. no stream to write on
            self.writing = False
            self._on_error(exc)
            return
        if self._hand_driven:
            self._step(write)
            return
        task = asyncio.ensure_future(write)
        self._task = task
        task.add_done_callback(self._written)

    def _written(self, task: asyncio.Task) -> None:
        self._task = None
        if task.cancelled():
            self.writing = False
            self._on_error(asyncio.CancelledError())
        elif task.exception() is not None:
            self.writing = False
            self._on_error(task.exception())
        else:
            self._write_next()

    def _step(self, write) -> None:
        """Run the ``write`` coroutine until it waits; resume it when that is done."""
        try:
            waiting = write.send(None)
        except StopIteration:
            self._write_next()
            return
        except BaseException as exc:  # the stream broke, or was cancelled
            self.writing = False
            self._on_error(exc)
            return
        if waiting is None:  # a bare yield: let the loop turn once
            asyncio.get_running_loop().call_soon(self._step, write)
            return
        # (asyncio.isfuture's own test, without a Python call on every write)
        if getattr(waiting, "_asyncio_future_blocking", None) is None:  # not a Future
            write.close()
            self.writing = False
            self._on_error(RuntimeError(f"a gRPC write awaited {waiting!r}"))
            return
        # What a Task does with a Future its coroutine awaits.
        waiting._asyncio_future_blocking = False
        waiting.add_done_callback(lambda _done: self._step(write))

    def _release_room(self) -> None:
        room, self._room = self._room, None
        if room is not None and not room.done():
            room.set_result(None)
