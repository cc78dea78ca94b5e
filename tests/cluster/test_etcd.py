"""actorgrpc.cluster's etcd interface against real etcd members started by each test.

Every test is bounded twice: pytest-timeout for the whole test, and asyncio.timeout
around each wait, so that a hang fails with the line it hung on. Timing margins are
commented where they are set. Times are measured on the monotonic clock, which etcd
(Go) uses too on this machine.
"""

from __future__ import annotations

import asyncio
import os
import signal
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import psutil
import pytest

from actorgrpc.cluster import (
    EtcdAuthError,
    EtcdClient,
    EtcdTimeout,
    EtcdUnavailable,
    EventType,
    LeaseLost,
    WatchCompacted,
)

from .etcd_server import EtcdCluster

# The TTL of the leases under test: etcd's minimum with its default 1 s election
# timeout, so that expiry tests are as short as they can be.
TTL = 2

# etcd looks for expired leases every 500 ms, then commits the revocation through raft;
# on a loaded 2-core machine 1.5 s after the TTL covers both with room to spare.
EXPIRY_SLACK = 1.5


def _all_threads_stopped(pid: int) -> bool:
    """Every thread of ``pid`` is in the stopped state (SIGSTOP has taken effect)."""
    try:
        return all(thread.status() == psutil.STATUS_STOPPED
                   for thread in (psutil.Process(t.id) for t in psutil.Process(pid).threads()))
    except psutil.NoSuchProcess:
        return False


async def until(predicate: Callable[[], bool | Awaitable[bool]], timeout: float,
                what: str) -> None:
    """Poll ``predicate`` every 20 ms until true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if not isinstance(result, bool):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            pytest.fail(f"not within {timeout} s: {what}")
        await asyncio.sleep(0.02)  # polling interval of a bounded wait


async def retry_write(write: Callable[[], Awaitable[object]], timeout: float) -> None:
    """Retry a write until accepted: while etcd elects a leader, writes are refused
    (UNAVAILABLE, "request timed out, possibly due to previous leader failure")."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            await write()
            return
        except (EtcdUnavailable, EtcdTimeout):
            if time.monotonic() > deadline:
                raise


async def next_events(watch, timeout: float) -> list:
    async with asyncio.timeout(timeout):
        return await anext(watch)


# ----------------------------------------------------------------------- etcd itself


@pytest.mark.timeout(60)
def test_etcd_runs_unprivileged_with_a_temp_data_dir() -> None:
    if os.geteuid() != 0:
        pytest.skip("!!! SKIPPED: needs root to start etcd as another user !!!")
    base = Path(tempfile.mkdtemp(prefix="actorgrpc-etcd-"))
    os.chmod(base, 0o755)  # the unprivileged etcd must reach its data dir below
    cluster = EtcdCluster.start_local(base, 1, run_as="nobody")
    try:
        member = cluster.members[0]
        assert member.process is not None
        etcd = psutil.Process(member.process.pid)
        assert etcd.username() == "nobody"
        assert etcd.uids().effective != 0
        assert Path(member.data_dir, "member").is_dir()
        assert cluster.etcdctl("put", "k", "v").returncode == 0
        assert cluster.etcdctl("get", "k", "--print-value-only").stdout.strip() == "v"
    finally:
        cluster.close()
        cluster.assert_no_process_left(cluster.started_pids)
        # The data dir belongs to nobody now; root can still remove it.
        import shutil

        shutil.rmtree(base)


@pytest.mark.timeout(90)
async def test_three_member_cluster_serves_through_a_leader_change(etcd3, timings) -> None:
    leader = etcd3.leader()
    followers = [m for m in etcd3.members if m is not leader]
    async with EtcdClient(etcd3.endpoints) as etcd, \
            EtcdClient([followers[0].endpoint]) as via_follower:
        revision = await etcd.put("k", "before")
        found = await via_follower.get("k")
        assert found is not None and found.value == b"before" and found.mod_revision == revision
        assert (await via_follower.status())["leader"] == leader.member_id

        etcd3.kill_member(leader)
        killed = time.monotonic()
        # The two others elect a new leader (~1 election timeout, 1 s) and the client's
        # writes go through again; 10 s bounds that on a loaded machine.
        await retry_write(lambda: etcd.put("k", "after", timeout=1.0), 10)
        timings.record("3 members: etcd leader SIGKILLed -> a write accepted again",
                       time.monotonic() - killed)
        new_leader = etcd3.leader()
        assert new_leader is not leader
        assert (await via_follower.get("k")).value == b"after"


