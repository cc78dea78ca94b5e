"""Spawn parameters that used to slip through (issue 16, items 7 and 8): a name shaped
like an aid, an ``extra`` beyond what an actor can be started with (the same bound
on every launch path), and a registered program that cannot run."""

import asyncio
import os
import signal
import sys
import time

import pytest

import actorgrpc
from actorgrpc.actor.process import MAX_PAYLOAD_BYTES

from .support import ROOT, ArbiterProcess, assert_all_gone, wait_for_async

#: The fork server, a plain subprocess per actor: the two launch paths of Python actors.
PATHS = {"fork server": "1", "subprocess": "0"}
#: Seconds a refused spawn may take: it is refused before anything starts (the old
#: exec path stalled 5 s on "Argument list too long"); generous for a loaded machine.
AT_ONCE = 3.0


@pytest.fixture(scope="module", params=list(PATHS))
def launch_arbiter(request, tmp_path_factory):
    arbiter = ArbiterProcess(
        "--program", f"ghost={os.path.join(ROOT, 'no', 'such', 'program')}",
        "--program", f"python={sys.executable} -c pass",
        run_dir=str(tmp_path_factory.mktemp("run")),
        env={"ACTORGRPC_FORK_SERVER": PATHS[request.param]})
    yield arbiter
    arbiter.stop_and_check()


@pytest.mark.parametrize("name", ["0123456789ab", "abcdef012345"])
async def test_a_name_shaped_like_an_aid_is_refused(launch_arbiter, name):
    async with actorgrpc.connect(launch_arbiter.address) as client:
        victim = await client.spawn(name="victim")
        try:
            for shaped in (name, victim.aid):
                with pytest.raises(actorgrpc.InvalidArgument, match="looks like an aid"):
                    await client.spawn(name=shaped)
            assert (await client.get_actor(victim.aid)).name == "victim"
        finally:
            await client.stop(victim)


@pytest.mark.parametrize("kind", ["process", "exec"])
async def test_an_extra_beyond_the_launch_bound_is_refused_at_once(launch_arbiter, kind):
    params = {"kind": kind, "program": "python"} if kind == "exec" else {"kind": kind}
    async with actorgrpc.connect(launch_arbiter.address) as client:
        started = time.monotonic()
        with pytest.raises(actorgrpc.InvalidArgument, match="extra. is too large"):
            await client.spawn(extra={"blob": "x" * (MAX_PAYLOAD_BYTES + 1)}, **params)
        assert time.monotonic() - started < AT_ONCE
        # Just below the bound starts (a process actor; the exec program exits at once).
        if kind == "process":
            proxy = await client.spawn(extra={"blob": "x" * (MAX_PAYLOAD_BYTES // 2)})
            assert await client.send(proxy, "ping") == "pong"
            await client.stop(proxy)


async def test_a_program_that_cannot_run_is_a_plain_spawn_error(launch_arbiter):
    async with actorgrpc.connect(launch_arbiter.address) as client:
        started = time.monotonic()
        with pytest.raises(actorgrpc.SpawnError, match="program 'ghost' cannot be started: "
                                                       ".*No such file"):
            await client.spawn(kind="exec", program="ghost")
        assert time.monotonic() - started < AT_ONCE
        assert await client.send("arbiter", "ping") == "pong"


async def test_spawns_in_flight_when_sigterm_arrives_are_unavailable(tmp_path):
    arbiter = ArbiterProcess(run_dir=str(tmp_path))
    children = []
    try:
        async with actorgrpc.connect(arbiter.address) as client:
            # Start hooks that never return: these spawns are in flight until the end.
            spawns = [asyncio.ensure_future(client.spawn(
                name=f"slow{n}", start="tests.sample_actors:never_hello_start",
                _timeout=60)) for n in range(3)]

            async def all_in_flight():
                listed = await client.list_actors(name_prefix="slow")
                return len(listed) == 3
            # 30 s: three forks on a loaded machine take well under a second.
            await wait_for_async(all_in_flight, 30, "the spawns in flight")
            children = arbiter.descendants()
            arbiter.process.send_signal(signal.SIGTERM)
            results = await asyncio.gather(*spawns, return_exceptions=True)
        for result in results:
            assert isinstance(result, actorgrpc.ActorUnavailable), result
            assert "shutting down" in str(result)
        assert arbiter.process.wait(30) == 0, arbiter.stderr()
    finally:
        if arbiter.process.poll() is None:
            arbiter.kill()
        assert_all_gone(children)
