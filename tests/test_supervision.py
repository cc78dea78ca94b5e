"""Supervision under faults: real arbiters, real processes, real signals.

Timing settings are small so faults are seen quickly: heartbeats every 0.1 s, the
supervision task every 0.1 s, 0.5 s per escalation step. Every wait polls with a
deadline that is a generous multiple of what the settings imply.
"""

import os
import signal

import grpc
import psutil
import pytest

import actorgrpc
from actorgrpc import ACTOR_STATES
from actorgrpc.contract.enums import state_from_wire
from actorgrpc.v1 import arbiter_pb2

from .support import assert_all_gone, supervised_arbiter, wait_for, wait_for_async

FAST = {"heartbeat_interval": 0.1, "monitor_task_period": 0.1, "action_timeout": 0.5}
#: Seconds any single recovery may take here: detection + escalation + restart take
#: about 2 s with FAST settings; the rest is margin for a loaded 2-core machine.
RECOVERY = 30


@pytest.fixture
def fast_arbiter(tmp_path):
    arbiter = supervised_arbiter(str(tmp_path), arbiter={
        **FAST, "restart_policy": {"backoff_jitter": 0.0}},
        monitors={"pool": {"num_workers": 3},
                  "all": {"num_workers": 3, "strategy": "one_for_all"},
                  "rest": {"num_workers": 3, "strategy": "rest_for_one"}})
    yield arbiter
    arbiter.stop_and_check()


async def _running(client, name, not_aid=None):
    for summary in await client.list_actors(name_prefix=name):
        if (summary.actor.name == name
                and state_from_wire(summary.actor.state) == ACTOR_STATES.RUN
                and summary.actor.aid != not_aid):
            return summary
    return None


async def _reported_memory(client, name):
    summary = await _running(client, name)
    return summary is not None and summary.memory_rss_bytes > 0


async def _aids(client, prefix):
    workers = [a for a in await client.list_actors(name_prefix=prefix)
               if state_from_wire(a.actor.state) == ACTOR_STATES.RUN]
    return {a.actor.name: a.actor.aid for a in workers}


async def _full_pool(client, prefix, count):
    aids = await _aids(client, prefix)
    return aids if len(aids) == count else None


async def test_kill_9_is_noticed_and_the_actor_restarted_under_its_name(fast_arbiter):
    async with actorgrpc.connect(fast_arbiter.address) as client:
        first = await client.spawn(name="phoenix", restart="permanent")
        pid = (await client.send(first, "whoami"))["pid"]
        # Its first full heartbeat (with its memory) follows the spawn within 0.1 s.
        await wait_for_async(lambda: _reported_memory(client, "phoenix"), RECOVERY,
                             "the first full heartbeat")
        os.kill(pid, signal.SIGKILL)
        second = await wait_for_async(lambda: _running(client, "phoenix", first.aid),
                                      RECOVERY, "the restarted actor")
        assert second.restarts == 1
        assert await client.send("phoenix", "ping") == "pong"
        # The crash report of the first incarnation.
        exited = [a for a in await client.list_actors(name_prefix="phoenix",
                                                      include_exited=True)
                  if a.actor.aid == first.aid][0]
        report = exited.crash_report
        assert report.exit_code == -signal.SIGKILL
        assert state_from_wire(exited.actor.state) == ACTOR_STATES.TERMINATE
        assert report.exit_description == "killed by SIGKILL"
        assert report.exited_at.seconds > 0
        assert exited.memory_rss_bytes > 0  # its last heartbeat
        info = await client.info(first.aid)
        assert info["crash_report"]["exit_description"] == "killed by SIGKILL"
        await client.stop("phoenix")


async def test_restart_types(fast_arbiter):
    async with actorgrpc.connect(fast_arbiter.address) as client:
        temporary = await client.spawn(name="once")
        transient = await client.spawn(name="transient", restart="transient")
        with pytest.raises(actorgrpc.ActorUnavailable):
            await client.send(temporary, "crash")
        with pytest.raises(actorgrpc.ActorUnavailable):
            await client.send(transient, "crash", 3)
        await wait_for_async(lambda: _running(client, "transient", transient.aid), RECOVERY,
                             "the transient actor to come back after a crash")
        assert await _running(client, "once") is None
        # A clean exit (the stop command, exit code 0) of a transient actor is final.
        assert await client.send("transient", "stop") is None
        await wait_for_async(lambda: _gone(client, "transient"), RECOVERY, "a clean exit")
        # An operator's Stop is never a crash, even for a permanent actor.
        permanent = await client.spawn(name="kept", restart="permanent")
        await client.stop(permanent)
        assert await _running(client, "kept") is None


