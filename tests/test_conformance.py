"""The shared wire-conformance cases (tests/conformance/cases.json), Python client.

Every case runs on both data paths ("direct": ``client.send``, the actor's own
MailboxService.Stream; "arbiter": ``client.send_via_arbiter``, ArbiterService.Send)
against each actor language: Python actors, and the Go and Node.js demo actors
(tests/polyglot.py) as EXEC actors of their registered programs wherever a case
spawns a plain actor. Spawns that name a kind or hooks of their own stay Python's,
as in the Go (clients/go/conformance) and JS (clients/js/conformance) runners. One
arbiter serves the whole module; every combination has its own name prefix, so the
cases run at once (``outcomes``) and each test reports its own case's outcome.
"""

import asyncio
import json
import os

import grpc
import pytest

import actorgrpc

from .polyglot import GO_PROGRAM, NODE_PROGRAM, loud_skip, program_options
from .support import ArbiterProcess

#: The message path: run again with gRPC's private fast path off (make test).
pytestmark = pytest.mark.dataplane

CASES = json.load(open(os.path.join(os.path.dirname(__file__), "conformance", "cases.json")))
PREFIX = "py-"
#: Actor language → the program its plain actors are EXEC actors of (None: Python's).
ACTORS = {"python": None, "go": GO_PROGRAM, "node": NODE_PROGRAM}
PATHS = ("direct", "arbiter")
HOOKS = ("kind", "start", "stopping", "periodic_task")


@pytest.fixture(scope="module")
def arbiter_process(tmp_path_factory):
    """The module's arbiter, with the Go and Node.js demo actors registered;
    ``.missing`` says which could not be, and why (their tests skip, loudly)."""
    args, missing = program_options("go", "node")
    arbiter = ArbiterProcess(*args, run_dir=str(tmp_path_factory.mktemp("run")))
    arbiter.missing = missing
    yield arbiter
    arbiter.stop_and_check()


def _name(value: str, prefix: str) -> str:
    return value[1:] if value.startswith("!") else prefix + value


def _expand(value, prefix: str):
    """``{prefix}`` in every string of an expected value."""
    if isinstance(value, str):
        return value.replace("{prefix}", prefix)
    if isinstance(value, list):
        return [_expand(item, prefix) for item in value]
    if isinstance(value, dict):
        return {key: _expand(item, prefix) for key, item in value.items()}
    return value


async def _run_step(client, op, request, path, program, prefix, spawned):
    if op == "spawn":
        request = dict(request)
        request["name"] = _name(request["name"], prefix)
        spawned.add(request["name"])
        exec_actor = program is not None and not any(request.get(key) for key in HOOKS)
        if exec_actor:
            request.update(kind="exec", program=program)
        result = (await client.spawn(**request)).as_dict()
        if exec_actor:   # it is one: the case checks that actor, not a Python one
            listed = await client.list_actors(name_prefix=request["name"])
            assert [a.program for a in listed if a.actor.name == request["name"]] == [program]
        return result
    if op == "send":
        kwargs = dict(request.get("kwargs", {}))
        send = client.send if path == "direct" else client.send_via_arbiter
        return await send(_name(request["target"], prefix), request["action"],
                          *request.get("args", []), _timeout=request.get("timeout_seconds"),
                          **kwargs)
    if op == "info":
        target = request.get("target", "")
        return await client.info(_name(target, prefix) if target not in ("", "!") else "")
    if op == "stop":
        return await client.stop(_name(request["target"], prefix))
    if op == "list_actors":
        actors = await client.list_actors(name_prefix=_name(request["name_prefix"], prefix))
        return [a.actor.name for a in actors]
    raise AssertionError(f"unknown op {op}")


async def _run_case(client, case, path, program, prefix):
    spawned: set[str] = set()
    try:
        for step in case["steps"]:
            expect = step["expect"]
            where = f"{case['name']}: {step['op']} {step['request']} ({path} path)"
            if "code" in expect:
                with pytest.raises(actorgrpc.ActorError) as info:
                    await _run_step(client, step["op"], step["request"], path, program, prefix,
                                    spawned)
                assert info.value.code == getattr(grpc.StatusCode, expect["code"]), where
                if "message_contains" in expect:
                    assert _expand(expect["message_contains"], prefix) in str(info.value), where
                continue
            result = await _run_step(client, step["op"], step["request"], path, program, prefix,
                                    spawned)
            if "result" in expect:
                assert result == _expand(expect["result"], prefix), where
            if "info_has" in expect:
                assert set(expect["info_has"]) <= set(result), where
            if "names" in expect:
                assert result == [prefix + n for n in expect["names"]], where
    finally:
        # A failed case leaves nothing running on the shared arbiter; NOT_FOUND here
        # means the case stopped it already.
        for name in spawned:
            try:
                await client.stop(name)
            except actorgrpc.ActorError:
                pass


#: Cases that run at once: all 48 would start ~20 actors together (Node.js ones take
#: ~0.4 s of CPU each), which a loaded 2-core machine does not need to prove anything.
CONCURRENCY = 8
COMBINATIONS = [(actor, path, case["name"]) for actor in ACTORS for path in PATHS
                for case in CASES["cases"]]


def _prefix(actor: str, path: str) -> str:
    """Each combination's own prefix, so that they can run at once on one arbiter."""
    return f"{PREFIX}{actor}-{path}-"


@pytest.fixture(scope="module")
def outcomes(request, arbiter_process):
    """Runs the selected combinations at once (CONCURRENCY at a time): each case's
    outcome (None: it passed, or what it raised) by (actor, path, case name)."""
    selected = {tuple(item.callspec.params[k] for k in ("actor", "path", "case"))
                for item in request.session.items
                if item.module is request.module and hasattr(item, "callspec")}
    by_name = {case["name"]: case for case in CASES["cases"]}

    async def run_all():
        gate = asyncio.Semaphore(CONCURRENCY)
        async with actorgrpc.connect(arbiter_process.address) as client:
            async def one(actor, path, name):
                async with gate:
                    try:
                        await _run_case(client, by_name[name], path, ACTORS[actor],
                                        _prefix(actor, path))
                    # Failed: what pytest.raises raises when nothing was; reported by
                    # the case's own test, like any other failure.
                    except (Exception, pytest.fail.Exception) as failure:  # noqa: BLE001
                        return failure
                    return None
            todo = [key for key in COMBINATIONS if key in selected and
                    key[0] not in arbiter_process.missing]
            return dict(zip(todo, await asyncio.gather(*(one(*key) for key in todo)),
                            strict=True))

    return asyncio.run(run_all())


@pytest.mark.parametrize("case", [c["name"] for c in CASES["cases"]])
@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("actor", list(ACTORS))
def test_case(arbiter_process, outcomes, actor, path, case):
    if actor in arbiter_process.missing:
        loud_skip(arbiter_process.missing[actor])
    failure = outcomes[actor, path, case]
    if failure is not None:
        raise failure
