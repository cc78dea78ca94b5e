"""Reading py-spy's collapsed stacks (``--format raw``): where one thread's time goes.

Each line is ``frame;frame;...;leaf COUNT`` (with ``--threads``, the first frame
names the thread). Shares are of that thread's samples: *self* counts a frame
when it is the leaf, *inclusive* when it is anywhere in the stack. Frames present
in nearly every stack (the chain from ``main`` down to the event loop) say
nothing and are left out of the inclusive table. ("Nearly every": py-spy's
``--nonblocking`` reads a running thread's stack, and one in ten comes back cut
short above the loop; its leaf, what self shares count, is still right.)
"""

from __future__ import annotations

import collections
import os
import re

#: A frame present in at least this share of the most common frame's samples is
#: part of the root chain (runpy, click, Arbiter.start, the loop's run_forever).
ROOT_CHAIN_SHARE = 0.95

_PYTHON_FRAME = re.compile(r"\(.*\.py:\d+\)$")
_SITE_PACKAGES = re.compile(r"/\S*?/site-packages/")
#: The checkout (actorgrpc is installed from it in editable mode).
_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))) + os.sep


class ThreadProfile:
    """Samples of the threads whose label contains ``thread`` (all when empty)."""

    def __init__(self, lines, thread: str = "MainThread"):
        self.total = 0
        self.self_counts: collections.Counter = collections.Counter()
        self.inclusive: collections.Counter = collections.Counter()
        for line in lines:
            stack, _, count = line.rstrip().rpartition(" ")
            if not stack or not count.isdigit():
                continue
            frames = stack.split(";")
            if frames[0].startswith("thread ("):
                if thread not in frames[0]:
                    continue
                frames = frames[1:]
            if not frames:  # a thread caught between Python frames
                continue
            count = int(count)
            self.total += count
            self.self_counts[frames[-1]] += count
            for frame in set(frames):
                self.inclusive[frame] += count

    def share(self, count: int) -> float:
        return count / self.total if self.total else 0.0

    def top_self(self, limit: int) -> list[tuple[str, float]]:
        return [(short(frame), self.share(count))
                for frame, count in self.self_counts.most_common(limit)]

    def top_inclusive(self, limit: int, python_only: bool = True) -> list[tuple[str, float]]:
        """Frames by inclusive share, below the root chain (Python frames only by
        default: native frames without symbols are addresses)."""
        rows = []
        most = max(self.inclusive.values(), default=0)
        for frame, count in self.inclusive.most_common():
            if count >= ROOT_CHAIN_SHARE * most:
                continue
            if python_only and not _PYTHON_FRAME.search(frame):
                continue
            rows.append((short(frame), self.share(count)))
            if len(rows) == limit:
                break
        return rows


def short(frame: str) -> str:
    """A frame without the site-packages or checkout prefix of its path."""
    return _SITE_PACKAGES.sub("", frame).replace(_ROOT, "")


def table(rows: list[tuple[str, float]], title: str) -> str:
    lines = [f"{'share':>6}  {title}"]
    lines += [f"{100 * share:5.1f}%  {frame}" for frame, share in rows]
    return "\n".join(lines)
