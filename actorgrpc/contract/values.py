"""Conversion between Python values and JSON-shaped protobuf values.

Everything user code sends or returns crosses the wire as ``google.protobuf.Value``
(JSON's data model), so Go, Node.js and grpcurl read it as plain JSON and nothing
is ever unpickled. Numbers are JSON numbers (doubles): integral numbers come back
as ``int``, others as ``float``.

The number policy, the same in every client and server (and in the conformance
cases): an integer must lie within ±(2^53 − 1), where a double still holds every
integer exactly; beyond, and NaN and the infinities, are refused with
INVALID_ARGUMENT and ``out_of_range_message``'s words, never silently rounded. (A
float is a float at any finite size; JavaScript, which cannot tell 1e300 from an
integer, refuses it as one.)
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from google.protobuf import struct_pb2

from actorgrpc.contract.errors import InvalidArgument

#: The largest integer every client's JSON numbers hold exactly (JavaScript's
#: Number.MAX_SAFE_INTEGER).
MAX_SAFE_INTEGER = 2**53 - 1
_MAX_SAFE_INT = MAX_SAFE_INTEGER
_NULL = struct_pb2.NULL_VALUE


def out_of_range_message(number: int) -> str:
    """The words of the number policy, in every client and server."""
    return (f"integer {shown_number(number)} is out of range: JSON-shaped values carry "
            "integers within ±(2^53 - 1)")


def shown_number(number: int) -> str:
    text = str(number)
    return text if len(text) <= 40 else f"{text[:20]}…({len(text)} digits)"


def check_numbers(value: Any) -> None:
    """InvalidArgument when ``value`` (parsed JSON) holds a number the policy refuses:
    an integer beyond ±(2^53 - 1), or a non-finite number. Walks without recursion."""
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is int:
            if not -_MAX_SAFE_INT <= item <= _MAX_SAFE_INT:
                raise InvalidArgument(out_of_range_message(item))
        elif kind is float:
            if not math.isfinite(item):
                raise InvalidArgument(f"{item} is not a JSON number")
        elif kind is list:
            stack.extend(item)
        elif kind is dict:
            stack.extend(item.values())


class _NotJson(Exception):
    """Raised on the fast path; the slow path then says where and why."""


def _fill_value(value: struct_pb2.Value, obj: Any) -> None:
    # Exact type checks first: they are the common case and the cheapest.
    kind = type(obj)
    if kind is str:
        value.string_value = obj
    elif kind is int:
        if -_MAX_SAFE_INT <= obj <= _MAX_SAFE_INT:
            value.number_value = obj
        else:
            raise _NotJson
    elif kind is float:
        if obj - obj == 0.0:  # finite: inf - inf and nan - nan are nan
            value.number_value = obj
        else:
            raise _NotJson
    elif kind is bool:
        value.bool_value = obj
    elif obj is None:
        value.null_value = _NULL
    elif kind is dict:
        _fill_struct(value.struct_value, obj)
    elif kind is list or kind is tuple:
        _fill_list(value.list_value, obj)
    elif isinstance(obj, bool):
        value.bool_value = bool(obj)
    elif isinstance(obj, int):
        _fill_value(value, int(obj))
    elif isinstance(obj, float):
        _fill_value(value, float(obj))
    elif isinstance(obj, str):
        value.string_value = str(obj)
    elif isinstance(obj, dict):
        _fill_struct(value.struct_value, obj)
    elif isinstance(obj, (list, tuple)):
        _fill_list(value.list_value, obj)
    else:
        raise _NotJson


def _fill_struct(struct: struct_pb2.Struct, obj: dict[Any, Any]) -> None:
    if not obj:
        # An empty Struct must still be marked as set inside its Value.
        struct.Clear()
        return
    fields = struct.fields
    for key, item in obj.items():
        if type(key) is not str:
            raise _NotJson
        _fill_value(fields[key], item)


def _fill_list(lst: struct_pb2.ListValue, obj: Iterable[Any]) -> None:
    if not obj:
        lst.Clear()
        return
    add = lst.values.add
    for item in obj:
        _fill_value(add(), item)


def _problem(obj: Any, path: str) -> str:
    """Where and why ``obj`` is not JSON-shaped (the slow path, for the message)."""
    if isinstance(obj, bool) or obj is None or isinstance(obj, str):
        return ""
    if isinstance(obj, int):
        if -_MAX_SAFE_INT <= obj <= _MAX_SAFE_INT:
            return ""
        return f"{path}: {out_of_range_message(obj)}"
    if isinstance(obj, float):
        return "" if math.isfinite(obj) else f"{path}: {obj} is not a JSON number"
    if isinstance(obj, dict):
        for key, item in obj.items():
            if not isinstance(key, str):
                return f"{path}: dictionary key {key!r} is not a string"
            found = _problem(item, f"{path}.{key}")
            if found:
                return found
        return ""
    if isinstance(obj, (list, tuple)):
        for index, item in enumerate(obj):
            found = _problem(item, f"{path}[{index}]")
            if found:
                return found
        return ""
    return (f"{path}: a value of type {type(obj).__name__} is not JSON-shaped "
            "(use None, bool, int, float, str, list, tuple or dict with str keys)")


def _refuse(obj: Any, path: str) -> InvalidArgument:
    return InvalidArgument(_problem(obj, path) or f"{path}: not JSON-shaped")


def fill_value(value: struct_pb2.Value, obj: Any, path: str = "value") -> None:
    """Set a ``Value`` field from ``obj``; InvalidArgument (naming where) if not JSON."""
    try:
        _fill_value(value, obj)
    except _NotJson:
        raise _refuse(obj, path) from None


def to_value(obj: Any, path: str = "value") -> struct_pb2.Value:
    """Return ``obj`` as a ``google.protobuf.Value``; InvalidArgument if not JSON-shaped."""
    value = struct_pb2.Value()
    fill_value(value, obj, path)
    return value


def fill_args(target: struct_pb2.ListValue, args: Iterable[Any], path: str = "args") -> None:
    """Append positional arguments to a ``ListValue`` field."""
    try:
        add = target.values.add
        for item in args:
            _fill_value(add(), item)
    except _NotJson:
        raise _refuse(list(args), path) from None


def fill_kwargs(target: struct_pb2.Struct, kwargs: dict[str, Any],
                path: str = "kwargs") -> None:
    """Fill a ``Struct`` field with keyword arguments."""
    try:
        fields = target.fields
        for key, item in kwargs.items():
            _fill_value(fields[key], item)
    except _NotJson:
        raise _refuse(kwargs, path) from None


def from_value(value: struct_pb2.Value) -> Any:
    """Return the Python value of a ``google.protobuf.Value`` (unset = None)."""
    kind = value.WhichOneof("kind")
    if kind == "string_value":
        return value.string_value
    if kind == "number_value":
        number = value.number_value
        if number.is_integer() and -_MAX_SAFE_INT <= number <= _MAX_SAFE_INT:
            return int(number)
        if number != number or number in (math.inf, -math.inf):
            raise InvalidArgument(f"{number} is not a JSON number")
        return number  # a float, however large: only integers lose their digits
    if kind == "bool_value":
        return value.bool_value
    if kind == "struct_value":
        return from_struct(value.struct_value)
    if kind == "list_value":
        return from_list(value.list_value)
    return None


def from_struct(struct: struct_pb2.Struct) -> dict[str, Any]:
    """Return a ``Struct`` as a ``dict``."""
    return {key: from_value(item) for key, item in struct.fields.items()}


def from_list(lst: struct_pb2.ListValue) -> list[Any]:
    """Return a ``ListValue`` as a ``list``."""
    return [from_value(item) for item in lst.values]


def to_struct(obj: dict[str, Any], path: str = "value") -> struct_pb2.Struct:
    """Return a ``dict`` as a ``Struct``; InvalidArgument if not JSON-shaped."""
    struct = struct_pb2.Struct()
    if not isinstance(obj, dict):
        raise InvalidArgument(f"{path}: expected a dictionary, got {type(obj).__name__}")
    try:
        _fill_struct(struct, obj)
    except _NotJson:
        raise _refuse(obj, path) from None
    return struct