# ------------------------------------------------------------------------------ KV


@pytest.mark.timeout(30)
async def test_put_get_delete_and_prefixes(etcd1) -> None:
    async with EtcdClient(etcd1.endpoints) as etcd:
        assert await etcd.get("absent") is None
        first = await etcd.put("a/1", "one")
        second = await etcd.put("a/2", b"\x00two")
        await etcd.put("b/1", "other")
        assert second > first
        listing = await etcd.get_prefix("a/")
        assert [(kv.key, kv.value) for kv in listing.kvs] == [("a/1", b"one"), ("a/2", b"\x00two")]
        assert listing.revision >= second
        assert {kv.key for kv in (await etcd.get_prefix("")).kvs} == {"a/1", "a/2", "b/1"}
        assert await etcd.delete("a/1") is True
        assert await etcd.delete("a/1") is False
        assert await etcd.delete_prefix("a/") == 1
        assert (await etcd.get_prefix("a/")).kvs == []
        assert await etcd.revision() > second


@pytest.mark.timeout(30)
async def test_compare_and_put_and_delete_by_mod_revision(etcd1) -> None:
    async with EtcdClient(etcd1.endpoints) as etcd:
        created = await etcd.compare_and_put("spec/w1", "v1", 0)  # 0: only if absent
        assert created.succeeded and created.current.value == b"v1"
        assert not (await etcd.compare_and_put("spec/w1", "again", 0)).succeeded
        stale = created.current.mod_revision
        updated = await etcd.compare_and_put("spec/w1", "v2", stale)
        assert updated.succeeded and updated.current.value == b"v2"
        assert updated.current.create_revision == created.current.create_revision
        lost = await etcd.compare_and_put("spec/w1", "v3", stale)
        assert not lost.succeeded and lost.current.value == b"v2"
        refused = await etcd.compare_and_delete("spec/w1", stale)
        assert not refused.succeeded and refused.current.value == b"v2"
        deleted = await etcd.compare_and_delete("spec/w1", updated.current.mod_revision)
        assert deleted.succeeded and deleted.current is None
        assert await etcd.get("spec/w1") is None


@pytest.mark.timeout(60)
async def test_contended_create_if_absent_has_exactly_one_winner(etcd3) -> None:
    # 3 clients (one per member, so the race crosses members), 10 claimants each,
    # every claimant with its own value and its own lease, all at once.
    clients = [await EtcdClient([m.endpoint]).connect() for m in etcd3.members]
    try:
        leases = [await clients[i % 3].grant(30) for i in range(30)]
        start = asyncio.Event()

        async def claim(i: int):
            await start.wait()
            return await clients[i % 3].create_if_absent("names/w1", f"claimant-{i}",
                                                         lease=leases[i])

        tasks = [asyncio.create_task(claim(i)) for i in range(30)]
        start.set()
        async with asyncio.timeout(20):
            results = await asyncio.gather(*tasks)
        winners = [i for i, r in enumerate(results) if r.won]
        assert len(winners) == 1, winners
        owner = results[winners[0]].current
        assert owner.value == f"claimant-{winners[0]}".encode()
        assert owner.lease == leases[winners[0]].id
        for result in results:
            assert result.current == owner or (result.current.value, result.current.lease) == \
                (owner.value, owner.lease)
        stored = await clients[0].get("names/w1")
        assert (stored.value, stored.lease) == (owner.value, owner.lease)
        # A retry by the winner (after a timeout, say) is answered "won" again; a retry
        # by a loser is not.
        again = await clients[winners[0] % 3].create_if_absent(
            "names/w1", f"claimant-{winners[0]}", lease=leases[winners[0]])
        assert again.won
        loser = (winners[0] + 1) % 30
        assert not (await clients[loser % 3].create_if_absent(
            "names/w1", f"claimant-{loser}", lease=leases[loser])).won
        for lease in leases:
            await lease.revoke()
        assert await clients[0].get("names/w1") is None  # revoking freed the name
    finally:
        for client in clients:
            await client.close()


# -------------------------------------------------------------------------- leases


