"""WatchActors, Logs and ListActors over gRPC and through the CLI; log lines name their actor."""

import asyncio
import json
import os
import queue
import re
import subprocess
import sys
import threading

import grpc
import pytest

import actorgrpc
from actorgrpc.contract.enums import state_from_wire, state_to_wire
from actorgrpc.supervisor.events import event_name
from actorgrpc.v1 import arbiter_pb2, arbiter_pb2_grpc

from .support import ROOT, ArbiterProcess, wait_for, wait_for_async

#: Seconds to wait for one event: a spawn or a restart takes well under a second;
#: the margin covers a loaded 2-core machine.
EVENT_TIMEOUT = 20.0

TEXT_LINE = re.compile(r"^\S+ \S+ \S+\s+(?P<name>\S+)\((?P<aid>[^)]*)\) pid=\d+ "
                       r"(?P<logger>\S+): (?P<message>.*)$")


@pytest.fixture(scope="module")
def watched(tmp_path_factory):
    """An arbiter with a one-worker pool, JSON logs and fast heartbeats."""
    arbiter = ArbiterProcess("--monitor", "wlpool=1", "--log-format", "json",
                             "--heartbeat-interval", "0.2",
                             run_dir=str(tmp_path_factory.mktemp("run")))
    yield arbiter
    arbiter.stop_and_check()


class Watch:
    """A WatchActors stream read with deadlines."""

    def __init__(self, stub, name_prefix, include_existing=True):
        self.call = stub.WatchActors(arbiter_pb2.WatchActorsRequest(
            name_prefix=name_prefix, include_existing=include_existing))

    async def next(self, timeout=EVENT_TIMEOUT):
        event = await asyncio.wait_for(self.call.read(), timeout)
        assert event is not grpc.aio.EOF, "the watch stream ended"
        return event

    async def until(self, name, type_name, timeout=EVENT_TIMEOUT):
        """Events up to and including the first ``type_name`` event of ``name``."""
        seen = []
        while True:
            event = await self.next(timeout)
            seen.append((event_name(event.type), event.actor.actor.name, event.detail))
            if event.actor.actor.name == name and event_name(event.type) == type_name:
                return seen, event


@pytest.fixture
async def stub(watched):
    async with grpc.aio.insecure_channel(watched.address) as channel:
        yield arbiter_pb2_grpc.ArbiterServiceStub(channel)


async def test_watch_reports_the_life_of_an_actor(watched, stub):
    async with actorgrpc.connect(watched.address) as client:
        await client.spawn(name="wl-sentinel")
        watch = Watch(stub, "wl-")
        # The EXISTING event proves the subscription is in place before we act.
        first = await watch.next()
        assert (event_name(first.type), first.actor.actor.name) == ("existing", "wl-sentinel")
        await client.spawn(name="other-name")     # filtered out by the prefix
        proxy = await client.spawn(name="wl-a")
        await client.stop("wl-a")
        seen, exited = await watch.until("wl-a", "exited")
        assert [(t, n) for t, n, _ in seen] == [("spawned", "wl-a"), ("running", "wl-a"),
                                               ("stopping", "wl-a"), ("exited", "wl-a")]
        assert seen[1][2] == proxy.address and seen[2][2] == "stopped by a client"
        assert exited.detail == "exit code 0" and exited.actor.actor.aid == proxy.aid
        assert state_from_wire(exited.actor.actor.state) == actorgrpc.ACTOR_STATES.CLOSE

        with pytest.raises(actorgrpc.SpawnError):
            await client.spawn(name="wl-bad", start="tests.sample_actors:failing_start")
        seen, failed = await watch.until("wl-bad", "failed")
        assert [t for t, _, _ in seen] == ["spawned", "failed"]
        assert "no database" in failed.detail
        watch.call.cancel()
        await client.stop("other-name")
        await client.stop("wl-sentinel")


