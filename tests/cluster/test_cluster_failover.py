"""Arbiters on three "hosts" (issue 17), part 2: what breaks. A host killed, a host cut
off (fencing, rejoin), the etcd leader killed; a cluster of its own for each.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import psutil
import pytest

from .netns import wait_until
from .test_cluster_space import HOSTS, TTL, cluster_run

#: Lease seconds of the etcd leader change scenario (see the test).
LEADER_CHANGE_TTL = 8

pytestmark = pytest.mark.skipif(os.geteuid() != 0,
                                reason="!!! SKIPPED: network namespaces need root !!!")

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.timeout(150)
def test_killing_a_host_moves_its_permanent_actors(tmp_path: Path, timings) -> None:
    with cluster_run(tmp_path, ["etcd"]) as run:
        for name in ("p1", "p2"):
            assert run.spawn("h1", name, host="h2", restart="permanent")["ok"]
        assert run.spawn("h1", "t1", host="h2")["ok"]  # temporary: not moved
        assert run.drive("send", run.address("h3"), "p1", "where")["ok"]
        killed_at = time.monotonic()
        run.kill_host("h2")
        assert run.network.pids("h2") == []
        h2 = run.network.host("h2").ip
        # Goal: under 2 x TTL; 20 s bounds it on a loaded machine.
        found = {name: run.drive("until", run.address("h1"), name, "--seconds", "20",
                                 "--not-at", h2) for name in ("p1", "p2")}
        for name, answer in found.items():
            assert answer["ok"], (name, answer)
            assert run.host_of(answer["found"]["address"]) in ("h1", "h3")
        failover = found["p1"]["t"] - killed_at
        timings.record(f"host killed -> its permanent actor answers from another host "
                       f"(TTL {TTL} s)", failover)
        assert failover < 2 * TTL + 2, failover  # 2 s: python start-up of the driver
        gone = run.drive("send", run.address("h1"), "t1", "where")
        assert not gone["ok"], gone


@pytest.mark.timeout(150)
def test_partitioned_host_fences_then_rejoins(tmp_path: Path, timings) -> None:
    with cluster_run(tmp_path, ["etcd"]) as run:
        assert run.spawn("h1", "f1", host="h2", restart="permanent", journal=True)["ok"]
        [first] = run.starts("f1")
        run.network.cut("h2")
        cut_at = time.monotonic()
        h2 = run.network.host("h2").ip
        answer = run.drive("until", run.address("h1"), "f1", "--seconds", "30",
                           "--not-at", h2)
        assert answer["ok"], answer
        # h2 fenced itself (its actor gone) before the name ran anywhere else.
        fenced = run.fenced_at("h2")
        assert fenced, run.log("h2").read_text()[-3000:]
        second = run.starts("f1")[-1]
        assert second["pid"] != first["pid"]
        assert fenced[0] < second["t"], "f1 ran on two hosts at once"
        assert not psutil.pid_exists(first["pid"])
        timings.record(f"partition -> h2 fenced (TTL {TTL} s)", fenced[0] - cut_at)
        timings.record("partition -> f1 answers from another host", answer["t"] - cut_at)
        run.network.heal("h2")
        # Rejoins: a new lease, claims nothing. 20 s: etcd reconnects within seconds.
        wait_until(lambda: "joined again" in run.log("h2").read_text(), 20, "h2 rejoins")
        again = run.drive("send", run.address("h2"), "f1", "where")
        assert again["ok"] and run.host_of(again["result"]["address"]) != "h2", again
        assert len(run.starts("f1")) == 2, run.starts("f1")  # nothing ran twice
        # h2 is a member again: a spawn pinned to it works.
        assert run.spawn("h1", "back", host="h2")["ok"]


@pytest.mark.timeout(150)
def test_etcd_leader_killed_sends_keep_working(tmp_path: Path, timings) -> None:
    # A longer TTL than the other scenarios': while etcd elects a new leader (~2 s
    # here, 1 s election timeout then a campaign; more on a loaded machine) no
    # keep-alive lands, and a host fences itself 70 % of a TTL after its last
    # renewal, which may be TTL/3 old when the leader dies: 1.8 s of slack at TTL 5
    # (seen to fence two hosts while CI ran other tests beside), 2.9 s at TTL 8.
    with cluster_run(tmp_path, ["e1", "e2", "e3"], ttl=LEADER_CHANGE_TTL) as run:
        assert run.spawn("h1", "s1", host="h3", restart="permanent")["ok"]
        leader = run.etcd.leader()
        sends = run.network.popen("driver", [
            sys.executable, "-m",
            "tests.cluster.cluster_driver", "sends", run.address("h1"), "s1",
            "--seconds", str(2 * LEADER_CHANGE_TTL + 2)],
            stdout=open(tmp_path / "sends.json", "w"),
            cwd=str(ROOT))
        # The leader dies once the driver's sends are under way (its first one resolved
        # s1 through h1, which reads etcd): what must keep working is sending to a
        # running actor. A name looked up during the election may fail UNAVAILABLE,
        # retryable (docs/cluster.md). 30 s: a Python start and one send take ~1 s.
        wait_until(lambda: "first_answer" in (tmp_path / "sends.json").read_text(), 30,
                   "the driver's first answer")
        run.etcd.kill_member(leader)
        killed_at = time.monotonic()
        assert sends.wait(60) == 0
        counts = json.loads((tmp_path / "sends.json").read_text().splitlines()[-1])
        assert counts["ok"] > 0 and counts["failed"] == 0, (
            counts, {h: run.fenced_at(h) for h in HOSTS},
            {h: run.log(h).read_text()[-1500:] for h in HOSTS})
        # Membership recovers: no host fenced, and a new spawn works through etcd.
        assert all(not run.fenced_at(h) for h in HOSTS)
        assert run.spawn("h2", "s2", host="h1")["ok"]
        timings.record("etcd leader killed -> a new spawn done", time.monotonic() - killed_at)
