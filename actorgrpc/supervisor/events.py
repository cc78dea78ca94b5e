"""Life-cycle events of actors, published by the arbiter to watchers and listeners."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, cast

from actorgrpc.supervisor.summaries import summary_of, timestamp
from actorgrpc.v1 import arbiter_pb2

if TYPE_CHECKING:
    from actorgrpc.supervisor.record import ActorRecord

logger = logging.getLogger("actorgrpc.supervisor.events")

EXISTING = arbiter_pb2.ACTOR_EVENT_TYPE_EXISTING
SPAWNED = arbiter_pb2.ACTOR_EVENT_TYPE_SPAWNED
RUNNING = arbiter_pb2.ACTOR_EVENT_TYPE_RUNNING
STOPPING = arbiter_pb2.ACTOR_EVENT_TYPE_STOPPING
EXITED = arbiter_pb2.ACTOR_EVENT_TYPE_EXITED
RESTARTED = arbiter_pb2.ACTOR_EVENT_TYPE_RESTARTED
HUNG = arbiter_pb2.ACTOR_EVENT_TYPE_HUNG
FAILED = arbiter_pb2.ACTOR_EVENT_TYPE_FAILED
GAVE_UP = arbiter_pb2.ACTOR_EVENT_TYPE_GAVE_UP

#: Events a slow watcher may lag behind before it is dropped.
WATCHER_QUEUE_SIZE = 10_000

#: ``listener(event, record)``: told of every event, in the arbiter's loop.
Listener = Callable[[arbiter_pb2.WatchActorsResponse, "ActorRecord"], None]


def event_name(event_type: int) -> str:
    """"exited" for ACTOR_EVENT_TYPE_EXITED, and so on."""
    return arbiter_pb2.ActorEventType.Name(event_type).removeprefix(
        "ACTOR_EVENT_TYPE_").lower()


class EventBus:
    """Fan-out of events to stream watchers (queues) and in-process listeners."""

    def __init__(self, history: int = 1000, watcher_queue_size: int = WATCHER_QUEUE_SIZE):
        self.watcher_queue_size = watcher_queue_size
        self._queues: set[Subscription] = set()
        self._listeners: list[Listener] = []
        #: The most recent events, oldest first.
        self.history: deque[arbiter_pb2.WatchActorsResponse] = deque(maxlen=history)

    def publish(self, event_type: int, record: ActorRecord, detail: str = "") -> None:
        """Record and fan out an event about ``record`` (an ActorRecord)."""
        # (cast: protoc's .pyi types an enum field as its enum class; its values are ints)
        event = arbiter_pb2.WatchActorsResponse(type=cast("arbiter_pb2.ActorEventType",
                                                          event_type),
                                                actor=summary_of(record),
                                                time=timestamp(time.time()), detail=detail)
        self.history.append(event)
        for listener in self._listeners:
            try:
                listener(event, record)
            except Exception:
                logger.exception("event listener failed")
        for subscription in list(self._queues):
            try:
                subscription.queue.put_nowait(event)
            except asyncio.QueueFull:
                # A watcher that cannot keep up is cut off rather than slowing the arbiter.
                self._queues.discard(subscription)
                subscription.overflowed = True

    def subscribe(self) -> Subscription:
        subscription = Subscription(self.watcher_queue_size)
        self._queues.add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        self._queues.discard(subscription)

    def add_listener(self, listener: Listener) -> None:
        """Call ``listener(event, record)`` for every event (in the arbiter's loop)."""
        self._listeners.append(listener)


class Subscription:
    """A watcher's queue of events; ``overflowed`` once it fell too far behind."""

    def __init__(self, size: int = WATCHER_QUEUE_SIZE) -> None:
        self.queue: asyncio.Queue[arbiter_pb2.WatchActorsResponse] = asyncio.Queue(size)
        self.overflowed = False