async def test_watch_reports_crash_restart_and_hung(watched, stub):
    async with actorgrpc.connect(watched.address) as client:
        # The pool's worker is running before the watch begins (20 s: it boots in well
        # under a second; the margin covers a loaded machine).
        await stub.GetActor(arbiter_pb2.GetActorRequest(target="wlpool-0", wait_seconds=20),
                            timeout=25)
        watch = Watch(stub, "wlpool-")
        first = await watch.next()
        assert event_name(first.type) == "existing"
        old = first.actor.actor.aid
        with pytest.raises(actorgrpc.ActorUnavailable):
            await client.send("wlpool-0", "crash", 7)
        seen, restarted = await watch.until("wlpool-0", "restarted")
        assert [t for t, _, _ in seen] == ["exited", "spawned", "running", "restarted"]
        assert seen[0][2] == "exit code 7"
        assert restarted.actor.restarts == 1 and restarted.detail.endswith(old)
        watch.call.cancel()

        # timeout=1: declared hung after 1 s without a heartbeat.
        await client.spawn(name="wl-hung", timeout=1.0)
        hung_watch = Watch(stub, "wl-hung")
        assert event_name((await hung_watch.next()).type) == "existing"
        await client.tell("wl-hung", "block", 60)
        # Declared hung after 1 s without a beat, then stopped with escalation.
        seen, _ = await hung_watch.until("wl-hung", "exited", timeout=30)
        types = [t for t, _, _ in seen]
        assert types[0] == "hung" and "stopping" in types
        assert seen[-1][2].startswith("killed by SIG")
        hung_watch.call.cancel()


async def test_watch_refuses_a_malformed_request(watched):
    async with grpc.aio.insecure_channel(watched.address) as channel:
        call = channel.unary_stream("/actorgrpc.v1.ArbiterService/WatchActors",
                                    request_serializer=lambda b: b,
                                    response_deserializer=lambda b: b)(b"\x0a\xff")
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await call.read()
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_list_actors_filters_and_pages(watched, stub):
    async with actorgrpc.connect(watched.address) as client:
        for index in range(5):
            await client.spawn(name=f"page-{index}")
        await client.stop("page-4")

        async def names(**fields):
            response = await stub.ListActors(arbiter_pb2.ListActorsRequest(**fields))
            return [a.actor.name for a in response.actors], response.next_page_token

        assert (await names(name_prefix="page-"))[0] == [f"page-{i}" for i in range(4)]
        exited, _ = await names(name_prefix="page-", include_exited=True)
        assert exited == [f"page-{i}" for i in range(5)]
        closed, _ = await names(name_prefix="page-", include_exited=True,
                                state=state_to_wire(actorgrpc.ACTOR_STATES.CLOSE))
        assert closed == ["page-4"]
        # The monitor filter: the pool's live worker only (20 s: it may still be
        # restarting after the previous test).
        await wait_for_async(lambda: _pool_names(stub), EVENT_TIMEOUT, "wlpool-0 running")
        # Pages of 2, in name order, ending with an empty token.
        pages, token = [], ""
        while True:
            page, token = await names(name_prefix="page-", page_size=2, page_token=token)
            pages.append(page)
            if not token:
                break
        assert pages == [["page-0", "page-1"], ["page-2", "page-3"]]
        # Opaque tokens: garbage, a negative offset as the old tokens were, a token of
        # other filters; and a negative page size.
        other_filters = (await stub.ListActors(arbiter_pb2.ListActorsRequest(
            page_size=1))).next_page_token
        assert other_filters
        for bad in (dict(page_token="x"), dict(page_token="-5"), dict(page_token="!" * 2000),
                    dict(name_prefix="page-", page_token=other_filters), dict(page_size=-1)):
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await stub.ListActors(arbiter_pb2.ListActorsRequest(**bad))
            assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        for index in range(4):
            await client.stop(f"page-{index}")


async def _pool_names(stub):
    response = await stub.ListActors(arbiter_pb2.ListActorsRequest(
        monitor="wlpool", state=state_to_wire(actorgrpc.ACTOR_STATES.RUN)))
    return [a.actor.name for a in response.actors] == ["wlpool-0"]


