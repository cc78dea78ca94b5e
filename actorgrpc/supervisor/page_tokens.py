"""ListActors' pages: which actors a page lists, and opaque page tokens (where the
previous page ended, bound to its filters).

A token names the last row of a page by its sort key (name, creation time, aid),
so a page starts after it even when actors came or went meanwhile: nothing is
skipped or listed twice. It is base64url JSON a client must not build: one that
does not decode, or was made for other filters, is INVALID_ARGUMENT.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, TypeVar

from actorgrpc.contract.enums import state_from_wire
from actorgrpc.contract.errors import InvalidArgument

if TYPE_CHECKING:
    from actorgrpc.v1 import arbiter_pb2

__all__ = ["PageCursor", "PageQuery"]

#: Longest token accepted: a name is at most 128 characters.
MAX_TOKEN_LENGTH = 1024
#: Actors on one page: at most, and when the request does not say.
MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 100


class Listed(Protocol):
    """What a page is sorted by: any listed actor (a record, a local or remote actor)."""

    @property
    def name(self) -> str: ...

    @property
    def aid(self) -> str: ...

    @property
    def state(self) -> int: ...


#: A listed actor of some kind (the page holds what it was given).
_Item = TypeVar("_Item", bound=Listed)


@dataclass(frozen=True)
class PageCursor:
    """Encodes and decodes the page tokens of one set of filters."""

    filters: str

    @classmethod
    def for_filters(cls, *filters: object) -> PageCursor:
        text = json.dumps([str(f) for f in filters])
        return cls(hashlib.sha256(text.encode()).hexdigest()[:16])

    @staticmethod
    def key_of(item: Listed) -> tuple[str, float, str]:
        """The sort key of a listed actor."""
        return (item.name, float(getattr(item, "created_at", 0.0)), item.aid)

    def encode(self, key: tuple[str, float, str]) -> str:
        data = json.dumps([*key, self.filters], separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(data).decode().rstrip("=")

    def decode(self, token: str) -> tuple[str, float, str]:
        try:
            if len(token) > MAX_TOKEN_LENGTH:
                raise ValueError
            data = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            name, created_at, aid, filters = json.loads(data)
            if not (isinstance(name, str) and isinstance(aid, str)
                    and isinstance(created_at, (int, float)) and not isinstance(created_at, bool)
                    and created_at >= 0 and filters == self.filters):
                raise ValueError
        except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
            raise InvalidArgument("bad page_token: pass the next_page_token of the previous "
                                  "page, with the same filters") from None
        return (name, float(created_at), aid)


@dataclass(frozen=True)
class PageQuery:
    """What one ListActors call asks for: its filters, its page size, where it starts."""

    name_prefix: str
    #: pulsar's number of the state asked for; None: any.
    state: int | None
    monitor: str
    page_size: int
    cursor: PageCursor
    #: The sort key of the previous page's last actor; None: the first page.
    after: tuple[str, float, str] | None

    @classmethod
    def of(cls, request: arbiter_pb2.ListActorsRequest) -> PageQuery:
        """INVALID_ARGUMENT for a negative page size, an unknown state or a bad token."""
        page_size = request.page_size or DEFAULT_PAGE_SIZE
        if page_size < 0:
            raise InvalidArgument("page_size must not be negative")
        state = state_from_wire(request.state) if request.state else None
        if request.state and state is None:
            raise InvalidArgument(f"unknown state {request.state}")
        cursor = PageCursor.for_filters(request.name_prefix, request.state, request.monitor,
                                        request.include_exited)
        after = cursor.decode(request.page_token) if request.page_token else None
        return cls(name_prefix=request.name_prefix, state=state, monitor=request.monitor,
                   page_size=min(page_size, MAX_PAGE_SIZE), cursor=cursor, after=after)

    def page(self, candidates: Iterable[_Item], monitor_of: Callable[[_Item], str],
             ) -> tuple[list[_Item], str]:
        """The candidates on this page, in order, and the next page's token ("" if none)."""
        rows: list[tuple[tuple[str, float, str], _Item]] = []
        for item in candidates:
            if self.name_prefix and not item.name.startswith(self.name_prefix):
                continue
            if self.state is not None and item.state != self.state:
                continue
            if self.monitor and monitor_of(item) != self.monitor:
                continue
            key = PageCursor.key_of(item)
            if self.after is None or key > self.after:
                rows.append((key, item))
        rows.sort(key=lambda row: row[0])
        page = rows[:self.page_size]
        token = self.cursor.encode(page[-1][0]) if len(rows) > self.page_size else ""
        return [item for _key, item in page], token
