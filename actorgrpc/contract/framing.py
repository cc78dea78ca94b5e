"""Writing batched frames on one gRPC stream, for both ends of the mailbox stream.

Entries (encoded envelopes or replies) queue into frames (FrameQueue);
one frame is written at a time, and whatever queues meanwhile leaves together in
the next one.

Writes are driven from callbacks rather than by a writer Task: ``flush()`` hands
a lone frame to gRPC synchronously (no task to create and schedule first: one
event-loop turn less per round trip), and since no caller ever awaits a write,
cancelling a caller cannot cancel the stream that every caller shares.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Coroutine
from typing import Any, cast

from actorgrpc.contract.wire import ENVELOPE_OVERHEAD, BatchKey, CallBatch, utf8_len


class FrameWriter:
    """Frames waiting for one stream, and the writing of them."""

    def __init__(self, write: Callable[[bytes], Coroutine[Any, Any, None]] | None, *,
                 max_bytes: int,
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
        self._room: asyncio.Future[None] | None = None
        self._task: asyncio.Task[None] | None = None
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

    def room(self) -> asyncio.Future[None] | None:
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
            # None (no stream to write on yet) raises TypeError, reported below.
            write = self.write_frame(frame)  # type: ignore[misc]
        except Exception as exc:  # noqa: BLE001 - e.g. no stream to write on: on_error gets it
            self.writing = False
            self._on_error(exc)
            return
        if self._hand_driven:
            self._step(write)
            return
        task = asyncio.ensure_future(write)
        self._task = task
        task.add_done_callback(self._written)

    def _written(self, task: asyncio.Task[None]) -> None:
        self._task = None
        if task.cancelled():
            self.writing = False
            self._on_error(asyncio.CancelledError())
        elif (error := task.exception()) is not None:
            self.writing = False
            self._on_error(error)
        else:
            self._write_next()

    def _step(self, write: Coroutine[Any, Any, None]) -> None:
        """Run the ``write`` coroutine until it waits; resume it when that is done."""
        try:
            waiting = write.send(None)
        except StopIteration:
            self._write_next()
            return
        except (Exception, asyncio.CancelledError) as exc:  # noqa: BLE001 - broke or cancelled
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


class FrameQueue:
    """Encoded entries waiting to be written, grouped into frames.

    Both ends of the mailbox stream batch this way: whatever queues while a frame is
    being written leaves together in the next one, and a frame never holds more than
    ``max_entries`` calls nor more than ``max_bytes`` bytes. Calls may also be
    coalesced (``push_call``): consecutive calls of one command to one actor share
    one envelope, so a burst costs one envelope instead of one per message.
    """

    def __init__(self, max_bytes: int, max_entries: int):
        self.max_bytes = max_bytes
        self.max_entries = max_entries
        self._frames: deque[list[bytes | CallBatch]] = deque()
        self._size = 0  # bytes in the last frame
        self._count = 0  # calls in the last frame
        #: The CallBatch the last frame ends with, while more calls may join it.
        self._batch: CallBatch | None = None
        #: ids of the frames holding a CallBatch (encoded when popped).
        self._with_batches: set[int] = set()

    def push(self, entry: bytes) -> int:
        """Queue an entry; the number of frames now waiting."""
        self._batch = None  # later tells must not overtake this entry
        size = len(entry)
        frames = self._frames
        if (not frames or self._count >= self.max_entries
                or self._size + size > self.max_bytes):
            frames.append([])
            self._size = 0
            self._count = 0
        frames[-1].append(entry)
        self._size += size
        self._count += 1
        return len(frames)

    def push_call(self, key: BatchKey, part: bytes, call_id: int = 0) -> int:
        """Queue a call whose arguments are the JSON array ``part``: it joins the
        batch the last frame ends with when that has the same ``key`` (see
        CallBatch) and, for an ask, ``call_id`` follows its last id; else it starts
        a batch. The number of frames now waiting."""
        size = len(part) + 1
        batch = self._batch
        frames = self._frames
        if (batch is not None and batch.key == key and self._count < self.max_entries
                and self._size + size <= self.max_bytes
                and (not call_id or batch.first_id + len(batch.parts) == call_id)):
            batch.parts.append(part + b",")  # listed(part), inline: the hot path
        else:
            size += utf8_len(key[0]) + utf8_len(key[1]) + ENVELOPE_OVERHEAD
            if (not frames or self._count >= self.max_entries
                    or self._size + size > self.max_bytes):
                frames.append([])
                self._size = 0
                self._count = 0
            batch = self._batch = CallBatch(key, call_id, part)
            frames[-1].append(batch)
            self._with_batches.add(id(frames[-1]))
        self._size += size
        self._count += 1
        return len(frames)

    def pop(self) -> bytes:
        """The oldest frame, as the bytes of one StreamRequest or StreamResponse."""
        frame = self._frames.popleft()
        if not self._frames:
            self._size = 0
            self._count = 0
            self._batch = None
        if self._with_batches and id(frame) in self._with_batches:
            self._with_batches.discard(id(frame))
            return b"".join([entry.encode() if isinstance(entry, CallBatch) else entry
                             for entry in frame])
        return b"".join(cast("list[bytes]", frame))  # no CallBatch in this frame

    def clear(self) -> None:
        self._frames.clear()
        self._size = 0
        self._count = 0
        self._batch = None
        self._with_batches.clear()

    def __bool__(self) -> bool:
        return bool(self._frames)

    def __len__(self) -> int:
        """The number of frames waiting."""
        return len(self._frames)