async def test_logs_tail_follow_and_errors(watched, stub):
    async with actorgrpc.connect(watched.address) as client:
        proxy = await client.spawn(name="wl-logs")
        # The whole tail, then what follows: the stopping line is in one or the other
        # whether the stream opens before or after the stop below.
        follow = stub.Logs(arbiter_pb2.LogsRequest(target="wl-logs", tail_lines=1000,
                                                   follow=True))
        await client.stop("wl-logs")
        lines = []
        # The stream ends by itself once the actor has exited and its output is read.
        async for batch in follow:
            lines.extend(batch.lines)
        records = [json.loads(line) for line in lines]
        stopping = [r for r in records if "stopping" in r["message"]]
        assert stopping and stopping[0]["aid"] == proxy.aid
        assert stopping[0]["actor"] == "wl-logs"
        # An exited actor's output stays readable by name.
        tail = [line async for batch in stub.Logs(arbiter_pb2.LogsRequest(
            target="wl-logs", tail_lines=1)) for line in batch.lines]
        assert tail == lines[-1:]
        await client.spawn(name="wl-thread", kind="thread")
        for target, code in (("nobody", grpc.StatusCode.NOT_FOUND),
                             ("wl-thread", grpc.StatusCode.INVALID_ARGUMENT)):
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                async for _ in stub.Logs(arbiter_pb2.LogsRequest(target=target)):
                    pass
            assert caught.value.code() == code
        await client.stop("wl-thread")


# -- the same through the command line ------------------------------------------------

def cli(address, *args, check=True):
    # 60 s bound: each command imports grpc (~0.1 s) and makes one or two calls.
    result = subprocess.run([sys.executable, "-m", "actorgrpc", *args, "--address", address],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    if check:
        assert result.returncode == 0, result.stderr
    return result


class CliStream:
    """A long-running CLI command whose stdout lines are read with deadlines."""

    def __init__(self, address, *args):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "actorgrpc", *args, "--address", address], cwd=ROOT,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines: queue.Queue = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self):
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def next(self, timeout=EVENT_TIMEOUT):
        line = self.lines.get(timeout=timeout)
        assert line is not None, f"command ended: {self.process.stderr.read()}"
        return line

    def finish(self, timeout=EVENT_TIMEOUT):
        """Wait for the command to exit by itself; return (exit code, remaining lines)."""
        code = self.process.wait(timeout)
        rest = []
        while (line := self.lines.get(timeout=timeout)) is not None:
            rest.append(line)
        return code, rest

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(10)


def test_cli_watch_prints_events_and_stops_after_count(watched):
    address = watched.address
    cli(address, "spawn", "--name", "cw-sentinel")
    watch = CliStream(address, "watch", "--name-prefix", "cw-", "--existing", "--json",
                      "--count", "5")
    try:
        first = json.loads(watch.next())
        assert first["type"] == "existing" and first["actor"]["actor"]["name"] == "cw-sentinel"
        cli(address, "spawn", "--name", "cw-1")
        cli(address, "stop", "cw-1")
        code, rest = watch.finish()
        assert code == 0
        events = [json.loads(line) for line in rest]
        assert [(e["type"], e["actor"]["actor"]["name"]) for e in events] == [
            ("spawned", "cw-1"), ("running", "cw-1"), ("stopping", "cw-1"), ("exited", "cw-1")]
        assert events[-1]["detail"] == "exit code 0"
    finally:
        watch.kill()
    # Text lines: time, event, name(aid), state, detail.
    text = cli(address, "watch", "--name-prefix", "cw-", "--existing", "--count", "1").stdout
    assert re.match(r"^\d\d:\d\d:\d\d\.\d{3}  existing\s+cw-sentinel\(\w+\)  running", text)
    cli(address, "stop", "cw-sentinel")
    assert cli(address, "watch", "--timeout", "0.5").returncode == 0


