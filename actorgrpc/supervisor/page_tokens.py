"""Opaque page tokens for ListActors: where the previous page ended, bound to its filters.

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
from dataclasses import dataclass

from actorgrpc.contract.errors import InvalidArgument

__all__ = ["PageCursor"]

#: Longest token accepted: a name is at most 128 characters.
MAX_TOKEN_LENGTH = 1024


@dataclass(frozen=True)
class PageCursor:
    """Encodes and decodes the page tokens of one set of filters."""

    filters: str

    @classmethod
    def for_filters(cls, *filters) -> PageCursor:
        text = json.dumps([str(f) for f in filters])
        return cls(hashlib.sha256(text.encode()).hexdigest()[:16])

    @staticmethod
    def key_of(item) -> tuple[str, float, str]:
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
