"""EXEC actors: registered programs in any language, supervised like Python actors.

The program here is tests/scripts/minimal_exec_actor.py, which speaks the protocol
with raw gRPC stubs only (as a program in another language would); kill -9, hung
detection and restart policies run against the Go demo actor too (tests/polyglot.py).
"""

from __future__ import annotations

import asyncio
import os
import shlex
import signal
import subprocess
import sys

import psutil
import pytest

import actorgrpc
from actorgrpc.contract.enums import state_from_wire
from actorgrpc.supervisor.programs import parse_program_option

from .polyglot import GO_PROGRAM, loud_skip, program_options
from .support import ROOT, ArbiterProcess, assert_all_gone, wait_for_async

#: The message path: run again with gRPC's private fast path off (make test).
pytestmark = pytest.mark.dataplane

PROGRAM = shlex.join([sys.executable, os.path.join(ROOT, "tests", "scripts",
                                                    "minimal_exec_actor.py")])
#: Seconds for a restart or a hung detection with 0.1 s heartbeats and a 1 s timeout,
#: on a loaded 2-core machine.
RECOVERY = 20.0


@pytest.fixture(scope="module")
def exec_arbiter(tmp_path_factory):
    """With the minimal program and the Go demo actor (go-demo) registered; without Go,
    ``.missing`` says so and the tests of the Go actor skip, loudly."""
    go, missing = program_options("go")
    arbiter = ArbiterProcess("--program", f"minimal={PROGRAM}", *go, "--heartbeat-interval",
                             "0.1", modules=("tests.sample_actors",),
                             run_dir=str(tmp_path_factory.mktemp("run")))
    arbiter.missing = missing
    yield arbiter
    arbiter.stop_and_check()


def program_of(arbiter, language: str) -> str:
    """The registered program of the actor language ("minimal": the Python script)."""
    if language in arbiter.missing:
        loud_skip(arbiter.missing[language])
    return {"minimal": "minimal", "go": GO_PROGRAM}[language]


async def running(client, name, not_aid=None):
    for summary in await client.list_actors(name_prefix=name):
        if summary.actor.name == name and summary.actor.aid != not_aid and \
                state_from_wire(summary.actor.state) == actorgrpc.ACTOR_STATES.RUN:
            return summary
    return None


async def test_spawn_send_and_stop_an_exec_actor(exec_arbiter):
    async with actorgrpc.connect(exec_arbiter.address) as client:
        proxy = await client.spawn(name="ex-1", kind="exec", program="minimal",
                                   extra={"role": "tester"})
        assert proxy.address and proxy.address != exec_arbiter.address
        assert await client.send(proxy, "ping") == "pong"                 # direct stream
        assert await client.send_via_arbiter("ex-1", "echo", {"a": [1]}) == {"a": [1]}
        view = await client.send(proxy, "boot_view")
        assert view["aid"] == proxy.aid and view["name"] == "ex-1"
        assert view["monitor_address"] == exec_arbiter.address
        assert view["extra"] == {"role": "tester"}
        with pytest.raises(actorgrpc.CommandNotFound):
            await client.send(proxy, "fly")
        listed = (await client.list_actors(name_prefix="ex-1"))[0]
        assert listed.program == "minimal" and listed.pid > 0
        pid = listed.pid
        # The arbiter's own Python actors reach it too.
        helper = await client.spawn(name="ex-helper")
        assert await client.send(helper, "relay", "ex-1", "ping") == "pong"
        assert await client.stop("ex-1") == 0           # a stop order, obeyed: exit 0
        assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == "zombie"
        await client.stop(helper)


