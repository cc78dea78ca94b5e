"""The network-namespace harness: hosts that reach each other, partitions, and cleanup.

Needs root. Nothing here ever sends a packet from the root namespace to the hosts'
subnet (the root namespace would route it out of the machine): reachability is
tested from inside namespaces, and the root namespace's view only with a route lookup.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psutil
import pytest

from .etcd_server import EtcdCluster
from .netns import MARKER, Network, list_namespaces, namespace_pids, wait_until

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(os.geteuid() != 0,
                                reason="!!! SKIPPED: network namespaces need root !!!")


def ping(network: Network, source: str, target: str, wait: float = 1.0) -> bool:
    """One ICMP echo from ``source`` to ``target``'s address, waiting ``wait`` s for it."""
    result = network.run(source, ["ping", "-c", "1", "-W", str(wait), network.host(target).ip],
                         timeout=wait + 5)  # 5 s: ping's own start-up, never needed
    return result.returncode == 0


def assert_gone(network: Network, pids: list[int]) -> None:
    left = network.leftovers()
    assert left == {"namespaces": [], "root_links": [], "processes": []}, left
    assert not [n for n in list_namespaces() if n.startswith(network.prefix)]
    alive = [pid for pid in pids if psutil.pid_exists(pid)]
    assert not alive, f"processes left: {alive}"


@pytest.mark.timeout(60)
def test_two_hosts_ping_each_other_and_a_cut_partitions_them(timings) -> None:
    with Network(["h1", "h2"]) as network:
        assert ping(network, "h1", "h2") and ping(network, "h2", "h1")
        assert ping(network, "driver", "h1")
        network.cut("h2")
        assert network.is_cut("h2") and not network.is_cut("h1")
        # 1 s per echo: on a bridge the answer takes ~0.1 ms, so a lost one is a cut.
        assert not ping(network, "h1", "h2")
        assert not ping(network, "h2", "h1")
        assert not ping(network, "driver", "h2")
        assert ping(network, "driver", "h1"), "a cut isolates one host, not the others"
        network.heal("h2")
        healed = time.monotonic()
        # The port comes back at once (no STP); 5 s bounds a slow first echo.
        wait_until(lambda: ping(network, "h1", "h2"), 5, "h2 answers again after heal")
        timings.record("netns: heal -> first echo answered", time.monotonic() - healed)
        assert ping(network, "h2", "h1")


@pytest.mark.timeout(30)
def test_a_cut_host_is_silent_not_refused() -> None:
    # What the cluster relies on: a partitioned peer is not refused (which would be
    # noticed at once) but silent, so only deadlines and keepalives can detect it.
    code = textwrap.dedent("""
        import socket, sys, time
        s = socket.socket(); s.settimeout(1.0); t = time.monotonic()
        try:
            s.connect((sys.argv[1], 9))
            print("connected")
        except socket.timeout:
            print("timeout", round(time.monotonic() - t, 2))
        except OSError as e:
            print("error", e.errno)
    """)
    with Network(["h1", "h2"]) as network:
        refused = network.run("h1", [sys.executable, "-c", code, network.host("h2").ip],
                              timeout=10).stdout
        assert refused.startswith("error 111"), refused  # reachable: nothing listens on 9
        network.cut("h2")
        silent = network.run("h1", [sys.executable, "-c", code, network.host("h2").ip],
                             timeout=10).stdout
        assert silent.startswith("timeout"), silent


@pytest.mark.timeout(30)
def test_the_root_namespace_has_no_route_to_the_hosts() -> None:
    with Network(["h1"]) as network:
        # A route lookup only: no packet is sent.
        route = subprocess.run(["ip", "route", "get", network.host("h1").ip],
                               capture_output=True, text=True, timeout=10)
        assert route.returncode != 0 or route.stdout.startswith("unreachable"), route
        assert "unreachable" in (route.stdout + route.stderr).lower() or \
            "no route" in route.stderr.lower(), route
        subnet = network.subnet
    route = subprocess.run(["ip", "route", "show", subnet], capture_output=True, text=True,
                           timeout=10)
    assert route.stdout.strip() == "", "the guard route outlived the network"


