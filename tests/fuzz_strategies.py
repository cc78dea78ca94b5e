"""Hypothesis strategies that build any protobuf message of the contract, hostile values
included, from its descriptor: every field of every request is fuzzed, and new fields
are fuzzed as soon as they are added to the .proto files."""

from __future__ import annotations

import math

from google.protobuf import descriptor, message_factory, struct_pb2
from hypothesis import strategies as st

FD = descriptor.FieldDescriptor

#: Text an attacker would try: empty, huge, control characters, look-alikes, paths,
#: references, JSON and format strings, NUL bytes.
NASTY_TEXT = st.sampled_from([
    "", " ", "arbiter", "monitor", "000000000000", "\x00", "\n\r", "../../etc/passwd",
    "os:system", "actorgrpc.examples.demo:asyncio.sys.exit", "__import__", "%s%n",
    "{}", "[]", "null", "\u202e", "\ud7ff", "a" * 20_000, "é" * 3000, "*", ".*",
])
TEXT = st.one_of(st.text(max_size=40), NASTY_TEXT)
FLOATS = st.one_of(st.floats(allow_nan=True, allow_infinity=True),
                   st.sampled_from([0.0, -0.0, 1e-300, 1e300, math.nan, math.inf, -math.inf]))
INTS = {
    FD.TYPE_INT32: st.integers(-(2**31), 2**31 - 1),
    FD.TYPE_SINT32: st.integers(-(2**31), 2**31 - 1),
    FD.TYPE_SFIXED32: st.integers(-(2**31), 2**31 - 1),
    FD.TYPE_UINT32: st.integers(0, 2**32 - 1),
    FD.TYPE_FIXED32: st.integers(0, 2**32 - 1),
    FD.TYPE_INT64: st.integers(-(2**63), 2**63 - 1),
    FD.TYPE_SINT64: st.integers(-(2**63), 2**63 - 1),
    FD.TYPE_SFIXED64: st.integers(-(2**63), 2**63 - 1),
    FD.TYPE_UINT64: st.integers(0, 2**64 - 1),
    FD.TYPE_FIXED64: st.integers(0, 2**64 - 1),
}


def json_values(max_leaves: int = 30):
    """JSON-shaped values, some deeply nested, with numbers JSON cannot carry."""
    leaves = st.one_of(st.none(), st.booleans(), TEXT, FLOATS,
                       st.integers(-(2**64), 2**64))
    return st.recursive(leaves, lambda children: st.one_of(
        st.lists(children, max_size=5), st.dictionaries(TEXT, children, max_size=5)),
        max_leaves=max_leaves)


@st.composite
def deep_lists(draw):
    """A list nested hundreds to thousands deep (recursion limits)."""
    # Past protobuf's own nesting limit (100), within what Python can build here.
    depth = draw(st.sampled_from([50, 99, 150, 300]))
    value: object = "bottom"
    for _ in range(depth):
        value = [value]
    return value


def _value_message(value) -> struct_pb2.Value:
    message = struct_pb2.Value()
    _fill_value(message, value)
    return message


def _fill_value(message: struct_pb2.Value, value) -> None:
    # Filled by hand: json_format refuses what an attacker's own encoder would send
    # (NaN, huge integers as doubles, deep nesting).
    if value is None:
        message.null_value = 0
    elif isinstance(value, bool):
        message.bool_value = value
    elif isinstance(value, (int, float)):
        message.number_value = float(value) if abs(value) < 1e308 or isinstance(value, float) \
            else math.inf
    elif isinstance(value, str):
        message.string_value = value
    elif isinstance(value, list):
        message.list_value.SetInParent()
        for item in value:
            _fill_value(message.list_value.values.add(), item)
    else:
        message.struct_value.SetInParent()
        for key, item in value.items():
            _fill_value(message.struct_value.fields[key], item)


def _scalar(field: descriptor.FieldDescriptor):
    if field.type in INTS:
        return INTS[field.type]
    if field.type in (FD.TYPE_DOUBLE, FD.TYPE_FLOAT):
        return FLOATS if field.type == FD.TYPE_DOUBLE else st.floats(width=32)
    if field.type == FD.TYPE_BOOL:
        return st.booleans()
    if field.type == FD.TYPE_STRING:
        return TEXT
    if field.type == FD.TYPE_BYTES:
        return st.one_of(st.binary(max_size=64),
                         json_values().map(lambda v: repr(v).encode()),
                         st.sampled_from([b"[", b"[1,", b"\xff\xfe", b"[" * 5000,
                                          b"[" * 3000 + b"]" * 3000,
                                          b'[{"a":' * 100, b"1e999", b"[NaN]",
                                          b"[18446744073709551616]"]))
    if field.type == FD.TYPE_ENUM:
        return st.one_of(st.sampled_from([v.number for v in field.enum_type.values]),
                         st.integers(-(2**31), 2**31 - 1))
    raise AssertionError(f"unhandled field type {field.type}")


def messages(message_class, depth: int = 0):
    """A strategy for ``message_class`` with every field maybe set to hostile values."""
    full_name = message_class.DESCRIPTOR.full_name
    if full_name == "google.protobuf.Value":
        return st.one_of(json_values(), deep_lists()).map(_value_message)
    if full_name == "google.protobuf.ListValue":
        return st.one_of(st.lists(json_values(), max_size=6), deep_lists()).map(
            lambda items: _value_message(items).list_value)
    if full_name == "google.protobuf.Struct":
        return st.dictionaries(TEXT, json_values(), max_size=6).map(
            lambda items: _value_message(items).struct_value)
    fields = list(message_class.DESCRIPTOR.fields)

    @st.composite
    def build(draw):
        message = message_class()
        for field in fields:
            if not draw(st.booleans()):
                continue
            draw_one = _field_strategy(field, depth)
            if field.message_type is not None and field.message_type.GetOptions().map_entry:
                key_field, value_field = field.message_type.fields
                for _ in range(draw(st.integers(0, 3))):
                    key = draw(_scalar(key_field))
                    value = draw(_field_strategy(value_field, depth))
                    if value_field.message_type is not None:
                        getattr(message, field.name)[key].CopyFrom(value)
                    else:
                        getattr(message, field.name)[key] = value
            elif field.is_repeated:
                values = draw(st.lists(draw_one, max_size=4))
                if field.message_type is not None:
                    for value in values:
                        getattr(message, field.name).add().CopyFrom(value)
                else:
                    getattr(message, field.name).extend(values)
            elif field.message_type is not None:
                getattr(message, field.name).CopyFrom(draw(draw_one))
            else:
                setattr(message, field.name, draw(draw_one))
        return message

    return build()


def _field_strategy(field, depth: int):
    if field.message_type is None:
        return _scalar(field)
    if depth > 3:
        return st.just(message_factory.GetMessageClass(field.message_type)())
    return st.deferred(lambda: messages(message_factory.GetMessageClass(field.message_type),
                                        depth + 1))


def raw_bytes(message_class):
    """Bytes a peer may send for ``message_class``: a valid encoding, a truncated one,
    or garbage."""
    valid = messages(message_class).map(lambda m: m.SerializeToString())
    return st.one_of(valid, valid.map(lambda data: data[: len(data) // 2]),
                     st.binary(max_size=200))
