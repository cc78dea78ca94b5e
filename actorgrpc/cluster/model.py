"""The plain data the cluster layer gets from etcd: keys, ranges, transaction results, events."""

from __future__ import annotations

import dataclasses
import enum

__all__ = ["Event", "EventType", "KeyValue", "Range", "TxnResult"]


@dataclasses.dataclass(frozen=True)
class KeyValue:
    """A key as stored: its value, revisions and the lease that holds it (0: none)."""

    key: str
    value: bytes
    create_revision: int
    mod_revision: int
    version: int
    lease: int


@dataclasses.dataclass(frozen=True)
class Range:
    """The keys under a prefix, read at one store ``revision`` (watch from revision + 1)."""

    kvs: list[KeyValue]
    revision: int


@dataclasses.dataclass(frozen=True)
class TxnResult:
    """The outcome of a compare-and-write.

    ``succeeded``: the compare held and the write was applied at ``revision``.
    ``current``: the key as it is after the transaction: ours when a put succeeded,
    None after a delete or when the key is absent, the other owner's otherwise.
    """

    succeeded: bool
    revision: int
    current: KeyValue | None

    @property
    def won(self) -> bool:
        """Alias of ``succeeded`` for :meth:`EtcdClient.create_if_absent`."""
        return self.succeeded


class EventType(enum.Enum):
    """What happened to a key."""

    PUT = "put"
    DELETE = "delete"


@dataclasses.dataclass(frozen=True)
class Event:
    """One change seen by a watch.

    ``revision`` is the store revision of the change (all the keys a transaction or a
    lease expiry removed share one). For a DELETE, ``value`` is empty and ``lease``,
    ``create_revision`` and ``version`` are 0; ``prev`` is the key before the change
    when the watch asked for it.
    """

    type: EventType
    key: str
    value: bytes
    revision: int
    create_revision: int
    version: int
    lease: int
    prev: KeyValue | None = None
