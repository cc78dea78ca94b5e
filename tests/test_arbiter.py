"""Spawning, messaging, info and stopping, against a real arbiter and real processes."""

import os

import psutil
import pytest

import actorgrpc
from actorgrpc import ACTOR_STATES
from actorgrpc.contract.enums import state_from_wire
from actorgrpc.v1 import actor_pb2

from .support import wait_for_async

#: The message path: run again with gRPC's private fast path off (make test).
pytestmark = pytest.mark.dataplane


async def test_spawn_process_actor_and_talk_to_it(client, arbiter_process):
    proxy = await client.spawn(name="basic")
    assert proxy.name == "basic" and proxy.aid and proxy.address.startswith("127.0.0.1:")
    assert proxy.state == ACTOR_STATES.RUN
    assert await client.send(proxy, "ping") == "pong"
    assert await client.send("basic", "echo", {"nested": [1, 2.5, None, {"x": True}]}) == {
        "nested": [1, 2.5, None, {"x": True}]}
    assert await client.send(proxy.aid, "add", 2, 40) == 42
    assert await client.send(proxy, "greet", name="py") == "hello py! from basic"
    who = await client.send(proxy, "whoami")
    assert who["pid"] != os.getpid()
    process = psutil.Process(who["pid"])
    assert arbiter_process.pid in [p.pid for p in process.parents()]
    assert process.name() == "actor:basic"
    assert who["get_actor_is_self"] and who["is_process"] and who["is_running"]
    assert who["started"] and not who["stopped"] and not who["closed"]
    assert not who["after_run"]
    assert not who["is_arbiter"] and not who["is_monitor"] and who["state"] == "running"
    await client.stop(proxy)
    assert not psutil.pid_exists(who["pid"]) or psutil.Process(who["pid"]).status() == "zombie"


async def test_info_has_pulsars_sections(client):
    proxy = await client.spawn(name="informed", extra={"role": "tester"})
    info = await client.info("informed")
    assert {"actor", "events", "extra", "system"} <= set(info)
    actor = info["actor"]
    assert actor["name"] == "informed" and actor["aid"] == proxy.aid
    assert actor["state"] == ACTOR_STATES.RUN and actor["is_process"] is True
    assert actor["process_id"] > 0 and actor["thread_id"] > 0 and actor["uptime"] >= 0
    assert info["extra"] == {"role": "tester"}
    assert info["system"]["memory_rss"] > 0 and info["system"]["num_threads"] >= 1
    assert info["supervision"]["pid"] == actor["process_id"]
    arbiter_info = await client.info()
    assert {"actor", "events", "extra", "system", "monitors", "workers"} <= set(arbiter_info)
    assert arbiter_info["actor"]["aid"] == "arbiter"
    assert any(w["actor"]["name"] == "informed" for w in arbiter_info["workers"])
    await client.stop("informed")


async def test_hooks_start_and_periodic_task(client):
    proxy = await client.spawn(name="hooked", start="tests.sample_actors:mark_started",
                               periodic_task="tests.sample_actors:count_ticks",
                               periodic_interval=0.05)
    info = await client.info(proxy.aid)
    assert info["extra"]["hook"] == "start"
    # 0.05 s period: three ticks arrive well within the 10 s bound.
    await wait_for_async(lambda: _ticks(client, proxy), 10, "periodic ticks")
    await client.stop(proxy)


async def _ticks(client, proxy):
    return (await client.info(proxy))["extra"].get("ticks", 0) >= 3


async def test_stopping_hook_runs(client, tmp_path):
    marker = tmp_path / "stopped.txt"
    proxy = await client.spawn(name="stopper", stopping="tests.sample_actors:write_stopping_marker",
                               extra={"marker": str(marker)})
    assert await client.stop(proxy) == 0
    assert marker.read_text() == "stopper"


async def test_thread_actor(client, arbiter_process):
    proxy = await client.spawn(name="threaded", kind="thread",
                               start="tests.sample_actors:mark_started")
    assert proxy.address == arbiter_process.address
    who = await client.send("threaded", "whoami")
    assert who["pid"] == arbiter_process.pid and who["is_process"] is False
    assert who["get_actor_is_self"] is True
    assert (await client.info("threaded"))["extra"] == {"hook": "start"}
    assert await client.send(proxy, "sleep", 0.01) == 0.01
    await client.stop(proxy)
    with pytest.raises(actorgrpc.ActorNotFound):
        await client.send("threaded", "ping")