async def _gone(client, name):
    return await _running(client, name) is None and not [
        a for a in await client.list_actors(name_prefix=name)]


async def test_monitor_strategies(fast_arbiter):
    async with actorgrpc.connect(fast_arbiter.address) as client:
        for prefix in ("pool-", "all-", "rest-"):
            await wait_for_async(lambda prefix=prefix: _full_pool(client, prefix, 3), RECOVERY,
                                 prefix)
        before = {p: await _aids(client, p) for p in ("pool-", "all-", "rest-")}
        for prefix in ("pool-", "all-", "rest-"):
            with pytest.raises(actorgrpc.ActorUnavailable):
                await client.send(f"{prefix}1", "crash")

        async def replaced(prefix, names):
            aids = await _full_pool(client, prefix, 3)
            return aids if aids and all(aids[n] != before[prefix][n] for n in names) else None

        pool = await wait_for_async(lambda: replaced("pool-", ["pool-1"]), RECOVERY, "pool")
        assert pool["pool-0"] == before["pool-"]["pool-0"]
        assert pool["pool-2"] == before["pool-"]["pool-2"]
        await wait_for_async(lambda: replaced("all-", ["all-0", "all-1", "all-2"]),
                             RECOVERY, "one_for_all")
        rest = await wait_for_async(lambda: replaced("rest-", ["rest-1", "rest-2"]),
                                    RECOVERY, "rest_for_one")
        assert rest["rest-0"] == before["rest-"]["rest-0"]
        info = await client.info("all")
        assert info["monitor"]["policy"]["strategy"] == "one_for_all"
        assert info["monitor"]["restarts"] == 1  # siblings restarted by the strategy do not count


async def test_sighup_restarts_every_worker(fast_arbiter):
    async with actorgrpc.connect(fast_arbiter.address) as client:
        before = await wait_for_async(lambda: _full_pool(client, "pool-", 3), RECOVERY, "pool")
        os.kill(fast_arbiter.pid, signal.SIGHUP)

        async def all_new():
            aids = await _full_pool(client, "pool-", 3)
            return aids if aids and not set(aids.values()) & set(before.values()) else None

        await wait_for_async(all_new, RECOVERY, "every worker restarted")
        assert await client.send("pool-2", "ping") == "pong"


async def test_hung_actor_is_detected_stopped_killed_and_replaced(fast_arbiter):
    async with actorgrpc.connect(fast_arbiter.address) as client:
        # timeout=1: hung after 1 s without heartbeat (beats come every 0.1 s).
        hung = await client.spawn(name="sleeper", timeout=1.0, restart="permanent")
        pid = (await client.send(hung, "whoami"))["pid"]
        await client.tell(hung, "block", 3600)
        replacement = await wait_for_async(lambda: _running(client, "sleeper", hung.aid),
                                           RECOVERY, "a replacement for the hung actor")
        assert replacement.restarts == 1
        wait_for(lambda: not psutil.pid_exists(pid) or psutil.Process(pid).status() == "zombie",
                 RECOVERY, "the hung process to be gone")
        old = [a for a in await client.list_actors(name_prefix="sleeper", include_exited=True)
               if a.actor.aid == hung.aid][0]
        assert old.crash_report.failure.startswith("hung: no heartbeat")
        # Its loop was blocked: the stop order and SIGTERM went unanswered, SIGKILL ended it.
        assert old.crash_report.exit_code == -signal.SIGKILL
        assert await client.send("sleeper", "ping") == "pong"
        await client.stop("sleeper")


async def test_ignored_stop_order_escalates_to_sigkill(fast_arbiter):
    async with actorgrpc.connect(fast_arbiter.address) as client:
        stubborn = await client.spawn(name="stubborn",
                                      stopping="tests.sample_actors:block_forever")
        assert await client.stop(stubborn) == -signal.SIGKILL
        assert await _running(client, "stubborn") is None


