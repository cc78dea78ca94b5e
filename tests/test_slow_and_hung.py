"""Two ways a part of the system can stop keeping up: a WatchActors client that does
not read, and a thread actor whose loop is blocked. Neither may take the arbiter with
it."""

from __future__ import annotations

import asyncio

import grpc
import pytest

import actorgrpc
from actorgrpc.contract.enums import state_from_wire
from actorgrpc.v1 import arbiter_pb2, arbiter_pb2_grpc

from .support import supervised_arbiter, wait_for_async

#: Seconds for a hung detection (1 s timeout, upkeep every 0.1 s) on a loaded machine.
RECOVERY = 30.0


@pytest.fixture
def small_queues(tmp_path):
    arbiter = supervised_arbiter(str(tmp_path), arbiter={
        "watcher_queue_size": 5, "monitor_task_period": 0.1})
    yield arbiter
    arbiter.stop_and_check()


async def test_a_watcher_that_does_not_read_is_cut_off(small_queues):
    # A small flow-control window, fixed (no BDP probing): what this watcher does not
    # read soon holds the server's writes, as a slow client on a real network would.
    window = [("grpc.http2.lookahead_bytes", 1024), ("grpc.http2.bdp_probe", 0)]
    async with actorgrpc.connect(small_queues.address) as client, \
            grpc.aio.insecure_channel(small_queues.address, options=window) as channel:
        stub = arbiter_pb2_grpc.ArbiterServiceStub(channel)
        watch = stub.WatchActors(arbiter_pb2.WatchActorsRequest())
        await watch.wait_for_connection()
        # Far more events than its queue (5) and gRPC's flow-control window hold.
        for index in range(150):
            proxy = await client.spawn(name=f"ev-{index}", kind="thread")
            await client.stop(proxy)
        # 30 s: the cut comes as soon as the buffered events are read (milliseconds).
        with pytest.raises(grpc.aio.AioRpcError) as cut:
            async with asyncio.timeout(30):
                while await watch.read() is not grpc.aio.EOF:
                    pass
        assert cut.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert "too slow" in cut.value.details()
        # The arbiter goes on serving, and other watchers are not affected.
        assert await client.send("arbiter", "ping") == "pong"
        fresh = stub.WatchActors(arbiter_pb2.WatchActorsRequest(name_prefix="late"))
        await fresh.wait_for_connection()
        await client.spawn(name="late", kind="thread")
        assert (await fresh.read()).actor.actor.name == "late"
        fresh.cancel()
        await client.stop("late")


async def test_a_hung_thread_actor_is_replaced(small_queues):
    async with actorgrpc.connect(small_queues.address) as client:
        hung = await client.spawn(name="stuck", kind="thread", timeout=1.0,
                                  restart="permanent")
        # Its loop blocks for 8 s: far past its 1 s timeout (a thread cannot be killed:
        # the block must end by itself for the test's thread to end).
        await client.tell(hung, "block", 8)

        async def replaced():
            try:
                found = await client.get_actor("stuck")
            except actorgrpc.ActorNotFound:
                return None
            return found if found.aid != hung.aid else None

        again = await wait_for_async(replaced, RECOVERY, "a new thread for the hung actor")
        assert await client.send(again, "ping") == "pong"
        old = [a for a in await client.list_actors(name_prefix="stuck", include_exited=True)
               if a.actor.aid == hung.aid][0]
        assert old.crash_report.failure.startswith("hung")
        assert state_from_wire(old.actor.state) == actorgrpc.ACTOR_STATES.TERMINATE
        await client.stop("stuck")
        # The blocked thread ends its sleep and its late exit changes nothing.
        await asyncio.sleep(0)