@pytest.mark.timeout(60)
def test_teardown_leaves_no_namespace_link_or_process() -> None:
    network = Network(["h1", "h2"])
    with network:
        started = [network.popen(h, ["sleep", "1000"]) for h in ("h1", "h2", "driver")]
        # A process that escapes its session and its parent (as a daemon would):
        # only the namespace knows it.
        network.run("h1", ["sh", "-c", "setsid sleep 1000 >/dev/null 2>&1 < /dev/null &"],
                    timeout=10)
        wait_until(lambda: len(network.pids("h1")) == 2, 5, "both sleeps in h1")
        pids = network.pids() + [p.pid for p in started]
        assert len(set(pids)) == 4
        assert len([n for n in list_namespaces() if n.startswith(network.prefix)]) == 4
    assert_gone(network, pids)
    for process in started:
        assert process.returncode is not None  # waited for: no zombie


@pytest.mark.timeout(60)
def test_teardown_happens_when_the_test_fails() -> None:
    network = Network(["h1"])
    pids: list[int] = []
    with pytest.raises(RuntimeError, match="boom"):
        with network:
            pids.append(network.popen("h1", ["sleep", "1000"]).pid)
            raise RuntimeError("boom")
    assert_gone(network, pids)


@pytest.mark.timeout(60)
def test_a_sigterm_unwinds_through_teardown(tmp_path: Path) -> None:
    # A run interrupted by SIGTERM (CI giving up) still cleans up after itself.
    script = textwrap.dedent(f"""
        import sys, time
        sys.path.insert(0, {str(ROOT)!r})
        from tests.cluster.netns import Network
        with Network(["h1"]) as network:
            network.popen("h1", ["sleep", "1000"])
            print(network.prefix, flush=True)
            while True:
                time.sleep(0.1)  # waiting to be interrupted
    """)
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        prefix = child.stdout.readline().strip()
        assert prefix.startswith(MARKER), prefix
        # `ip netns exec` joins the namespace just after it starts: poll for it.
        wait_until(lambda: len(namespace_pids(prefix + "h1")) == 1, 5, "the sleep in h1")
        sleeper = namespace_pids(prefix + "h1")
        child.send_signal(signal.SIGTERM)
        child.wait(30)  # teardown takes well under a second; 30 s only bounds a hang
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        child.stdout.close()
    assert not [n for n in list_namespaces() if n.startswith(prefix)]
    assert not psutil.pid_exists(sleeper[0])


@pytest.mark.timeout(60)
def test_leftovers_of_a_killed_run_are_removed_by_the_next_one() -> None:
    script = textwrap.dedent(f"""
        import os, signal, subprocess, sys
        sys.path.insert(0, {str(ROOT)!r})
        from tests.cluster.netns import Network
        network = Network(["h1"])
        network.build()
        # (its output not on our pipe, or reading our output would wait for it)
        sleeper = network.popen("h1", ["sleep", "1000"], stdout=subprocess.DEVNULL)
        print(network.prefix, sleeper.pid, flush=True)
        os.kill(os.getpid(), signal.SIGKILL)  # no teardown, no finalizer: a crash
    """)
    crashed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                             timeout=30)
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr
    prefix, sleeper = crashed.stdout.split()
    stale = [n for n in list_namespaces() if n.startswith(prefix)]
    assert len(stale) == 3, stale  # bridge, h1, driver: left behind
    assert psutil.pid_exists(int(sleeper))  # its process too (orphaned, still running)
    with Network(["h1"]):
        assert not [n for n in list_namespaces() if n.startswith(prefix)]
        wait_until(lambda: not psutil.pid_exists(int(sleeper)), 5, "the stale process is gone")