async def test_only_registered_programs_run(exec_arbiter):
    async with actorgrpc.connect(exec_arbiter.address) as client:
        for program in ("/bin/sh", "sh", "minimal2", "../minimal", ""):
            with pytest.raises((actorgrpc.PermissionDenied, actorgrpc.InvalidArgument)):
                await client.spawn(name="ex-bad", kind="exec", program=program)
        with pytest.raises(actorgrpc.InvalidArgument, match="hooks"):
            await client.spawn(name="ex-bad", kind="exec", program="minimal",
                               start="tests.sample_actors:mark_started")
        with pytest.raises(actorgrpc.InvalidArgument, match="only for kind"):
            await client.spawn(name="ex-bad", program="minimal")
        assert not await client.list_actors(name_prefix="ex-bad")


async def incarnation(client, name, aid):
    """The summary of one incarnation of ``name``, exited or not."""
    return [a for a in await client.list_actors(name_prefix=name, include_exited=True)
            if a.actor.aid == aid][0]


@pytest.mark.parametrize("language", ["minimal", "go"])
async def test_kill_9_restarts_and_a_hung_exec_actor_is_replaced(exec_arbiter, language):
    program = program_of(exec_arbiter, language)
    name = f"ex-phoenix-{language}"
    async with actorgrpc.connect(exec_arbiter.address) as client:
        first = await client.spawn(name=name, kind="exec", program=program,
                                   restart="permanent", timeout=1.0)
        pid = (await client.list_actors(name_prefix=name))[0].pid
        processes = [psutil.Process(pid)]
        os.kill(pid, signal.SIGKILL)
        second = await wait_for_async(lambda: running(client, name, first.aid),
                                      RECOVERY, "the exec actor restarted")
        assert second.restarts == 1 and second.pid != pid and second.program == program
        processes.append(psutil.Process(second.pid))
        assert (await incarnation(client, name, first.aid)).crash_report.exit_code == -9
        assert await client.send(name, "ping") == "pong"
        # It stops beating: hung after its 1 s timeout, stopped, replaced. The Go
        # actor's freeze blocks its loop until it is stopped (no answer: a tell).
        if language == "go":
            await client.tell(name, "freeze")
        else:
            await client.send(name, "freeze")
        third = await wait_for_async(lambda: running(client, name, second.actor.aid),
                                     RECOVERY, "the hung exec actor replaced")
        assert third.restarts == 2
        processes.append(psutil.Process(third.pid))
        old = await incarnation(client, name, second.actor.aid)
        assert old.crash_report.failure.startswith("hung")
        assert await client.stop(name) == 0
        # Every incarnation's process is gone (the hung one was stopped or killed).
        assert_all_gone(processes, timeout=RECOVERY)


async def test_restart_policies_of_a_go_actor(exec_arbiter):
    """Permanent: restarted even after a clean exit; transient: after an abnormal one
    only; temporary: never. The four actors run at once (their exits do not wait on
    each other), each killed with SIGKILL or told to stop (exit 0)."""
    program = program_of(exec_arbiter, "go")
    async with actorgrpc.connect(exec_arbiter.address) as client:
        async def one(restart, exit, restarted):
            name = f"ex-policy-{restart}-{exit}"
            ref = await client.spawn(name=name, kind="exec", program=program, restart=restart)
            process = psutil.Process((await client.list_actors(name_prefix=name))[0].pid)
            if exit == "kill":
                process.kill()
            else:
                assert await client.send(ref, "stop") is None
            # The exit is seen at once (the process is reaped); RECOVERY is the margin.
            await asyncio.to_thread(process.wait, RECOVERY)
            await wait_for_async(lambda: has_report(client, name, ref.aid), RECOVERY,
                                 f"{name}: the exit recorded")
            if restarted:
                again = await wait_for_async(lambda: running(client, name, ref.aid), RECOVERY,
                                             f"{name}: restarted")
                assert again.restarts == 1 and again.program == program
                process = psutil.Process(again.pid)
                assert await client.send(name, "ping") == "pong"
                assert await client.stop(name) == 0
                await asyncio.to_thread(process.wait, RECOVERY)
            else:
                # Recorded exited, and with no restart pending, nothing by that name:
                # the supervisor decides when it records the exit.
                assert await running(client, name) is None
                with pytest.raises(actorgrpc.ActorNotFound):
                    await client.send(name, "ping")

        await asyncio.gather(one("permanent", "stop", True), one("transient", "kill", True),
                             one("transient", "stop", False), one("temporary", "kill", False))