async def test_actor_to_actor_direct_and_spawn_from_actor(client):
    a = await client.spawn(name="alice")
    b = await client.spawn(name="bob")
    assert await client.send(a, "relay", "bob", "add", 1, 2) == 3
    assert await client.send(a, "relay_to_proxy", b.as_dict(), "echo", "direct") == "direct"
    child = await client.send(a, "spawn_child", "carol")
    assert child["name"] == "carol"
    assert await client.send("carol", "ping") == "pong"
    assert await client.send(a, "relay", "arbiter", "ping") == "pong"
    # The standard "spawn" command does the same without user code.
    dave = await client.send(b, "spawn", name="dave")
    assert await client.send(dave["aid"], "ping") == "pong"
    for name in ("alice", "bob", "carol", "dave"):
        await client.stop(name)


async def test_run_command_calls_allowed_functions_only(client):
    proxy = await client.spawn(name="runner")
    assert await client.send(proxy, "run", "tests.sample_actors:run_target", 1, b=2) == {
        "sum": 3, "name": "runner"}
    with pytest.raises(actorgrpc.PermissionDenied):
        await client.send(proxy, "run", "os:system", "true")
    with pytest.raises(actorgrpc.InvalidArgument):
        await client.send(proxy, "run", "not a reference")
    await client.stop(proxy)


async def test_notify_and_commands(client):
    proxy = await client.spawn(name="notified")
    assert await client.send(proxy, "notify", {"hello": 1}) > 0
    info = await client.info(proxy)
    assert info["events"]["notifications"][-1]["message"] == {"hello": 1}
    assert {"ping", "echo", "info", "stop", "notify", "run", "spawn", "add"} <= set(
        await client.send(proxy, "commands"))
    await client.stop(proxy)


async def test_stop_command_from_a_message(client):
    proxy = await client.spawn(name="self-stopper")
    assert await client.send(proxy, "stop") is None
    await wait_for_async(lambda: _gone(client, "self-stopper"), 10, "the actor to exit")


async def _gone(client, name):
    return not [a for a in await client.list_actors(name_prefix=name)]


async def test_list_actors_filters_and_pages(client):
    for index in range(3):
        await client.spawn(name=f"listed-{index}", kind="thread")
    listed = await client.list_actors(name_prefix="listed-")
    assert [a.actor.name for a in listed] == ["listed-0", "listed-1", "listed-2"]
    assert all(a.kind == actor_pb2.ACTOR_KIND_THREAD
               and state_from_wire(a.actor.state) == ACTOR_STATES.RUN for a in listed)
    from actorgrpc.v1 import arbiter_pb2

    page = await client.stub.ListActors(arbiter_pb2.ListActorsRequest(
        name_prefix="listed-", page_size=2))
    assert len(page.actors) == 2 and page.next_page_token
    rest = await client.stub.ListActors(arbiter_pb2.ListActorsRequest(
        name_prefix="listed-", page_size=2, page_token=page.next_page_token))
    assert [a.actor.name for a in rest.actors] == ["listed-2"] and not rest.next_page_token
    for index in range(3):
        await client.stop(f"listed-{index}")
    exited = await client.list_actors(name_prefix="listed-", include_exited=True)
    assert {state_from_wire(a.actor.state) for a in exited} == {ACTOR_STATES.CLOSE}


async def test_get_actor_resolves_names(client):
    proxy = await client.spawn(name="resolvable")
    assert await client.get_actor("resolvable") == proxy
    arbiter = await client.get_actor("arbiter")
    assert arbiter.aid == "arbiter"
    await client.stop(proxy)


async def test_name_is_reusable_after_stop_and_default_name_is_aid(client):
    first = await client.spawn(name="reused")
    await client.stop(first)
    second = await client.spawn(name="reused")
    assert second.aid != first.aid
    # The client's cached address for "reused" is stale: it re-resolves by itself.
    assert await client.send("reused", "ping") == "pong"
    await client.stop(second)
    anonymous = await client.spawn(kind="thread")
    assert anonymous.name == anonymous.aid
    await client.stop(anonymous)


async def test_monitor_pool_keeps_workers(tmp_path):
    from .support import ArbiterProcess

    arbiter = ArbiterProcess("--monitor", "pool=2", run_dir=str(tmp_path))
    try:
        async with actorgrpc.connect(arbiter.address) as client:
            workers = await wait_for_async(lambda: _pool(client, 2), 30, "two workers")
            assert sorted(w.actor.name for w in workers) == ["pool-0", "pool-1"]
            assert await client.send("pool-0", "relay", "monitor", "ping") == "pong"
            info = await client.info("pool")
            assert len(info["workers"]) == 2
            # A worker that crashes is replaced under the same name.
            victim = workers[0]
            with pytest.raises(actorgrpc.ActorUnavailable):
                await client.send(victim.actor.name, "crash")
            replaced = await wait_for_async(
                lambda: _replaced(client, victim), 30, "a replacement worker")
            assert replaced.restarts == 1
            assert await client.send(victim.actor.name, "ping") == "pong"
    finally:
        arbiter.stop_and_check()


async def _pool(client, count):
    workers = [a for a in await client.list_actors(monitor="pool")
               if state_from_wire(a.actor.state) == ACTOR_STATES.RUN]
    return workers if len(workers) == count else None