@pytest.mark.timeout(30)
async def test_lease_expiry_frees_the_key(etcd1, timings) -> None:
    async with EtcdClient(etcd1.endpoints) as etcd:
        holder = await etcd.grant(TTL, keep_alive=False)  # a holder that died at once
        assert holder.ttl == TTL
        granted = holder.expires_at - holder.ttl  # when the grant was sent
        assert (await etcd.create_if_absent("names/w1", "host-a", lease=holder)).won
        rival = await etcd.create_if_absent("names/w1", "host-b")
        assert not rival.won
        assert (rival.current.value, rival.current.lease) == (b"host-a", holder.id)
        async with etcd.watch("names/w1", start_revision=rival.revision + 1) as watch:
            events = await next_events(watch, TTL + EXPIRY_SLACK + 1)
        freed = time.monotonic()
        assert [(e.type, e.key) for e in events] == [(EventType.DELETE, "names/w1")]
        # etcd starts the TTL when it applies the grant, after we sent it: never early.
        assert TTL <= freed - granted < TTL + EXPIRY_SLACK
        timings.record(f"lease TTL {TTL} s, no keep-alive: grant -> key deleted",
                       freed - granted)
        assert (await etcd.create_if_absent("names/w1", "host-b")).won


@pytest.mark.timeout(40)
async def test_keep_alive_holds_the_key_and_reports_loss_when_etcd_stops_answering(
        etcd1, timings) -> None:
    member = etcd1.members[0]
    reported: list[float] = []
    async with EtcdClient(etcd1.endpoints) as etcd:
        lease = await etcd.grant(TTL, on_lost=lambda _: reported.append(time.monotonic()))
        await etcd.put("hosts/a", "alive", lease=lease)
        # Three TTLs with renewals every TTL/3: about 9 renewals; the key must still
        # be there. (3 * TTL + 2 s bounds it; 2 s covers a slow first renewal.)
        await until(lambda: lease.renewals >= 8, 3 * TTL + 2, "8 renewals")
        assert (await etcd.get("hosts/a")).value == b"alive"
        assert not lease.lost
        os.kill(member.process.pid, signal.SIGSTOP)  # etcd freezes: renewals hang
        frozen = time.monotonic()
        try:
            async with asyncio.timeout(TTL + 2):  # loss is due within TTL of the freeze
                reason = await lease.wait_lost()
        finally:
            os.kill(member.process.pid, signal.SIGCONT)
        lost = time.monotonic()
        assert reported and lease.lost and "not renewed" in reason, reason
        # The last renewal etcd acknowledged was sent at most TTL/3 before the freeze
        # (plus one attempt's bound), and loss is declared TTL after it: so between
        # 2/3 TTL and TTL after the freeze; 0.3 s covers the loop's wake-up delay.
        assert TTL * 2 / 3 - 0.3 <= lost - frozen <= TTL + 0.3
        assert abs(reported[0] - lease.expires_at) < 0.3
        timings.record(f"lease TTL {TTL} s: etcd frozen (SIGSTOP) -> loss reported",
                       lost - frozen)
        with pytest.raises(LeaseLost):
            await etcd.election("leaders", lease).campaign()


@pytest.mark.timeout(40)
async def test_loss_margin_reports_loss_before_etcd_expires_the_lease(etcd1) -> None:
    # A holder that stops renewing (its host is cut off) must learn it has lost the
    # lease loss_margin seconds before etcd frees its keys for someone else.
    async with EtcdClient(etcd1.endpoints) as holder_client, \
            EtcdClient(etcd1.endpoints) as observer:
        lease = await holder_client.grant(3, loss_margin=1.0)
        revision = await holder_client.put("names/w1", "host-a", lease=lease)
        await until(lambda: lease.renewals >= 1, 3, "a first renewal")
        # Renewals now fail: the holder's client is closed under the lease (the
        # keep-alive task keeps trying and failing, as on a host cut off).
        channel = holder_client._channel
        await channel.close()
        async with observer.watch("names/w1", start_revision=revision + 1) as watch:
            async with asyncio.timeout(3 + EXPIRY_SLACK + 1):
                await lease.wait_lost()
                lost = time.monotonic()
                await anext(watch)
                freed = time.monotonic()
        # etcd cannot free the key before expires_at; loss came 1 s before that.
        assert freed - lost >= 1.0 - 0.05  # 50 ms: the loop's wake-up delay
        holder_client._channel = None


