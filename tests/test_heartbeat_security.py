"""Actors that strangers cannot claim: a hello needs the internal credential and the
actor's own one-time secret, and a refused hello changes nothing."""

from __future__ import annotations

import asyncio
import json
import secrets

import grpc
import psutil
import pytest

import actorgrpc
from actorgrpc.contract.enums import state_from_wire
from actorgrpc.transport.auth import bearer_metadata
from actorgrpc.v1 import arbiter_pb2, arbiter_pb2_grpc, monitor_pb2, monitor_pb2_grpc

from .support import ArbiterProcess

#: Seconds a refused hello may take to be answered (one round trip on loopback).
ANSWER_TIMEOUT = 10.0


@pytest.fixture(scope="module", params=["fork-server", "exec"])
def guarded(request, tmp_path_factory):
    """An arbiter, with actors forked by the fork server or started with fork+exec."""
    env = {"ACTORGRPC_FORK_SERVER": "0"} if request.param == "exec" else {}
    arbiter = ArbiterProcess(modules=("tests.sample_actors",), env=env,
                             run_dir=str(tmp_path_factory.mktemp("run")))
    yield arbiter
    arbiter.stop_and_check()


#: Tries of a forged hello: grpcio's client reports its own INTERNAL "Internal error
#: from Core" instead of the server's status when the server refuses the call while
#: the client is still sending (about 1 call in 8 here); the server's answer is the
#: same every time, so another try shows it.
TRIES = 20


async def forged_hello(address: str, aid: str, **options) -> grpc.StatusCode:
    """Open a Heartbeat stream as an attacker would and say hello for ``aid``: the
    status the server answered."""
    for _ in range(TRIES):
        code, details = await _forged_hello_once(address, aid, **options)
        if not (code == grpc.StatusCode.INTERNAL and details == "Internal error from Core"):
            return code
    raise AssertionError(f"{TRIES} tries and no status from the server")


async def _forged_hello_once(address: str, aid: str, *, token: str | None, secret: str = "",
                             claimed_address: str = "127.0.0.1:9"):
    hello = monitor_pb2.HeartbeatRequest(hello=monitor_pb2.Hello(
        aid=aid, address=claimed_address, pid=1, secret=secret))
    async with grpc.aio.insecure_channel(address) as channel:
        # Requests from an iterator: a write that fails because the server already
        # refused the call cannot hide the server's status behind a local error.
        call = monitor_pb2_grpc.MonitorServiceStub(channel).Heartbeat(
            iter([hello]), metadata=bearer_metadata(token), timeout=ANSWER_TIMEOUT)
        try:
            async for reply in call:
                raise AssertionError(f"the forged hello for {aid} was answered: {reply}")
        except grpc.aio.AioRpcError as exc:
            return exc.code(), exc.details()
    raise AssertionError(f"the forged hello for {aid} ended without a status")


async def summary(address: str, target: str):
    async with grpc.aio.insecure_channel(address) as channel:
        response = await arbiter_pb2_grpc.ArbiterServiceStub(channel).GetActor(
            arbiter_pb2.GetActorRequest(target=target), timeout=ANSWER_TIMEOUT)
    return response.actor


async def test_refused_hellos_change_nothing(guarded):
    async with actorgrpc.connect(guarded.address) as client:
        process = await client.spawn(name="hb-process")
        thread = await client.spawn(name="hb-thread", kind="thread")
        # A compromised actor knows the internal credential, not other actors' secrets.
        insider = await client.spawn(name="hb-insider")
        credential = await client.send(insider, "leak_credential")
        assert credential
        before = {p.name: (await summary(guarded.address, p.name)).actor.address
                  for p in (process, thread)}
        attempts = [
            (process.aid, None, ""),                  # a stranger: no credential at all
            (process.aid, "x" * 40, ""),              # a wrong credential
            (process.aid, credential, ""),            # its stream is attached; no secret
            (process.aid, credential, secrets.token_urlsafe(24)),  # a guessed secret
            (thread.aid, credential, ""),             # thread actors never say hello
            (thread.aid, credential, secrets.token_urlsafe(24)),
            ("000000000000", credential, "anything"),  # nobody has this aid
            ("arbiter", credential, ""),
        ]
        for aid, token, secret in attempts:
            code = await forged_hello(guarded.address, aid, token=token, secret=secret)
            expected = (grpc.StatusCode.UNAUTHENTICATED if token != credential
                        else grpc.StatusCode.PERMISSION_DENIED)
            assert code == expected, (aid, token, secret)
        for proxy in (process, thread):
            now = await summary(guarded.address, proxy.name)
            assert now.actor.address == before[proxy.name] != "127.0.0.1:9"
            assert state_from_wire(now.actor.state) == actorgrpc.ACTOR_STATES.RUN
            assert await client.send(proxy.name, "ping") == "pong"
            assert await client.send_via_arbiter(proxy.name, "echo", "x") == "x"
        for proxy in (process, thread, insider):
            await client.stop(proxy)


async def test_a_race_for_new_actors_hijacks_none(guarded):
    """The attack of the report: poll for actors below RUN and hello first."""
    async with actorgrpc.connect(guarded.address) as client:
        insider = await client.spawn(name="race-insider")
        credential = await client.send(insider, "leak_credential")
        refused: list = []
        stop = asyncio.Event()

        async def attacker():
            tried: set = set()
            while not stop.is_set():
                for item in await client.list_actors(name_prefix="race-"):
                    if item.actor.aid not in tried and \
                            state_from_wire(item.actor.state) < actorgrpc.ACTOR_STATES.RUN:
                        tried.add(item.actor.aid)
                        refused.append(await forged_hello(
                            guarded.address, item.actor.aid, token=credential,
                            secret=secrets.token_urlsafe(24)))
                await asyncio.sleep(0)

        task = asyncio.ensure_future(attacker())
        try:
            proxies = await asyncio.gather(*(client.spawn(name=f"race-{i}")
                                             for i in range(20)))
        finally:
            stop.set()
            await task
        assert set(refused) <= {grpc.StatusCode.PERMISSION_DENIED}
        for proxy in proxies:
            assert proxy.address != "127.0.0.1:9"
            assert (await client.send(proxy, "whoami"))["aid"] == proxy.aid
        for proxy in [*proxies, insider]:
            await client.stop(proxy)


async def test_secrets_are_in_no_listing(guarded):
    """Neither the secret nor the credential is in an actor's command line or
    environment (what `ps` and /proc show other processes) or in any RPC's answer."""
    async with actorgrpc.connect(guarded.address) as client:
        proxy = await client.spawn(name="quiet")
        credential = await client.send(proxy, "leak_credential")
        pid = (await client.send(proxy, "whoami"))["pid"]
        process = psutil.Process(pid)
        assert credential not in " ".join(process.cmdline())
        assert not any(credential in value for value in process.environ().values())
        assert "ACTORGRPC_SPEC" not in process.environ()
        listed = await client.list_actors(include_exited=True)
        info = await client.info(proxy)
        arbiter_info = await client.info()
        for text in (str(listed), json.dumps(info), json.dumps(arbiter_info)):
            assert credential not in text
        await client.stop(proxy)