async def _replaced(client, victim):
    for summary in await client.list_actors(name_prefix=victim.actor.name):
        if (summary.actor.aid != victim.actor.aid
                and state_from_wire(summary.actor.state) == ACTOR_STATES.RUN):
            return summary
    return None


async def test_without_fork_server_actors_are_fresh_interpreters(tmp_path):
    from .support import ArbiterProcess

    arbiter = ArbiterProcess(run_dir=str(tmp_path), env={"ACTORGRPC_FORK_SERVER": "0"})
    try:
        async with actorgrpc.connect(arbiter.address) as client:
            proxy = await client.spawn(name="exec-ed", start="tests.sample_actors:mark_started")
            who = await client.send(proxy, "whoami")
            process = psutil.Process(who["pid"])
            assert who["orig_argv"][-2:] == ["-m", "actorgrpc.actor.process"]
            assert [a for a in process.cmdline() if a] == ["actorgrpc: actor:exec-ed"]
            assert process.ppid() == arbiter.pid
            assert (await client.info(proxy))["extra"] == {"hook": "start"}
            with pytest.raises(actorgrpc.ActorUnavailable):
                await client.send(proxy, "crash")
            await wait_for_async(lambda: _gone(client, "exec-ed"), 10, "the crash to be seen")
    finally:
        arbiter.stop_and_check()


async def test_thread_actor_sends_and_spawns(client):
    """A thread actor's gRPC work runs on the arbiter's loop, its commands on its own."""
    thread = await client.spawn(name="thready", kind="thread")
    target = await client.spawn(name="thread-target")
    assert await client.send(thread, "relay", "thread-target", "add", 3, 4) == 7
    assert await client.send(thread, "relay_to_proxy", target.as_dict(), "ping") == "pong"
    child = await client.send(thread, "spawn_child", "thread-child")
    assert await client.send(child["name"], "ping") == "pong"
    for name in ("thready", "thread-target", "thread-child"):
        await client.stop(name)


async def test_many_sends_in_flight_keep_their_order_and_results(client):
    import asyncio

    proxy = await client.spawn(name="pipelined")
    results = await asyncio.gather(*(client.send(proxy, "echo", i) for i in range(5000)))
    assert results == list(range(5000))
    await client.stop(proxy)


async def test_seed_api_counterparts(client):
    """pulsar's Actor attributes exist on actors (checked from inside one)."""
    proxy = await client.spawn(name="seedy", extra={"x": 1})
    result = await client.send(proxy, "run", "tests.sample_actors:seed_api")
    assert result == {"loop": True, "mailbox": True, "stream": True,
                      "params": {"name": "seedy", "kind": "process", "timeout": 30.0,
                                 "periodic_interval": 1.0, "extra": {"x": 1},
                                 "monitor": "arbiter"},
                      "proxy": ["seedy", proxy.aid]}
    await client.stop(proxy)


async def test_spawns_use_standby_processes_and_work_without_them(tmp_path):
    """With standbys, a spawned actor is a warm process; with none, a fresh fork."""
    from .support import ArbiterProcess

    for standby, expect_warm in (("2", True), ("0", False)):
        arbiter = ArbiterProcess(run_dir=str(tmp_path / standby),
                                 env={"ACTORGRPC_STANDBY": standby})
        try:
            async with actorgrpc.connect(arbiter.address) as client:
                # Standbys are forked once the arbiter serves: wait until both exist.
                if expect_warm:
                    await wait_for_async(lambda arbiter=arbiter: len(_standbys(arbiter)) == 2, 30,
                                         "two standby processes")
                warm = {p.pid for p in _standbys(arbiter)}
                proxy = await client.spawn(name="warm", start="tests.sample_actors:mark_started")
                who = await client.send(proxy, "whoami")
                assert (who["pid"] in warm) is expect_warm
                assert psutil.Process(who["pid"]).name() == "actor:warm"
                assert (await client.info(proxy))["extra"] == {"hook": "start"}
                await client.stop(proxy)
        finally:
            arbiter.stop_and_check()


def _standbys(arbiter):
    found = []
    for process in arbiter.descendants():
        try:
            if process.name() == "actor:standby":
                found.append(process)
        except psutil.NoSuchProcess:
            pass
    return found


async def test_a_command_raising_not_found_runs_once(client):
    """Only "not hosted here" is retried after a fresh lookup; a command's own
    ActorNotFound means it ran, and it must not run again."""
    await client.spawn(name="caller", kind="thread")
    await client.spawn(name="callee", kind="thread")
    with pytest.raises(actorgrpc.ActorNotFound, match="looked for"):
        await client.send("caller", "relay", "callee", "count_then_missing")
    assert (await client.info("callee"))["extra"]["calls"] == 1
    for name in ("caller", "callee"):
        await client.stop(name)
