"""Actor output files: tailing, following and size-based rotation."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections import deque
from collections.abc import AsyncIterator, Callable

#: Rotate an actor's output file once it is larger than this many bytes.
DEFAULT_MAX_LOG_BYTES = 10 * 1024 * 1024
#: Rotated files kept beside the live one (NAME.log.1 ... NAME.log.N).
DEFAULT_LOG_BACKUPS = 3
#: Seconds between two looks at a followed file.
FOLLOW_POLL_INTERVAL = 0.2
#: The most a follower reads at once, and the longest line it holds back waiting
#: for its end (a longer one is sent in pieces).
FOLLOW_READ_BYTES = 1 << 20


def size_of(path: str) -> int:
    """The size of a file in bytes (0 when it does not exist)."""
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def tail(path: str, lines: int, end: int | None = None) -> list[str]:
    """The last ``lines`` lines of a file before byte ``end`` (default: its end)."""
    if lines <= 0 or not path or not os.path.exists(path):
        return []
    with open(path, "rb") as handle:
        handle.seek(0, os.SEEK_END)
        size = handle.tell() if end is None else min(end, handle.tell())
        block = 64 * 1024
        data = b""
        while size > 0 and data.count(b"\n") <= lines:
            step = min(block, size)
            size -= step
            handle.seek(size)
            data = handle.read(step) + data
    return list(deque(data.decode("utf-8", "replace").splitlines(), maxlen=lines))


async def follow(path: str, alive: Callable[[], bool],
                 position: int = 0) -> AsyncIterator[list[str]]:
    """Yield batches of lines appended to ``path`` after byte ``position``, while
    ``alive()`` is true.

    Survives copy-truncate rotation (the file shrinking restarts reading at 0).
    """
    pending = b""
    while True:
        # Off the event loop (a file may sit on a slow disk), a bounded step at a time
        # (a log that grew by gigabytes is sent in pieces, not read whole).
        size, data = await asyncio.to_thread(_read_step, path, position)
        if size < position:
            position = 0
            continue
        if data:
            position += len(data)
            data = pending + data
            complete, _, pending = data.rpartition(b"\n")
            if len(pending) > FOLLOW_READ_BYTES:
                complete, pending = data, b""
            if complete:
                yield complete.decode("utf-8", "replace").split("\n")
        elif not alive():
            if pending:
                yield [pending.decode("utf-8", "replace")]
            return
        else:
            await asyncio.sleep(FOLLOW_POLL_INTERVAL)


def _read_step(path: str, position: int) -> tuple[int, bytes]:
    """The file's size and up to FOLLOW_READ_BYTES of it from ``position``."""
    try:
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size <= position:
                return size, b""
            handle.seek(position)
            return size, handle.read(min(size - position, FOLLOW_READ_BYTES))
    except FileNotFoundError:
        return 0, b""


def rotate_if_large(path: str, max_bytes: int = DEFAULT_MAX_LOG_BYTES,
                    backups: int = DEFAULT_LOG_BACKUPS) -> bool:
    """Copy-truncate ``path`` into ``path.1`` (shifting older ones) when too large.

    The actor keeps writing to the same file descriptor (opened O_APPEND), so
    truncating in place is what lets rotation work without its cooperation; the
    lines written between the copy and the truncation (microseconds) may be lost.
    """
    try:
        if os.path.getsize(path) <= max_bytes:
            return False
    except OSError:
        return False
    for index in range(backups - 1, 0, -1):
        older = f"{path}.{index}"
        if os.path.exists(older):
            os.replace(older, f"{path}.{index + 1}")
    shutil.copyfile(path, f"{path}.1")
    with open(path, "r+b") as handle:
        handle.truncate(0)
    return True
