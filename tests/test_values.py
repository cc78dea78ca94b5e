"""JSON-shaped values: what crosses the wire and what is refused."""

import math

import pytest

from actorgrpc import InvalidArgument
from actorgrpc.contract.values import from_value, to_value


@pytest.mark.parametrize("value", [
    None, True, False, 0, -3, 2**53 - 1, 1.5, "", "hé ✓", [], {}, [1, [2, [3]]],
    {"a": {"b": [None, {"c": "d"}]}}, {"empty": {}, "list": []},
])
def test_round_trip(value):
    assert from_value(to_value(value)) == value


def test_tuples_become_lists_and_integral_floats_ints():
    assert from_value(to_value((1, 2.0))) == [1, 2]
    assert type(from_value(to_value(2.0))) is int


@pytest.mark.parametrize("value, where", [
    ({1, 2}, "value"), (b"bytes", "value"), ({"a": object()}, "value.a"),
    ([1, {"x": {2}}], "value[1].x"), ({1: "int key"}, "value"), (2**60, "value"),
    (math.nan, "value"), (math.inf, "value"),
])
def test_refuses_what_is_not_json(value, where):
    with pytest.raises(InvalidArgument) as info:
        to_value(value)
    assert str(info.value).startswith(where)
