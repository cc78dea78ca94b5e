"""The fork server can die (kill -9, the OOM killer) without leaving ghosts: every
record of its actors closes, permanent actors come back, a new fork server starts,
and nothing is ever signalled by a pid that may be someone else's now."""

from __future__ import annotations

import os
import signal

import psutil
import pytest

import actorgrpc
from actorgrpc.contract.enums import state_from_wire

from .support import ArbiterProcess, assert_all_gone, wait_for, wait_for_async

#: Actors alive when the fork server is killed (the report had 80; 40 keep the test
#: quick on two cores and show the same).
ACTORS = 40
#: Seconds for every death to be noticed and restarts to settle on a loaded machine.
RECOVERY = 60.0


def fork_servers(arbiter: ArbiterProcess) -> list[psutil.Process]:
    return [p for p in arbiter.descendants() if p.name() == "actor:forksrv"]


@pytest.fixture
def crowded(tmp_path):
    arbiter = ArbiterProcess(modules=("tests.sample_actors",), run_dir=str(tmp_path))
    yield arbiter
    arbiter.stop_and_check()


async def test_killing_the_fork_server_leaves_no_ghost(crowded):
    async with actorgrpc.connect(crowded.address) as client:
        temporary = [await client.spawn(name=f"t{i}") for i in range(ACTORS - 5)]
        permanent = [await client.spawn(name=f"p{i}", restart="permanent") for i in range(5)]
        pids = {p.name: (await client.send(p, "whoami"))["pid"] for p in temporary + permanent}
        (server,) = fork_servers(crowded)
        os.kill(server.pid, signal.SIGKILL)

        # Every process died with it; no record is left RUNNING for a dead process.
        assert_all_gone([psutil.Process(pid) for pid in pids.values()
                         if psutil.pid_exists(pid)], timeout=RECOVERY)

        async def settled():
            listed = {a.actor.name: a for a in await client.list_actors()}
            ghosts = [name for name in pids if name.startswith("t") and name in listed]
            back = [name for name in pids if name.startswith("p") and name in listed
                    and state_from_wire(listed[name].actor.state) == actorgrpc.ACTOR_STATES.RUN
                    and listed[name].pid != pids[name]]
            return not ghosts and len(back) == 5

        await wait_for_async(settled, RECOVERY, "temporary actors closed, permanent back")
        # The names of the dead are free again (before: ALREADY_EXISTS forever).
        again = await client.spawn(name="t0")
        assert await client.send(again, "ping") == "pong"
        exited = [a for a in await client.list_actors(name_prefix="t1", include_exited=True)
                  if a.actor.name == "t1"][0]
        assert exited.crash_report.exit_code == -signal.SIGKILL
        # A new fork server, reaped the old one: no zombie left behind.
        (new_server,) = wait_for(lambda: fork_servers(crowded) or None, RECOVERY,
                                 "a new fork server")
        assert new_server.pid != server.pid
        assert not psutil.pid_exists(server.pid) or \
            psutil.Process(server.pid).status() != psutil.STATUS_ZOMBIE
        # Spawns work through it again (its standbys are back).
        fresh = await client.spawn(name="after")
        assert (await client.send(fresh, "whoami"))["pid"] in \
            [c.pid for c in new_server.children()]
