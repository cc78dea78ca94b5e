"""The bounds of what clients can make a server hold, with their defaults.

Every number here is a setting of ``actorgrpc serve`` (and of the configuration
file's ``[limits]`` table); the README's "Limits" table says what happens at each edge.
"""

from __future__ import annotations

import dataclasses

__all__ = ["Limits", "DEFAULT_LIMITS", "STREAM_PAUSE_INFLIGHT", "MAX_STREAMS_PER_CONNECTION",
           "MAX_CONCURRENT_RPCS", "MAX_CONNECTION_IDLE_MS"]

#: Commands of one MailboxService.Stream still running (coroutines) at which the
#: stream reads no more frames until some finish: back-pressure before refusal.
STREAM_PAUSE_INFLIGHT = 1024
#: HTTP/2 streams (calls) one client connection may have open at once; more wait on
#: the client's side (the peer's MAX_CONCURRENT_STREAMS).
MAX_STREAMS_PER_CONNECTION = 1024
#: Calls one server runs at once, streams included (each actor's heartbeat is one);
#: beyond, RESOURCE_EXHAUSTED.
MAX_CONCURRENT_RPCS = 20_000
#: A client connection with no call for this long is closed (it reconnects by itself).
MAX_CONNECTION_IDLE_MS = 5 * 60 * 1000


@dataclasses.dataclass(frozen=True)
class Limits:
    """Per-arbiter bounds (RESOURCE_EXHAUSTED beyond each)."""

    #: Live actors (all kinds, monitors' workers included) one arbiter supervises.
    max_actors: int = 1000
    #: Live thread actors: each costs the arbiter a thread and 3 file descriptors.
    max_thread_actors: int = 100
    #: Commands one actor has received and not finished (its mailbox); a call beyond
    #: is refused at once (like Ray's max_pending_calls).
    max_pending_calls: int = 4096

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if type(value) is not int or value < 1:
                raise ValueError(f"{field.name} must be an integer >= 1, got {value!r}")


DEFAULT_LIMITS = Limits()