# ------------------------------------------------------------------------- watches


@pytest.mark.timeout(30)
async def test_watch_sees_puts_and_deletes_in_order(etcd1) -> None:
    async with EtcdClient(etcd1.endpoints) as etcd:
        start = await etcd.put("elsewhere", "x") + 1
        lease = await etcd.grant(30)
        await etcd.put("names/a", "1")
        await etcd.put("names/b", "2", lease=lease)
        await etcd.put("names/c", "3", lease=lease)
        await etcd.put("names/a", "1b")
        await etcd.delete("names/a")
        await etcd.put("other/x", "not watched")
        await lease.revoke()  # b and c go in one revision
        await etcd.put("names/d", "4")
        async with etcd.watch_prefix("names/", start_revision=start, prev_kv=True) as watch:
            seen = []
            while len(seen) < 8:
                seen.extend(await next_events(watch, 5))
        assert [(e.type.value, e.key, e.value) for e in seen] == [
            ("put", "names/a", b"1"), ("put", "names/b", b"2"), ("put", "names/c", b"3"),
            ("put", "names/a", b"1b"), ("delete", "names/a", b""),
            ("delete", "names/b", b""), ("delete", "names/c", b""), ("put", "names/d", b"4")]
        revisions = [e.revision for e in seen]
        assert revisions[5] == revisions[6], "a lease's keys are deleted in one revision"
        assert all(a < b for a, b in zip(revisions[:5], revisions[1:6], strict=True))
        assert seen[4].prev.value == b"1b" and seen[5].prev.lease == lease.id


@pytest.mark.timeout(30)
async def test_a_watch_from_a_compacted_revision_says_so(etcd1) -> None:
    # Events before the compaction are gone: the watch must not pretend otherwise
    # (the caller reads the state again and watches from the read's revision).
    async with EtcdClient(etcd1.endpoints) as etcd:
        first = await etcd.put("names/a", "1")
        await etcd.put("names/a", "2")
        last = await etcd.put("names/a", "3")
        compacted = etcd1.etcdctl("compact", str(last))
        assert compacted.returncode == 0, compacted.stderr
        async with etcd.watch_prefix("names/", start_revision=first) as watch:
            with pytest.raises(WatchCompacted) as raised:
                await next_events(watch, 5)
        assert raised.value.compact_revision == last
        snapshot = await etcd.get_prefix("names/")
        assert [kv.value for kv in snapshot.kvs] == [b"3"]
        async with etcd.watch_prefix("names/", start_revision=snapshot.revision + 1) as watch:
            await etcd.put("names/a", "4")
            assert [e.value for e in await next_events(watch, 5)] == [b"4"]


@pytest.mark.timeout(60)
async def test_watch_resumes_after_the_member_restarts(etcd1, timings) -> None:
    member = etcd1.members[0]
    async with EtcdClient(etcd1.endpoints) as etcd:
        async with etcd.watch_prefix("names/") as watch:
            async with asyncio.timeout(5):
                await watch.connected.wait()
            await etcd.put("names/a", "1")
            assert [e.key for e in await next_events(watch, 5)] == ["names/a"]
            etcd1.stop_member(member)
            async with asyncio.timeout(5):  # the stream breaks at once on a closed socket
                await until(lambda: not watch.connected.is_set(), 5, "watch notices")
            etcd1.restart_member(member)
            restarted = time.monotonic()
            await etcd.put("names/b", "2", timeout=5)
            events = await next_events(watch, 10)
            resumed = time.monotonic()
            await etcd.delete("names/a")
            events += await next_events(watch, 5)
        # b once, then the delete: nothing lost, nothing repeated.
        assert [(e.type.value, e.key) for e in events] == [("put", "names/b"),
                                                           ("delete", "names/a")]
        assert watch.reconnects >= 1
        timings.record("watch: member restarted (ready) -> next event delivered",
                       resumed - restarted)