@pytest.mark.timeout(90)
def test_etcd_in_a_namespace_is_reachable_from_another_namespace(tmp_path: Path) -> None:
    with Network(["h1", "h2"]) as network:
        cluster = EtcdCluster.in_network(network, ["h1"], tmp_path / "etcd")
        try:
            cluster.start(ready_timeout=30)
            endpoint = cluster.members[0].endpoint
            etcdctl = ["etcdctl", "--endpoints", endpoint, "--dial-timeout", "1s",
                       "--command-timeout", "2s"]
            assert network.run("h2", [*etcdctl, "put", "k", "from-h2"], timeout=10).returncode == 0
            got = network.run("driver", [*etcdctl, "get", "k", "--print-value-only"], timeout=10)
            assert got.stdout.strip() == "from-h2"
            # Our client, run in the driver namespace, across the bridge; then the
            # same after h1 is cut off: a deadline, not a hang.
            probe = textwrap.dedent(f"""
                import asyncio, sys, time
                from actorgrpc.cluster import EtcdClient, EtcdError
                async def main():
                    async with EtcdClient([{endpoint!r}], timeout=1.0) as etcd:
                        t = time.monotonic()
                        try:
                            kv = await etcd.get("k")
                            print("value", kv.value.decode())
                        except EtcdError:  # EtcdTimeout, or EtcdUnavailable (no connection)
                            print("error", round(time.monotonic() - t, 2))
                asyncio.run(main())
            """)
            python = [sys.executable, "-c", probe]
            assert network.run("driver", python, timeout=30).stdout.split() == ["value", "from-h2"]
            network.cut("h1")
            out = network.run("driver", python, timeout=30).stdout.split()
            assert out[0] == "error" and float(out[1]) < 1.3, out  # 1 s deadline + 0.3 s slack
            network.heal("h1")
            # 10 s: gRPC reconnects within ~1 s once the port is back.
            wait_until(lambda: network.run("driver", python, timeout=30).stdout.split()
                       == ["value", "from-h2"], 10, "etcd answers after heal")
        finally:
            cluster.close()
        cluster.assert_no_process_left(cluster.started_pids)
        assert network.pids("h1") == []


@pytest.mark.timeout(120)
def test_three_etcd_members_on_three_hosts_survive_a_cut_leader(tmp_path: Path,
                                                                 timings) -> None:
    with Network(["h1", "h2", "h3"]) as network:
        cluster = EtcdCluster.in_network(network, ["h1", "h2", "h3"], tmp_path / "etcd")
        try:
            cluster.start(ready_timeout=30)
            leader = cluster.leader()
            others = [m for m in cluster.members if m is not leader]
            network.cut(leader.name)
            cut = time.monotonic()
            # The two others elect a leader after an election timeout (1 s) or two;
            # 15 s bounds it on a loaded machine.
            def others_have_a_new_leader() -> bool:
                try:
                    views = [cluster.status(m) for m in others]
                except (RuntimeError, subprocess.TimeoutExpired):
                    return False
                leaders = {v["leader"] for v in views}
                return len(leaders) == 1 and leaders != {0} and \
                    leaders != {leader.member_id}
            wait_until(others_have_a_new_leader, 15, "a new leader among the two others")
            timings.record("etcd 3 members in netns: leader's host cut -> new leader",
                           time.monotonic() - cut)
            put = cluster.etcdctl("put", "k", "v", endpoints=[m.endpoint for m in others])
            assert put.returncode == 0, put.stderr
            network.heal(leader.name)
            # The old leader rejoins as a follower of the new one: 20 s bound.
            wait_until(lambda: cluster.etcdctl("get", "k", "--print-value-only",
                                               endpoints=[leader.endpoint]).stdout.strip()
                       == "v", 20, "the healed member serves the write made without it")
        finally:
            cluster.close()
        cluster.assert_no_process_left(cluster.started_pids)


def _events(log: Path, kind: str) -> list[dict]:
    try:
        lines = log.read_text().splitlines()
    except FileNotFoundError:
        return []
    return [e for e in (json.loads(line) for line in lines if line.startswith("{"))
            if e["event"] == kind]


