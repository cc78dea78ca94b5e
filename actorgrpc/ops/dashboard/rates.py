"""Messages per second across the arbiter, from the ``processed`` of heartbeats.

Heartbeats arrive once per heartbeat interval, so the per-second difference of
the counters jumps between 0 and twice the real rate; the rate is therefore
taken over a window of a few seconds of a cumulative total. An actor that
restarts comes back with a new aid and its counter from 0: only increases of a
known aid (or all of a new aid's) are added, so a restart never makes the total go
backwards.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from actorgrpc.supervisor.record import ActorRecord

#: Points kept for the chart (one per sample).
HISTORY_POINTS = 300


class RateTracker:
    """Samples the registry; ``points()`` is [[unix time, messages/s], ...]."""

    def __init__(self, window_seconds: float = 3.0, history: int = HISTORY_POINTS):
        self.window = window_seconds
        self.total = 0
        self.samples: deque[tuple[float, int]] = deque(maxlen=history + 64)
        self.series: deque[list[float]] = deque(maxlen=history)
        #: Per-aid rate over the window (for the table's MSG/S column).
        self.actor_rates: dict[str, float] = {}
        self._actor_samples: dict[str, deque[tuple[float, int]]] = {}

    def sample(self, records: Iterable[ActorRecord], now: float | None = None,
               wall: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        wall = time.time() if wall is None else wall
        seen: set[str] = set()
        previous_time = self.samples[-1][0] if self.samples else None
        for record in records:
            processed = int(record.load.processed)
            history = self._actor_samples.get(record.aid)
            if history is None:
                history = self._actor_samples[record.aid] = deque(maxlen=64)
                # An aid first seen after the first sample is a new actor that counted
                # from 0 since then; at the first sample, counters hold older history.
                if previous_time is not None:
                    history.append((previous_time, 0))
            before = history[-1][1] if history else processed
            if processed > before:
                self.total += processed - before
            history.append((now, processed))
            seen.add(record.aid)
            self.actor_rates[record.aid] = _rate(history, now, self.window)
        for aid in set(self._actor_samples) - seen:
            del self._actor_samples[aid]
            self.actor_rates.pop(aid, None)
        self.samples.append((now, self.total))
        self.series.append([round(wall, 3), round(_rate(self.samples, now, self.window), 3)])

    def points(self) -> list[list[float]]:
        return list(self.series)


def _rate(samples: deque[tuple[float, int]], now: float, window: float) -> float:
    """Increase per second of the last sample over the oldest one within ``window``."""
    newest_time, newest = samples[-1]
    oldest_time, oldest = newest_time, newest
    for sample_time, value in reversed(samples):
        if now - sample_time > window:
            break
        oldest_time, oldest = sample_time, value
    elapsed = newest_time - oldest_time
    return max(0.0, (newest - oldest) / elapsed) if elapsed > 0 else 0.0
