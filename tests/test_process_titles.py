"""Processes are named in ``ps -ef`` (their command line), not only in ``ps -o comm``."""

from __future__ import annotations

import psutil

import actorgrpc

from .support import ArbiterProcess, wait_for


def title(process: psutil.Process) -> str:
    """The command line as ``ps -ef`` shows it (the kernel pads a title with NULs,
    which psutil splits into empty arguments)."""
    return " ".join(part for part in process.cmdline() if part)


def _titled(arbiter: ArbiterProcess, wanted: str) -> list[psutil.Process]:
    found = []
    for process in arbiter.descendants():
        try:
            if title(process) == wanted:
                found.append(process)
        except psutil.NoSuchProcess:  # a standby being replaced
            continue
    return found


async def test_arbiter_fork_server_and_actors_show_their_titles(tmp_path):
    arbiter = ArbiterProcess(run_dir=str(tmp_path))
    try:
        serve = psutil.Process(arbiter.pid)
        # The title is set when the arbiter announces itself, before the ready line
        # the helper waited for.
        assert title(serve) == f"actorgrpc: arbiter {arbiter.address}"
        assert serve.name() == "arbiter"
        async with actorgrpc.connect(arbiter.address) as client:
            proxy = await client.spawn(name="titled")
            who = await client.send(proxy, "whoami")
            actor = psutil.Process(who["pid"])
            assert title(actor) == "actorgrpc: actor:titled"
            # The short name, for `ps -o comm` and pgrep, is still the actor's.
            assert actor.name() == "actor:titled"
            fork_servers = _titled(arbiter, "actorgrpc: fork server")
            assert len(fork_servers) == 1
            assert fork_servers[0].name() == "actor:forksrv"
            assert actor.ppid() == fork_servers[0].pid
            # Standbys (warm processes not yet given an actor) are forked in the
            # background; 10 s covers a loaded 2-core machine.
            wait_for(lambda: _titled(arbiter, "actorgrpc: actor:standby"), 10,
                     "a standby process titled actorgrpc: actor:standby")
            await client.stop(proxy)
    finally:
        # Every process the arbiter started (fork server, standbys, actors) is gone.
        arbiter.stop_and_check()
    assert not serve.is_running()