async def test_a_send_by_name_waits_for_a_restart_under_way(tmp_path):
    # Every crash after the first is restarted after a 2 s backoff: the window in
    # which the name has no live actor. 2 s is far more than the few milliseconds
    # the checks below take between seeing the gap and looking up or sending.
    arbiter = supervised_arbiter(str(tmp_path), arbiter={**FAST, "restart_policy": {
        "backoff_initial": 2.0, "backoff_max": 2.0, "backoff_jitter": 0.0,
        "stable_seconds": 60, "max_restarts": 10, "max_seconds": 60}})
    try:
        async with actorgrpc.connect(arbiter.address) as client:
            first = await client.spawn(name="phoenix", restart="permanent")
            with pytest.raises(actorgrpc.ActorUnavailable):
                await client.send(first, "crash", 3)  # restarted at once
            second = await wait_for_async(lambda: _running(client, "phoenix", first.aid),
                                          RECOVERY, "the first restart")
            with pytest.raises(actorgrpc.ActorUnavailable):
                await client.send(second.actor.aid, "crash", 3)  # restarted after 2 s
            await wait_for_async(lambda: _gone(client, "phoenix"), RECOVERY,
                                 "the crashed incarnation to be gone")
            # A lookup that does not wait fails at once ...
            with pytest.raises(actorgrpc.ActorNotFound):
                await client.get_actor("phoenix")
            # ... and with a wait, answers once the new incarnation runs.
            response = await client.stub.GetActor(arbiter_pb2.GetActorRequest(
                target="phoenix", wait_seconds=RECOVERY), timeout=RECOVERY + 5)
            third = response.actor.actor
            assert state_from_wire(third.state) == ACTOR_STATES.RUN and third.address
            assert third.aid not in (first.aid, second.actor.aid)
            # Sends by name wait the same way (Python's router, and the arbiter's
            # Send that Go, Node.js and grpcurl use), within their own timeouts.
            with pytest.raises(actorgrpc.ActorUnavailable):
                await client.send("phoenix", "crash", 3)
            await wait_for_async(lambda: _gone(client, "phoenix"), RECOVERY,
                                 "the crashed incarnation to be gone")
            assert await client.send("phoenix", "ping", _timeout=RECOVERY) == "pong"
            with pytest.raises(actorgrpc.ActorUnavailable):
                await client.send("phoenix", "crash", 3)
            await wait_for_async(lambda: _gone(client, "phoenix"), RECOVERY,
                                 "the crashed incarnation to be gone")
            assert await client.send_via_arbiter("phoenix", "ping",
                                                 _timeout=RECOVERY) == "pong"
            # A name with no restart pending is not waited for.
            with pytest.raises(actorgrpc.ActorNotFound):
                await client.send("nobody", "ping", _timeout=RECOVERY)
            # A call without a timeout still resolves a name (the wait is bounded).
            client.router.forget("phoenix")
            assert await client.send("phoenix", "ping", _timeout=float("inf")) == "pong"
            with pytest.raises(grpc.aio.AioRpcError) as bad:
                await client.stub.GetActor(arbiter_pb2.GetActorRequest(
                    target="phoenix", wait_seconds=float("nan")))
            assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            await client.stop("phoenix")
    finally:
        arbiter.stop_and_check()


async def test_crash_loop_backs_off_then_gives_up(tmp_path):
    arbiter = supervised_arbiter(str(tmp_path), arbiter=FAST, monitors={"loop": {
        "num_workers": 1, "periodic_task": "tests.sample_actors:crash_soon",
        "periodic_interval": 0.05, "max_restarts": 3, "max_seconds": 60,
        "backoff_initial": 0.2, "backoff_max": 5.0, "backoff_jitter": 0.0,
        "stable_seconds": 60}})
    try:
        async with actorgrpc.connect(arbiter.address) as client:
            async def gave_up():
                return (await client.info("loop"))["monitor"]["gave_up"]

            reason = await wait_for_async(gave_up, RECOVERY, "the monitor to give up")
            assert reason == "more than 3 restarts in 60 s"
            incarnations = sorted(
                (a for a in await client.list_actors(name_prefix="loop-0", include_exited=True)),
                key=lambda a: a.restarts)
            assert [a.restarts for a in incarnations] == [0, 1, 2, 3]
            # Immediate first restart, then the delay doubles: 0.2 s, 0.4 s.
            assert [a.backoff_seconds for a in incarnations] == [0.0, 0.0, 0.2, 0.4]
            assert all(a.crash_report.exit_code == 1 for a in incarnations)
            assert incarnations[-1].gave_up == reason
    finally:
        arbiter.stop_and_check()


