"""The shared wire-conformance cases (tests/conformance/cases.json), Python client."""

import json
import os

import grpc
import pytest

import actorgrpc

#: The message path: run again with gRPC's private fast path off (make test).
pytestmark = pytest.mark.dataplane

CASES = json.load(open(os.path.join(os.path.dirname(__file__), "conformance", "cases.json")))
PREFIX = "py-"


def _name(value: str) -> str:
    return value[1:] if value.startswith("!") else PREFIX + value


async def _run_step(client, op, request):
    if op == "spawn":
        request = dict(request)
        request["name"] = _name(request["name"])
        return (await client.spawn(**request)).as_dict()
    if op == "send":
        kwargs = dict(request.get("kwargs", {}))
        timeout = request.get("timeout_seconds")
        return await client.send_via_arbiter(_name(request["target"]), request["action"],
                                             *request.get("args", []), _timeout=timeout,
                                             **kwargs)
    if op == "info":
        target = request.get("target", "")
        return await client.info(_name(target) if target not in ("", "!") else "")
    if op == "stop":
        return await client.stop(_name(request["target"]))
    if op == "list_actors":
        actors = await client.list_actors(name_prefix=_name(request["name_prefix"]))
        return [a.actor.name for a in actors]
    raise AssertionError(f"unknown op {op}")


@pytest.mark.parametrize("case", CASES["cases"], ids=[c["name"] for c in CASES["cases"]])
async def test_case(client, case):
    for step in case["steps"]:
        expect = step["expect"]
        where = f"{case['name']}: {step['op']} {step['request']}"
        if "code" in expect:
            with pytest.raises(actorgrpc.ActorError) as info:
                await _run_step(client, step["op"], step["request"])
            assert info.value.code == getattr(grpc.StatusCode, expect["code"]), where
            if "message_contains" in expect:
                assert expect["message_contains"] in str(info.value), where
            continue
        result = await _run_step(client, step["op"], step["request"])
        if "result" in expect:
            expected = expect["result"]
            if isinstance(expected, str):
                expected = expected.replace("{prefix}", PREFIX)
            assert result == expected, where
        if "info_has" in expect:
            assert set(expect["info_has"]) <= set(result), where
        if "names" in expect:
            assert result == [PREFIX + n for n in expect["names"]], where