@pytest.mark.timeout(90)
async def test_watch_moves_to_another_member_and_loses_nothing(etcd3) -> None:
    m0, m1, m2 = etcd3.members
    async with EtcdClient([m0.endpoint, m1.endpoint]) as watcher, \
            EtcdClient([m2.endpoint]) as writer:
        async with watcher.watch_prefix("k/") as watch:
            async with asyncio.timeout(5):
                await watch.connected.wait()
            expected = []
            # Kill each of the watcher's two members in turn, writing while it is down:
            # whichever the stream was on, it had to move at least once.
            for i, member in enumerate((m0, m1)):
                etcd3.kill_member(member)
                # A new election may be under way: 10 s bounds it (~1-2 s here).
                await retry_write(lambda i=i: writer.put(f"k/{i}", "while down", timeout=1), 10)
                expected.append(f"k/{i}")
                etcd3.restart_member(member)
            await retry_write(lambda: writer.put("k/end", "x", timeout=1), 10)
            expected.append("k/end")
            seen = []
            while len(seen) < len(expected):
                seen.extend(e.key for e in await next_events(watch, 15))
        assert seen == expected
        assert watch.reconnects >= 1


@pytest.mark.timeout(90)
async def test_watch_on_a_member_without_leader_does_not_stay_silent(etcd3, timings) -> None:
    m0, m1, m2 = etcd3.members
    async with EtcdClient([m0.endpoint]) as watcher:
        async with watcher.watch_prefix("k/") as watch:
            async with asyncio.timeout(5):
                await watch.connected.wait()
            etcd3.kill_member(m1)
            etcd3.kill_member(m2)
            lost_quorum = time.monotonic()
            # etcd cancels a leaderless member's hasleader streams after 3 election
            # timeouts without leader, checked every election timeout: ~3-4 s with
            # 1 s; 10 s bounds it on a loaded machine.
            await until(lambda: not watch.connected.is_set(), 10,
                        "the watch learns that its member has no leader")
            noticed = time.monotonic() - lost_quorum
            timings.record("watch on a member that lost its leader -> stream cancelled",
                           noticed)
            # New calls are refused at once ("no leader"), not held until a deadline.
            started = time.monotonic()
            with pytest.raises(EtcdUnavailable, match="no leader"):
                await watcher.put("k/refused", "x", timeout=5)
            assert time.monotonic() - started < 0.5  # vs the 5 s deadline
            etcd3.restart_member(m1, ready_timeout=30)
            async with EtcdClient([m1.endpoint]) as writer:
                # Quorum is back once m1 rejoined; its first writes may still be refused
                # while m0 and m1 elect a leader: 10 s bounds it.
                await retry_write(lambda: writer.put("k/back", "1", timeout=1), 10)
            assert [e.key for e in await next_events(watch, 15)] == ["k/back"]


# ----------------------------------------------------------------------- election


@pytest.mark.timeout(60)
async def test_election_has_one_leader_and_fails_over(etcd1, timings) -> None:
    clients = [await EtcdClient(etcd1.endpoints).connect() for _ in range(3)]
    try:
        leases = [await c.grant(TTL) for c in clients]
        elections = [c.election("cluster/leader", lease, f"arbiter-{i}")
                     for i, (c, lease) in enumerate(zip(clients, leases, strict=True))]
        observed: list[bytes | None] = []

        async def observe() -> None:
            async for leader in elections[0].observe():
                observed.append(None if leader is None else leader.value)

        observer = asyncio.create_task(observe())
        campaigns = {asyncio.create_task(e.campaign()): i for i, e in enumerate(elections)}
        leaders_seen: list[int] = []

        async def next_leader() -> tuple[int, float]:
            async with asyncio.timeout(TTL + EXPIRY_SLACK + 2):
                done, _ = await asyncio.wait(list(campaigns), return_when=asyncio.FIRST_COMPLETED)
            won_at = time.monotonic()
            assert len(done) == 1, "two campaigns returned at once"
            task = done.pop()
            task.result()
            index = campaigns.pop(task)
            # Exactly one leader: the others are still waiting, and etcd names it.
            # (0.3 s: how long we look for a second campaign returning; none may.)
            if campaigns:
                more, _ = await asyncio.wait(list(campaigns), timeout=0.3)
                assert not more, "a second candidate believes it leads"
            assert (await elections[index].leader()).value == f"arbiter-{index}".encode()
            assert await elections[index].is_leader()
            for other in campaigns.values():
                assert not await elections[other].is_leader()
            leaders_seen.append(index)
            return index, won_at

        first, _ = await next_leader()
        # Failover 1: the leader's lease is revoked (a clean shutdown).
        revoked = time.monotonic()
        await leases[first].revoke()
        second, won_at = await next_leader()
        timings.record("election: leader's lease revoked -> next leader", won_at - revoked)
        # Failover 2: the leader stops renewing (its host died): after about a TTL.
        await leases[second].stop_keep_alive()
        died = time.monotonic()
        third, won_at = await next_leader()
        elapsed = won_at - died
        # The last renewal went out at most TTL/3 before: etcd frees the key between
        # 2/3 TTL and TTL + its expiry slack after the stop.
        assert TTL * 2 / 3 - 0.1 <= elapsed < TTL + EXPIRY_SLACK
        timings.record(f"election: leader stopped renewing (TTL {TTL} s) -> next leader", elapsed)
        assert sorted(leaders_seen) == [0, 1, 2]
        await until(lambda: observed[-1:] == [f"arbiter-{third}".encode()], 5,
                    "the observer sees the third leader")
        assert [v for v in observed if v is not None] == \
            [f"arbiter-{i}".encode() for i in leaders_seen]
        await elections[third].resign()
        assert await elections[third].leader() is None
        observer.cancel()
        await asyncio.gather(observer, return_exceptions=True)
    finally:
        for client in clients:
            await client.close()


