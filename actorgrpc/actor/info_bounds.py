"""Bounds on what ``info`` shows of user data, so that it always fits in a reply.

``extra`` and notifications are filled by user commands (``remember`` of the demo
stores anything a client sends): without a bound, 40 values of 3.9 MB made every
``Info`` of that actor fail with "message larger than max", for good.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeAlias

__all__ = ["MAX_INFO_EXTRA_BYTES", "MAX_NOTIFICATION_CHARS", "JsonValue", "bounded_extra",
           "bounded_message", "jsonable"]

#: A JSON-shaped value, as ``info`` shows user data.
JsonValue: TypeAlias = "None | bool | int | float | str | list[JsonValue] | dict[str, JsonValue]"

#: Approximate JSON size of ``extra`` that ``info`` shows whole; beyond, its keys only.
MAX_INFO_EXTRA_BYTES = 256 * 1024
#: Characters of a notification's message that are kept.
MAX_NOTIFICATION_CHARS = 1024
#: Nesting that ``info`` follows (deeper values are shown by their type).
MAX_DEPTH = 32
#: Keys of an oversized ``extra`` listed instead of its values.
MAX_KEYS_LISTED = 100


def jsonable(value: object, depth: int = 0) -> JsonValue:
    """A copy of ``value`` where anything that is not JSON-shaped is its repr."""
    if depth >= MAX_DEPTH:
        return f"<{type(value).__name__} nested deeper than {MAX_DEPTH}>"
    if isinstance(value, dict):
        return _jsonable_dict(value, depth)
    if isinstance(value, list | tuple):
        return [jsonable(v, depth + 1) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return repr(value)[:MAX_NOTIFICATION_CHARS]


def _jsonable_dict(value: Mapping[Any, object], depth: int) -> dict[str, JsonValue]:
    """``jsonable`` of a dictionary at ``depth`` (below MAX_DEPTH)."""
    return {str(k): jsonable(v, depth + 1) for k, v in value.items()}


def _fits(value: object, budget: int, depth: int = 0) -> int:
    """``budget`` less the approximate JSON size of ``value``; negative once over
    (the walk stops there, so a huge value costs no more than the bound)."""
    if budget < 0 or depth >= MAX_DEPTH:
        return budget - 16
    if isinstance(value, str | bytes):
        return budget - len(value) - 2
    if isinstance(value, dict):
        for key, item in value.items():
            budget = _fits(item, budget - len(str(key)) - 4, depth + 1)
            if budget < 0:
                break
        return budget - 2
    if isinstance(value, list | tuple):
        for item in value:
            budget = _fits(item, budget - 1, depth + 1)
            if budget < 0:
                break
        return budget - 2
    return budget - 24


def bounded_extra(extra: Mapping[str, object]) -> dict[str, JsonValue]:
    """``extra`` as ``info`` shows it: whole when small, else its keys and a note."""
    if _fits(extra, MAX_INFO_EXTRA_BYTES) >= 0:
        return _jsonable_dict(extra, 0)
    keys = sorted(str(key) for key in extra)
    return {"_truncated": f"extra holds more than {MAX_INFO_EXTRA_BYTES} bytes: info "
                          f"lists its {len(keys)} keys only",
            "_keys": [key[:200] for key in keys[:MAX_KEYS_LISTED]]}


def bounded_message(message: object) -> JsonValue:
    """A notification's message as kept: JSON-shaped and at most
    MAX_NOTIFICATION_CHARS characters of JSON-ish size."""
    if isinstance(message, str):
        return message[:MAX_NOTIFICATION_CHARS]
    if _fits(message, MAX_NOTIFICATION_CHARS) >= 0:
        return jsonable(message)
    return repr(message)[:MAX_NOTIFICATION_CHARS]