async def test_spawn_fails_clearly_when_an_actor_never_gets_running(tmp_path):
    arbiter = supervised_arbiter(str(tmp_path), arbiter={**FAST, "spawn_timeout": 1.0})
    try:
        async with actorgrpc.connect(arbiter.address) as client:
            before = {p.pid for p in arbiter.descendants()}
            with pytest.raises(actorgrpc.SpawnError, match="did not start within 1 s"):
                await client.spawn(name="mute", start="tests.sample_actors:never_hello_start",
                                   _timeout=20)
            # New processes may be fresh standbys of the fork server; any other is a
            # straggler of the failed spawn.
            stragglers = [p for p in arbiter.descendants()
                          if p.pid not in before and _name(p) != "actor:standby"]
            assert_all_gone(stragglers)
            assert not [a for a in await client.list_actors(name_prefix="mute")]
    finally:
        arbiter.stop_and_check()


def _name(process) -> str:
    try:
        return process.name()
    except psutil.NoSuchProcess:
        return ""


async def test_sigterm_stops_every_actor_gracefully(tmp_path):
    arbiter = supervised_arbiter(str(tmp_path), arbiter=FAST, monitors={"pool": {
        "num_workers": 2}})
    markers = [tmp_path / f"stopped-{i}" for i in range(3)]
    async with actorgrpc.connect(arbiter.address) as client:
        for i, marker in enumerate(markers):
            await client.spawn(name=f"graceful-{i}", extra={"marker": str(marker)},
                               stopping="tests.sample_actors:write_stopping_marker")
        await client.spawn(name="graceful-thread", kind="thread")
        await wait_for_async(lambda: _full_pool(client, "pool-", 2), RECOVERY, "pool")
    children = arbiter.descendants()
    assert len(children) >= 6  # fork server, 3 actors, 2 workers
    assert arbiter.terminate(signal.SIGTERM) == 0
    assert_all_gone(children)
    assert [m.read_text() for m in markers] == ["graceful-0", "graceful-1", "graceful-2"]


@pytest.mark.parametrize("fork_server", ["1", "0"])
async def test_sigkill_of_the_arbiter_leaves_no_actor_behind(tmp_path, fork_server, monkeypatch):
    monkeypatch.setenv("ACTORGRPC_FORK_SERVER", fork_server)
    arbiter = supervised_arbiter(str(tmp_path), arbiter=FAST)
    async with actorgrpc.connect(arbiter.address) as client:
        for i in range(3):
            await client.spawn(name=f"orphan-{i}")
    children = arbiter.descendants()
    assert len(children) >= 3
    arbiter.process.kill()
    arbiter.process.wait(10)
    # The parent-death signal ends them within milliseconds; 10 s is the bound.
    assert_all_gone(children, timeout=10)


async def test_sigterm_to_the_whole_process_group_still_stops_in_order(tmp_path):
    """`timeout`, `tini -g` and terminals signal a whole process group: the actors
    live in a group of their own, so only the arbiter gets it and stops them."""
    import sys

    from .support import ArbiterProcess

    command = [sys.executable, "-c",
               "import os, sys; os.setpgid(0, 0); "
               "os.execv(sys.executable, [sys.executable, '-m', 'actorgrpc', 'serve', "
               "'--bind', '127.0.0.1:0', '-m', 'tests.sample_actors', "
               f"'--run-dir', {str(tmp_path)!r}])"]
    arbiter = ArbiterProcess(command=command)
    marker = tmp_path / "stopped"
    async with actorgrpc.connect(arbiter.address) as client:
        await client.spawn(name="grouped", extra={"marker": str(marker)},
                           stopping="tests.sample_actors:write_stopping_marker")
    children = arbiter.descendants()
    os.killpg(arbiter.pid, signal.SIGTERM)
    assert arbiter.process.wait(30) == 0
    assert_all_gone(children)
    assert marker.read_text() == "grouped"
    assert "ignored the stop order" not in arbiter.stderr()