@pytest.mark.timeout(30)
async def test_cancelled_campaign_withdraws_its_candidacy(etcd1) -> None:
    async with EtcdClient(etcd1.endpoints) as etcd:
        leader_lease, waiter_lease = await etcd.grant(30), await etcd.grant(30)
        leader = etcd.election("e", leader_lease, "a")
        await leader.campaign()
        waiter = etcd.election("e", waiter_lease, "b")
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.5):  # it cannot win while the leader holds on
                await waiter.campaign()
        assert [kv.value for kv in (await etcd.get_prefix("e/")).kvs] == [b"a"]
        await leader_lease.revoke()
        await waiter_lease.revoke()


# ---------------------------------------------------------------------- deadlines


@pytest.mark.timeout(60)
async def test_deadlines_fire_against_a_stopped_member(etcd1, timings) -> None:
    member = etcd1.members[0]
    timeout = 0.5
    async with EtcdClient(etcd1.endpoints, timeout=timeout) as etcd:
        lease = await etcd.grant(30, keep_alive=False)
        await etcd.put("k", "v")
        calls = {
            "get": lambda: etcd.get("k"),
            "get_prefix": lambda: etcd.get_prefix(""),
            "put": lambda: etcd.put("k", "w"),
            "delete": lambda: etcd.delete("k"),
            "create_if_absent": lambda: etcd.create_if_absent("n", "x"),
            "compare_and_put": lambda: etcd.compare_and_put("k", "w", 1),
            "grant": lambda: etcd.grant(5),
            "keep_alive_once": lambda: etcd.keep_alive_once(lease.id),
            "revoke": lambda: etcd.revoke(lease.id),
            "status": lambda: etcd.status(),
        }
        os.kill(member.process.pid, signal.SIGSTOP)  # frozen: connections open, silent
        try:
            # SIGSTOP takes effect as each thread is next scheduled: a call sent before
            # all are stopped could still be answered (seen once under load).
            await until(lambda: _all_threads_stopped(member.process.pid), 5,
                        "every thread of etcd stopped")
            for name, call in calls.items():
                started = time.monotonic()
                with pytest.raises(EtcdTimeout):
                    await call()
                elapsed = time.monotonic() - started
                # gRPC's deadline fires on time; 0.3 s covers the event loop's delay.
                assert timeout - 0.05 <= elapsed <= timeout + 0.3, (name, elapsed)
            watch = etcd.watch_prefix("")
            # Its creation must time out (after the client's timeout) and be retried.
            await until(lambda: watch.reconnects >= 1, timeout * 4,
                        "the watch's creation times out")
            assert not watch.connected.is_set()
        finally:
            os.kill(member.process.pid, signal.SIGCONT)
        async with asyncio.timeout(10):  # back once etcd answers again
            await watch.connected.wait()
        await watch.close()

        etcd1.kill_member(member)  # gone: connections refused
        for name in ("put", "grant", "get"):
            started = time.monotonic()
            with pytest.raises((EtcdUnavailable, EtcdTimeout)):
                await calls[name]()
            elapsed = time.monotonic() - started
            assert elapsed <= timeout + 0.3, (name, elapsed)
        timings.record("a get against a killed member (retried until its deadline) fails after",
                       elapsed)


