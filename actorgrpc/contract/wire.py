"""Hand-written protobuf encoding for the hot path of the mailbox stream.

Only where it was measured to matter: Envelopes and Replies built through the
protobuf runtime cost several microseconds of Python each. Every key (field number
and wire type) is read from the generated descriptors, so the bytes follow the
.proto files; tests parse every encoding back with the runtime. Decoding stays with
the runtime, which is fast at parsing. JSON has one codec here, orjson.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterable, Mapping
from typing import Any

import orjson
from google.protobuf import struct_pb2
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

from actorgrpc.contract.values import MAX_SAFE_INTEGER, check_numbers
from actorgrpc.v1 import actor_pb2, mailbox_pb2

_MAX_SAFE_INT = MAX_SAFE_INTEGER
_pack_double = struct.Struct("<d").pack
#: Varints of 0..16383, the lengths and ids seen most.
_VARINTS = [bytes([n]) if n < 128 else bytes([(n & 0x7F) | 0x80, n >> 7])
            for n in range(16384)]


def varint(value: int) -> bytes:
    if value < 16384:
        return _VARINTS[value]
    out = bytearray()
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _tag(message_class: type[Message], field: str) -> bytes:
    """The key of ``field`` of ``message_class`` on the wire (its number and wire
    type), read from the descriptor: the encoding follows the .proto files."""
    descriptor = message_class.DESCRIPTOR.fields_by_name[field]
    wire_type = {FieldDescriptor.TYPE_DOUBLE: 1, FieldDescriptor.TYPE_STRING: 2,
                 FieldDescriptor.TYPE_BYTES: 2, FieldDescriptor.TYPE_MESSAGE: 2,
                 FieldDescriptor.TYPE_BOOL: 0, FieldDescriptor.TYPE_UINT64: 0,
                 FieldDescriptor.TYPE_INT32: 0, FieldDescriptor.TYPE_ENUM: 0}[descriptor.type]
    return varint((descriptor.number << 3) | wire_type)


_Value, _Struct, _List = struct_pb2.Value, struct_pb2.Struct, struct_pb2.ListValue
_Entry = struct_pb2.Struct.FieldsEntry
_Envelope, _Reply = mailbox_pb2.Envelope, mailbox_pb2.Reply
_Arguments, _Failure = mailbox_pb2.Arguments, actor_pb2.Failure

_V_NULL, _V_NUMBER = _tag(_Value, "null_value"), _tag(_Value, "number_value")
_V_STRING, _V_BOOL = _tag(_Value, "string_value"), _tag(_Value, "bool_value")
_V_STRUCT, _V_LIST = _tag(_Value, "struct_value"), _tag(_Value, "list_value")
_S_FIELDS, _E_KEY, _E_VALUE = _tag(_Struct, "fields"), _tag(_Entry, "key"), _tag(_Entry, "value")
_L_VALUES = _tag(_List, "values")
#: StreamRequest.envelopes and StreamResponse.replies (both field 1).
_ENTRY = _tag(mailbox_pb2.StreamRequest, "envelopes")
assert _ENTRY == _tag(mailbox_pb2.StreamResponse, "replies")
_E_ID, _E_TARGET, _E_ACTION = _tag(_Envelope, "id"), _tag(_Envelope, "target"), \
    _tag(_Envelope, "action")
_E_TELL, _E_TIMEOUT = _tag(_Envelope, "tell"), _tag(_Envelope, "timeout_seconds")
_E_VALUES, _E_ARGS_JSON = _tag(_Envelope, "values"), _tag(_Envelope, "args_json")
_E_KWARGS_JSON, _E_BATCH = _tag(_Envelope, "kwargs_json"), _tag(_Envelope, "batch_args_json")
_A_ARGS, _A_KWARGS = _tag(_Arguments, "args"), _tag(_Arguments, "kwargs")
_R_ID, _R_RESULT, _R_FAILURE = _tag(_Reply, "id"), _tag(_Reply, "result"), \
    _tag(_Reply, "failure")
_R_RESULT_JSON, _R_BATCH = _tag(_Reply, "result_json"), _tag(_Reply, "batch_results_json")
_F_CODE, _F_MESSAGE, _F_TYPE = _tag(_Failure, "code"), _tag(_Failure, "message"), \
    _tag(_Failure, "type")


class NotJson(Exception):
    """The value is not JSON-shaped (the caller reports where, on a slow path)."""


_TRUE = _V_BOOL + b"\x01"
_FALSE = _V_BOOL + b"\x00"
_NULL = _V_NULL + b"\x00"


def value_bytes(obj: Any) -> bytes:
    """The encoding of a ``google.protobuf.Value`` holding ``obj``."""
    kind = type(obj)
    if kind is str:
        data: bytes = obj.encode()
        return _V_STRING + varint(len(data)) + data
    if kind is int:
        if -_MAX_SAFE_INT <= obj <= _MAX_SAFE_INT:
            return _V_NUMBER + _pack_double(obj)
        raise NotJson
    if kind is float:
        if obj - obj == 0.0:
            return _V_NUMBER + _pack_double(obj)
        raise NotJson
    if kind is bool:
        return _TRUE if obj else _FALSE
    if obj is None:
        return _NULL
    if kind is dict:
        data = struct_bytes(obj)
        return _V_STRUCT + varint(len(data)) + data
    if kind is list or kind is tuple:
        data = list_bytes(obj)
        return _V_LIST + varint(len(data)) + data
    # Subclasses (IntEnum, OrderedDict, ...): normalise, then encode.
    if isinstance(obj, bool):
        return value_bytes(bool(obj))
    if isinstance(obj, int):
        return value_bytes(int(obj))
    if isinstance(obj, float):
        return value_bytes(float(obj))
    if isinstance(obj, str):
        return value_bytes(str(obj))
    if isinstance(obj, dict):
        return value_bytes(dict(obj))
    if isinstance(obj, (list, tuple)):
        return value_bytes(list(obj))
    raise NotJson


def struct_bytes(obj: Mapping[str, Any]) -> bytes:
    """The encoding of a ``google.protobuf.Struct`` (a map<string, Value>)."""
    parts = []
    for key, item in obj.items():
        if type(key) is not str:
            raise NotJson
        key_data = key.encode()
        value_data = value_bytes(item)
        entry = (_E_KEY + varint(len(key_data)) + key_data
                 + _E_VALUE + varint(len(value_data)) + value_data)
        parts.append(_S_FIELDS + varint(len(entry)) + entry)
    return b"".join(parts)


def list_bytes(items: Iterable[Any]) -> bytes:
    """The encoding of a ``google.protobuf.ListValue``."""
    parts = []
    for item in items:
        data = value_bytes(item)
        parts.append(_L_VALUES + varint(len(data)) + data)
    return b"".join(parts)


def _string_field(tag: bytes, text: str) -> bytes:
    if not text:
        return b""
    data = text.encode()
    return tag + varint(len(data)) + data


_suffixes: dict[tuple[str, str, bool, float], bytes] = {}


def _envelope_suffix(target: str, action: str, tell: bool, timeout: float) -> bytes:
    """Fields 2, 3, 6 and 7 of an Envelope: the same for every call of one kind."""
    key = (target, action, tell, timeout)
    suffix = _suffixes.get(key)
    if suffix is None:
        suffix = (_string_field(_E_TARGET, target) + _string_field(_E_ACTION, action)
                  + (_E_TELL + b"\x01" if tell else b"")
                  + (_E_TIMEOUT + _pack_double(timeout) if timeout else b""))
        if len(_suffixes) > 4096:
            _suffixes.clear()
        _suffixes[key] = suffix
    return suffix


def envelope_entry(call_id: int, target: str, action: str, args: Iterable[Any],
                   kwargs: Mapping[str, Any] | None,
                   timeout: float, tell: bool) -> bytes:
    """One Envelope as an entry of ``StreamRequest.envelopes`` (tag and length included).

    Raises NotJson when an argument is not JSON-shaped.
    """
    body = (_E_ID + varint(call_id) if call_id else b"") + _envelope_suffix(
        target, action, tell, timeout)
    values = b""
    if args:
        data = list_bytes(args)
        values += _A_ARGS + varint(len(data)) + data
    if kwargs:
        data = struct_bytes(kwargs)
        values += _A_KWARGS + varint(len(data)) + data
    if values:
        body += _E_VALUES + varint(len(values)) + values
    return _ENTRY + varint(len(body)) + body


#: orjson refuses integers beyond 2**53 - 1 (as ``value_bytes`` does) and writes
#: non-string dictionary keys as strings, as JSON has it.
_JSON_OPTIONS = (orjson.OPT_STRICT_INTEGER | orjson.OPT_NON_STR_KEYS
                 | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS)
_orjson_dumps = orjson.dumps


def json_bytes(obj: Any) -> bytes:
    """``obj`` as compact UTF-8 JSON text; raises NotJson when it is not JSON-shaped."""
    try:
        data = _orjson_dumps(obj, option=_JSON_OPTIONS)
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        raise NotJson from None
    if data.find(b"null") >= 0:  # (bytes.find is several times faster than "in")
        # orjson writes NaN and the infinities as null; JSON has no such numbers, so
        # they are refused. Checked only when a null appears, which is rare.
        try:
            check_numbers(obj)
        except ValueError:  # InvalidArgument
            raise NotJson from None
    return data


#: JSON text to a Python value (raises ValueError on malformed text).
json_value = orjson.loads

#: What an integer the policy refuses looks like in JSON text: 16 digits or more
#: (2^53 has 16). Only then are parsed values walked (check_numbers).
_SUSPECT_NUMBER = re.compile(rb"[0-9]{16}")


def has_suspect_numbers(data: bytes) -> bool:
    """Whether JSON text may hold a number the policy refuses (then check_numbers)."""
    return _SUSPECT_NUMBER.search(data) is not None


def json_arguments(data: bytes) -> Any:
    """JSON text a client sent (arguments), parsed, with the number policy applied:
    ValueError (malformed) or InvalidArgument (a number out of range)."""
    value = orjson.loads(data)
    if _SUSPECT_NUMBER.search(data) is not None:
        check_numbers(value)
    return value


def json_list(data: bytes) -> list[Any]:
    """JSON text that must hold an array; raises ValueError saying why it does not."""
    value = json_value(data)
    if type(value) is not list:
        raise ValueError(f"a JSON {type(value).__name__}, not an array")
    return value


def envelope_json_entry(call_id: int, target: str, action: str, args: Iterable[Any],
                        kwargs: Mapping[str, Any] | None,
                        timeout: float, tell: bool, *, args_json: bytes | None = None) -> bytes:
    """Like ``envelope_entry`` with the arguments as JSON text (fields 8 and 9).

    Raises NotJson when an argument is not JSON-shaped (non-string dictionary keys
    become strings, as JSON has it). ``args_json`` is always set, even to ``[]``:
    it tells the server to answer with ``result_json``. A caller that has already
    encoded ``args`` (``json_bytes``) passes that text as ``args_json``.
    """
    suffix = _suffixes.get((target, action, tell, timeout))
    if suffix is None:
        suffix = _envelope_suffix(target, action, tell, timeout)
    if args_json is not None:
        data = args_json
    else:
        data = json_bytes(args) if args else b"[]"
    size = len(data)
    body = suffix + _E_ARGS_JSON + (_VARINTS[size] if size < 16384 else varint(size)) + data
    if kwargs:
        data = json_bytes(kwargs)
        body += _E_KWARGS_JSON + varint(len(data)) + data
    if call_id:
        body = _E_ID + (_VARINTS[call_id] if call_id < 16384 else varint(call_id)) + body
    size = len(body)
    return _ENTRY + (_VARINTS[size] if size < 16384 else varint(size)) + body


def reply_json_entry(call_id: int, result: Any) -> bytes:
    """A successful Reply with its result as JSON text (field 4). May raise NotJson."""
    data = json_bytes(result)
    body = _R_ID + varint(call_id) + _R_RESULT_JSON + varint(len(data)) + data
    return _ENTRY + varint(len(body)) + body


def reply_entry(call_id: int, result: Any) -> bytes:
    """A successful Reply as an entry of ``StreamResponse.replies``. May raise NotJson."""
    data = value_bytes(result)
    body = _R_ID + varint(call_id) + _R_RESULT + varint(len(data)) + data
    return _ENTRY + varint(len(body)) + body


def failure_entry(call_id: int, code: int, message: str, type_name: str) -> bytes:
    """A failed Reply as an entry of ``StreamResponse.replies``."""
    failure = ((_F_CODE + varint(code) if code else b"") + _string_field(_F_MESSAGE, message)
               + _string_field(_F_TYPE, type_name))
    body = _R_ID + varint(call_id) + _R_FAILURE + varint(len(failure)) + failure
    return _ENTRY + varint(len(body)) + body


#: (target, action, tell, timeout): what calls coalesced into one Envelope share.
BatchKey = tuple[str, str, bool, float]


class CallBatch:
    """Consecutive calls of one command to one actor, coalesced into one Envelope.

    Its ``key`` is (target, action, tell, timeout): only calls that would have
    had identical envelopes but for their arguments (and ids) are coalesced.
    Asks coalesce only with consecutive ids (call ``i`` has id ``first_id + i``).
    """

    __slots__ = ("key", "first_id", "parts")

    def __init__(self, key: BatchKey, first_id: int, part: bytes) -> None:
        self.key = key
        #: The id of the first call (0 for tells).
        self.first_id = first_id
        #: The ``listed`` JSON text of each call's positional arguments (an array each).
        self.parts = [listed(part)]

    def encode(self) -> bytes:
        """The Envelope entry: ``batch_args_json`` (field 10), or for one call a plain
        envelope with ``args_json`` (what any server understands)."""
        target, action, tell, timeout = self.key
        parts = self.parts
        if len(parts) == 1:
            data, tag = parts[0][:-1], _E_ARGS_JSON
        else:
            data, tag = json_array(parts), _E_BATCH
        body = _envelope_suffix(target, action, tell, timeout) + tag + varint(len(data)) + data
        if self.first_id:
            body = _E_ID + varint(self.first_id) + body
        return _ENTRY + varint(len(body)) + body


def utf8_len(text: str) -> int:
    """Bytes of ``text`` in UTF-8 (``isascii`` is a flag check: no encoding for ASCII)."""
    return len(text) if text.isascii() else len(text.encode())


#: Bytes an Envelope adds around its target, action and arguments, at most (id,
#: tell, timeout, and the tags and lengths of its fields and of itself).
ENVELOPE_OVERHEAD = 40


def listed(data: bytes) -> bytes:
    """JSON text kept for a batch: a copy, followed by the separator.

    The bytes orjson returns sit in a malloc block sized for its first guess:
    holding a thousand of them until a frame is written makes every allocation
    slower (3.4 µs per call instead of 1.3 µs measured here), far more than a copy.
    """
    return data + b","


def json_array(parts: list[bytes]) -> bytes:
    """The JSON array of ``listed`` texts."""
    return b"[" + b"".join(parts)[:-1] + b"]"


def batch_reply_entry(first_id: int, results: list[bytes]) -> bytes:
    """A Reply for consecutive successful calls of one batch: ``results`` are their
    ``listed`` JSON texts, in order (``batch_results_json``, or ``result_json`` for one)."""
    if len(results) == 1:
        data, tag = results[0][:-1], _R_RESULT_JSON
    else:
        data, tag = json_array(results), _R_BATCH
    body = _R_ID + varint(first_id) + tag + varint(len(data)) + data
    return _ENTRY + varint(len(body)) + body