async def has_report(client, name, aid):
    return (await incarnation(client, name, aid)).HasField("crash_report")


def test_exec_actors_die_with_their_arbiter(tmp_path):
    """SIGKILL the arbiter: stdin ends, the heartbeat breaks, the program exits."""
    arbiter = ArbiterProcess("--program", f"minimal={PROGRAM}", run_dir=str(tmp_path))
    spawned = subprocess.run(
        [sys.executable, "-m", "actorgrpc", "spawn", "--kind", "exec", "--program", "minimal",
         "--name", "orphan", "--address", arbiter.address],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
        env={**os.environ, "PYTHONPATH": ROOT})
    assert spawned.returncode == 0, spawned.stderr
    children = arbiter.descendants()
    programs = [p for p in children if p.cmdline()[1:2] == shlex.split(PROGRAM)[1:2]]
    assert len(programs) == 1
    arbiter.kill_only_the_arbiter()
    # 10 s: end of file on stdin is seen at once; the margin is for a loaded machine.
    assert_all_gone(children, timeout=10.0)


@pytest.mark.parametrize("fork_server", ["1", "0"])
def test_a_stopping_arbiter_hears_its_subprocess_actors_exit(tmp_path, fork_server):
    """SIGTERM the arbiter: its exec actors (and, without a fork server, its process
    actors) obey the stop order, and their exits are reported. The exit watchers used
    to be cancelled with the arbiter's own tasks: each actor then 'ignored the stop
    order' and 'survived SIGKILL' (15 s of shutdown for nothing)."""
    arbiter = ArbiterProcess("--program", f"minimal={PROGRAM}", run_dir=str(tmp_path),
                             env={"ACTORGRPC_FORK_SERVER": fork_server})
    children = []
    try:
        for params in (["--kind", "exec", "--program", "minimal", "--name", "e1"],
                       ["--kind", "process", "--name", "p1"]):
            spawned = subprocess.run(
                [sys.executable, "-m", "actorgrpc", "spawn", *params,
                 "--address", arbiter.address],
                cwd=ROOT, capture_output=True, text=True, timeout=60,
                env={**os.environ, "PYTHONPATH": ROOT})
            assert spawned.returncode == 0, spawned.stderr
        children = arbiter.descendants()
        assert arbiter.terminate() == 0, arbiter.stderr()
        log = "\n".join(arbiter.stderr_lines)
        assert "e1(" in log and "p1(" in log
        assert "ignored the stop order" not in log and "survived SIGKILL" not in log, log
        for name in ("e1", "p1"):
            assert any(f"{name}(" in line and "stopped (0)" in line
                       for line in arbiter.stderr_lines), log
    finally:
        if arbiter.process.poll() is None:
            arbiter.kill()
        assert_all_gone(children)


def test_program_option_and_config():
    program = parse_program_option("go-demo=/opt/bin/demo --flag 'two words'")
    assert program.command == ("/opt/bin/demo", "--flag", "two words")
    for bad in ("nocommand", "=cmd", "bad name=cmd", "x="):
        with pytest.raises(ValueError):
            parse_program_option(bad)
    from actorgrpc.ops.config import ConfigError, parse_config

    config = parse_config('[programs.node-demo]\ncommand = ["node", "demo.js"]\n'
                          'env = {NODE_ENV = "production"}\n')
    assert config.programs[0].command == ("node", "demo.js")
    assert config.programs[0].env == {"NODE_ENV": "production"}
    with pytest.raises(ConfigError, match="command"):
        parse_config('[programs.x]\ncommand = "node demo.js"\n')