# --------------------------------------------------------------- TLS and passwords


def _certificates(directory: Path) -> dict[str, Path]:
    """A CA, a server certificate for 127.0.0.1/localhost, a client certificate."""
    import trustme

    ca = trustme.CA()
    server = ca.issue_cert("127.0.0.1", "localhost")
    client = ca.issue_cert("arbiter-h1")
    files = {"ca": directory / "ca.pem", "cert": directory / "server.pem",
             "key": directory / "server-key.pem", "client": directory / "client.pem",
             "client_key": directory / "client-key.pem"}
    ca.cert_pem.write_to_path(str(files["ca"]))
    server.cert_chain_pems[0].write_to_path(str(files["cert"]))
    server.private_key_pem.write_to_path(str(files["key"]))
    client.cert_chain_pems[0].write_to_path(str(files["client"]))
    client.private_key_pem.write_to_path(str(files["client_key"]))
    return files


@pytest.mark.timeout(60)
async def test_mutual_tls(tmp_path: Path) -> None:
    files = _certificates(tmp_path)
    cluster = EtcdCluster.start_local(tmp_path / "etcd", 1,
                                      tls=(files["ca"], files["cert"], files["key"]),
                                      client_cert=(files["client"], files["client_key"]))
    try:
        endpoint = f"https://{cluster.members[0].endpoint}"
        ca = files["ca"].read_bytes()
        async with EtcdClient([endpoint], ca_cert=ca, cert_chain=files["client"].read_bytes(),
                              cert_key=files["client_key"].read_bytes()) as etcd:
            await etcd.put("k", "over tls")
            assert (await etcd.get("k")).value == b"over tls"
            lease = await etcd.grant(TTL)
            await until(lambda: lease.renewals >= 1, TTL + 1, "a renewal over TLS")
            async with etcd.watch("k") as watch:
                async with asyncio.timeout(5):
                    await watch.connected.wait()
        # Without a client certificate the handshake is refused: an error in time.
        async with EtcdClient([endpoint], ca_cert=ca, timeout=1.0) as anonymous:
            with pytest.raises((EtcdUnavailable, EtcdTimeout)):
                await anonymous.get("k")
        # A client that does not trust the CA refuses the server.
        (tmp_path / "other").mkdir()
        other_ca = _certificates(tmp_path / "other")["ca"].read_bytes()
        async with EtcdClient([endpoint], ca_cert=other_ca, timeout=1.0,
                              cert_chain=files["client"].read_bytes(),
                              cert_key=files["client_key"].read_bytes()) as distrustful:
            with pytest.raises((EtcdUnavailable, EtcdTimeout)):
                await distrustful.get("k")
    finally:
        cluster.close()
        cluster.assert_no_process_left(cluster.started_pids)


@pytest.mark.timeout(60)
async def test_user_and_password_with_a_token_that_expires(tmp_path: Path) -> None:
    token_ttl = 1  # seconds of idleness after which etcd forgets a simple token
    cluster = EtcdCluster.start_local(tmp_path / "etcd", 1,
                                      extra_args=["--auth-token-ttl", str(token_ttl)])
    try:
        cluster.enable_auth("s3cret")
        with pytest.raises(EtcdAuthError):
            await EtcdClient(cluster.endpoints, user="root", password="wrong").connect()
        async with EtcdClient(cluster.endpoints) as anonymous:
            with pytest.raises(EtcdAuthError):
                await anonymous.put("k", "v")
        async with EtcdClient(cluster.endpoints, user="root", password="s3cret") as etcd:
            await etcd.put("k", "v")
            first_token = etcd._token
            # Idle past the token's TTL: this wait is what the test is about (etcd
            # drops a simple token after token_ttl s without use; 1 s more of margin).
            await asyncio.sleep(token_ttl + 1)
            assert (await etcd.get("k")).value == b"v"  # refused, re-authenticated, sent again
            assert etcd._token != first_token
            lease = await etcd.grant(TTL)
            assert (await etcd.create_if_absent("n", "x", lease=lease)).won
    finally:
        cluster.close()
        cluster.assert_no_process_left(cluster.started_pids)