@pytest.mark.timeout(120)
def test_a_cut_off_holder_fences_itself_before_its_name_is_claimed_elsewhere(
        tmp_path: Path, timings) -> None:
    # The cluster's central promise on real hosts: h2 holds names/w1 under a lease;
    # cut off, it reports its lease lost (and would stop the actor) MARGIN seconds
    # before etcd can expire the lease and let h3 claim the name; healed, it claims
    # nothing that moved. name_holder.py stands in for the arbiters.
    ttl, margin = 3, 1.0
    with Network(["h1", "h2", "h3"]) as network:
        cluster = EtcdCluster.in_network(network, ["h1"], tmp_path / "etcd")
        try:
            cluster.start(ready_timeout=30)
            logs = {host: tmp_path / f"{host}.jsonl" for host in ("h2", "h3")}

            def holder(host: str) -> subprocess.Popen:
                with open(logs[host], "w") as out:
                    return network.popen(host, [
                        sys.executable, "-m", "tests.cluster.name_holder",
                        "--endpoints", cluster.members[0].endpoint, "--key", "names/w1",
                        "--me", host, "--ttl", str(ttl), "--margin", str(margin),
                        "--seconds", "100"], stdout=out, stderr=subprocess.STDOUT,
                        cwd=str(ROOT))

            holder("h2")
            # 20 s: a Python start-up, an etcd connection and one transaction.
            wait_until(lambda: _events(logs["h2"], "claimed"), 20, "h2 owns the name")
            holder("h3")
            wait_until(lambda: _events(logs["h3"], "refused"), 20, "h3 is refused")
            assert _events(logs["h3"], "refused")[0]["owner"] == "h2"

            network.cut("h2")
            cut = time.monotonic()
            # etcd frees the name TTL after h2's last renewal (<= TTL after the cut)
            # plus up to 0.5 s for its expiry check; h3 retries every 0.1 s. 5 s more
            # bounds it on a loaded machine.
            wait_until(lambda: _events(logs["h3"], "claimed"), ttl + 5, "h3 claims the name")
            lost = _events(logs["h2"], "lost")
            claimed = _events(logs["h3"], "claimed")[0]["t"]
            assert lost, "h2 never reported its lease lost"
            assert lost[0]["t"] < claimed, "the name ran on two hosts at once"
            # 0.1 s: the wake-up delays of two event loops on a loaded machine.
            assert claimed - lost[0]["t"] >= margin - 0.1
            timings.record(f"netns, lease TTL {ttl} s, margin {margin} s: "
                           "cut -> holder fenced", lost[0]["t"] - cut)
            timings.record(f"netns, lease TTL {ttl} s: cut -> name claimed on another host",
                           claimed - cut)

            network.heal("h2")
            # h2 gets a new lease and finds the name taken: 15 s bounds its reconnect.
            wait_until(lambda: any(e["owner"] == "h3" for e in _events(logs["h2"], "refused")),
                       15, "h2 rejoins and is refused")
            assert len(_events(logs["h2"], "claimed")) == 1
            assert len(_events(logs["h3"], "lost")) == 0
        finally:
            cluster.close()


@pytest.mark.timeout(120)
def test_a_watch_on_a_cut_off_member_notices_and_catches_up_after_heal(
        tmp_path: Path, timings) -> None:
    # A member that vanishes without closing its connections (cut off) cannot tell
    # the watch that it lost its leader: only gRPC keepalive pings notice (every 6 s,
    # 2 s to answer). Once healed, the watch gets what was written meanwhile.
    with Network(["h1", "h2", "h3"]) as network:
        cluster = EtcdCluster.in_network(network, ["h1", "h2", "h3"], tmp_path / "etcd")
        try:
            cluster.start(ready_timeout=30)
            h1, h2, h3 = cluster.members
            log = tmp_path / "watch.jsonl"
            with open(log, "w") as out:
                network.popen("driver", [sys.executable, "-m", "tests.cluster.watch_probe",
                                         "--endpoints", h1.endpoint, "--prefix", "k/",
                                         "--seconds", "100"],
                              stdout=out, stderr=subprocess.STDOUT, cwd=str(ROOT))
            # 20 s: a Python start-up and an etcd connection.
            wait_until(lambda: _events(log, "connected"), 20, "the watch is up")
            network.cut("h1")
            cut = time.monotonic()
            # keepalive: a ping within 6 s, 2 s for its answer; 6 s more on a loaded machine.
            wait_until(lambda: _events(log, "disconnected"), 14, "the watch notices the cut")
            noticed = _events(log, "disconnected")[0]["t"] - cut
            assert noticed <= 8 + 0.5, noticed  # 0.5 s: the probe's reporting delay
            timings.record("netns: watch's member cut off -> stream broken (keepalive)", noticed)
            put = cluster.etcdctl("put", "k/during-cut", "x", endpoints=[h2.endpoint, h3.endpoint])
            assert put.returncode == 0, put.stderr
            network.heal("h1")
            healed = time.monotonic()
            # h1 rejoins (a heartbeat or an election, ~1-2 s) and the watch reopens
            # there from where it stopped; 20 s bounds it.
            wait_until(lambda: _events(log, "events"), 20, "the watch delivers the write")
            assert [e["keys"] for e in _events(log, "events")] == [["k/during-cut"]]
            timings.record("netns: heal -> the watch delivers what was written during the cut",
                           _events(log, "events")[0]["t"] - healed)
        finally:
            cluster.close()