def test_cli_logs_tail_and_follow(watched):
    address = watched.address
    spawned = json.loads(cli(address, "spawn", "--name", "cl-1").stdout)
    # -f returns by itself once the actor has exited and its last lines are printed;
    # with a long tail the stopping line shows whether the stream opened before or
    # after the stop.
    follow = CliStream(address, "logs", "cl-1", "-f", "-n", "1000")
    try:
        cli(address, "stop", "cl-1")
        code, rest = follow.finish()
    finally:
        follow.kill()
    assert code == 0
    stopping = [json.loads(line) for line in rest if "stopping" in line]
    assert stopping and stopping[0]["aid"] == spawned["aid"]
    tail = cli(address, "logs", "cl-1", "-n", "1").stdout.splitlines()
    assert len(tail) == 1 and json.loads(tail[0])["aid"] == spawned["aid"]
    missing = cli(address, "logs", "nobody", check=False)
    assert missing.returncode == 3 and "nobody" in missing.stderr


# -- every line about an actor carries its aid and name --------------------------------

def _parse(line: str, fmt: str) -> dict | None:
    if fmt == "json":
        try:
            data = json.loads(line)
        except ValueError:
            return None
        return {"aid": data["aid"], "name": data["actor"], "message": data["message"]}
    match = TEXT_LINE.match(line)
    return match.groupdict() if match else None


@pytest.fixture(params=["text", "json"])
def formatted(request, tmp_path):
    arbiter = ArbiterProcess("--log-format", request.param, "--monitor", "lfpool=1",
                             run_dir=str(tmp_path / "run"))
    arbiter.format = request.param
    arbiter.run_dir = str(tmp_path / "run")
    yield arbiter
    arbiter.stop_and_check()


async def _crash_and_stop(arbiter):
    """A worker crash (restart) and an operator stop: lines of both kinds."""
    async with actorgrpc.connect(arbiter.address) as client:
        # 20 s: the pool's worker boots in well under a second.
        await wait_for_async(lambda: _running(client, "lfpool-0"), EVENT_TIMEOUT, "worker")
        worker = await client.get_actor("lfpool-0")
        with pytest.raises(actorgrpc.ActorUnavailable):
            await client.send(worker, "crash", 5)
        await wait_for_async(lambda: _replaced(client, "lfpool-0", worker.aid),
                             EVENT_TIMEOUT, "replacement")
        proxy = await client.spawn(name="lf-1")
        await client.stop("lf-1")
        return worker, proxy


async def _running(client, name):
    try:
        return (await client.get_actor(name)).state == actorgrpc.ACTOR_STATES.RUN
    except actorgrpc.ActorNotFound:
        return False


async def _replaced(client, name, old_aid):
    try:
        proxy = await client.get_actor(name)
    except actorgrpc.ActorNotFound:
        return False
    return proxy.aid != old_aid and proxy.state == actorgrpc.ACTOR_STATES.RUN


async def test_actor_output_lines_carry_aid_and_name(formatted):
    _, proxy = await _crash_and_stop(formatted)
    path = os.path.join(formatted.run_dir, "logs", f"lf-1.{proxy.aid}.log")
    lines = [_parse(line, formatted.format) for line in open(path).read().splitlines()]
    parsed = [line for line in lines if line]
    assert parsed, f"no {formatted.format} log line in {path}"
    assert all((p["aid"], p["name"]) == (proxy.aid, "lf-1") for p in parsed), parsed


async def test_arbiter_lines_about_an_actor_carry_its_aid_and_name(formatted):
    worker, proxy = await _crash_and_stop(formatted)

    def lines_about() -> dict:
        about: dict = {}
        for line in list(formatted.stderr_lines):
            parsed = _parse(line, formatted.format)
            if parsed is None:
                continue
            for actor in (worker, proxy):
                if f"{actor.name}({actor.aid})" in parsed["message"]:
                    about.setdefault(actor.aid, []).append(parsed)
        return about

    # spawned / exited unexpectedly / replacing it, and spawned / stopped. An exit is
    # logged just after the restart starts, and stderr is read by a thread: the last
    # lines may come a little after the calls returned (10 s: milliseconds here).
    wait_for(lambda: len(lines_about().get(worker.aid, [])) >= 3
             and len(lines_about().get(proxy.aid, [])) >= 2, 10, "the arbiter's lines")
    about = lines_about()
    for actor in (worker, proxy):
        for parsed in about[actor.aid]:
            assert (parsed["aid"], parsed["name"]) == (actor.aid, actor.name), parsed
