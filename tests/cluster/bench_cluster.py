"""Figures of a cluster (``make bench-cluster``, root): three "hosts" (network
namespaces), one etcd, an arbiter per host, as tests/cluster runs them.

* cost on etcd of an idle arbiter: gRPC messages etcd received per second per arbiter
  (from etcd's /metrics, ``grpc_server_msg_received_total``, before and after an idle
  window: every unary call and every message on a stream, keep-alives and watches);
* CPU of an idle cluster arbiter (no actors) against a lone arbiter (no ``--etcd``)
  started beside it for the same window: the difference is its cluster duties;
* send RTT p50 actor → actor on another host vs on the same host (3 rounds; medians);
* failover: a host's processes all SIGKILLed → its permanent actor answers from another.

    python -m tests.cluster.bench_cluster [--ttl 5] [--idle 20]
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import psutil

from actorgrpc.contract.consts import READY_LINE_PREFIX

from .arbiters import ROOT, ClusterRun
from .netns import wait_until
from .test_cluster_space import HOSTS, cluster_run

_METRIC = re.compile(r'^grpc_server_msg_received_total\{([^}]*)\} ([0-9.e+]+)$', re.M)
_METHOD = re.compile(r'grpc_method="([^"]+)"')
#: Messages of RTT measured per round (each a sequential echo from an actor).
RTT_COUNT = 500


def etcd_messages(run: ClusterRun) -> Counter:
    """etcd's received gRPC messages so far, by method (read from the driver namespace)."""
    url = run.etcd.members[0].client_url + "/metrics"
    code = ("import sys, urllib.request; "
            "sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())")
    result = run.network.run("driver", [sys.executable, "-c", code, url], timeout=20,
                             check=True)
    counts: Counter = Counter()
    for labels, value in _METRIC.findall(result.stdout):
        counts[_METHOD.search(labels).group(1)] += float(value)
    return counts


def cpu_seconds(pid: int) -> float:
    times = psutil.Process(pid).cpu_times()
    return times.user + times.system


def lone_arbiter(run: ClusterRun, tmp: Path) -> subprocess.Popen:
    """An arbiter without --etcd in the driver namespace (loopback): the baseline."""
    log = tmp / "lone.log"
    with open(log, "w") as out:
        process = run.network.popen("driver", [
            sys.executable, "-m", "actorgrpc", "serve", "--bind", "127.0.0.1:7170",
            "--run-dir", str(tmp / "run-lone")], stdout=out, cwd=str(ROOT))
    # 60 s: a Python start-up and the fork server on two loaded cores.
    wait_until(lambda: READY_LINE_PREFIX in log.read_text() or process.poll() is not None,
               60, "lone arbiter")
    return process


def idle_cost(run: ClusterRun, tmp: Path, window: float) -> None:
    lone = lone_arbiter(run, tmp)
    try:
        pids = {h: run.processes[h].pid for h in HOSTS} | {"lone": lone.pid}
        before, cpu_before = etcd_messages(run), {h: cpu_seconds(p) for h, p in pids.items()}
        started = time.monotonic()
        # The idle window itself: nothing to wait for but time (the figure is a rate).
        time.sleep(window)
        elapsed = time.monotonic() - started
        after, cpu_after = etcd_messages(run), {h: cpu_seconds(p) for h, p in pids.items()}
    finally:
        run.network.stop(lone)
    delta = {m: after[m] - before[m] for m in after if after[m] - before[m] > 0}
    total = sum(delta.values()) / elapsed
    print(f"etcd messages received, all {len(HOSTS)} idle arbiters: {total:.2f}/s; "
          f"per arbiter: {total / len(HOSTS):.2f}/s (window {elapsed:.1f} s)")
    for method, count in sorted(delta.items(), key=lambda item: -item[1]):
        print(f"    {method}: {count / elapsed:.2f}/s")
    lone_cpu = (cpu_after["lone"] - cpu_before["lone"]) / elapsed
    for host in HOSTS:
        cpu = (cpu_after[host] - cpu_before[host]) / elapsed
        print(f"idle arbiter CPU, {host}: {cpu * 1e3:.2f} ms/s "
              f"(lone arbiter without --etcd: {lone_cpu * 1e3:.2f} ms/s; "
              f"cluster duties: {(cpu - lone_cpu) * 1e3:.2f} ms/s)")


def rtt(run: ClusterRun, rounds: int = 3) -> None:
    for name, host in (("w1", "h2"), ("near", "h2"), ("far", "h3")):
        assert run.spawn("h1", name, host=host)["ok"], name
    figures: dict[str, list[float]] = {"far": [], "near": []}
    for _ in range(rounds):
        for sender in figures:
            answer = run.drive("send", run.address("h1"), sender, "rtt", '"w1"',
                               str(RTT_COUNT))
            assert answer["ok"], answer
            figures[sender].append(answer["result"]["p50"])
    far, near = statistics.median(figures["far"]), statistics.median(figures["near"])
    print(f"send RTT p50 actor -> actor, other host: {far * 1e3:.3f} ms "
          f"(rounds: {', '.join(f'{x * 1e3:.3f}' for x in figures['far'])})")
    print(f"send RTT p50 actor -> actor, same host:  {near * 1e3:.3f} ms "
          f"(rounds: {', '.join(f'{x * 1e3:.3f}' for x in figures['near'])})")
    print(f"cross-host / same-host: {far / near:.2f}")


def failover(run: ClusterRun) -> None:
    assert run.spawn("h1", "p1", host="h2", restart="permanent")["ok"]
    assert run.drive("send", run.address("h3"), "p1", "where")["ok"]
    killed_at = time.monotonic()
    run.kill_host("h2")
    # 4 x TTL + 10 s: bounds a slow failover on a loaded machine (goal: < 2 x TTL).
    found = run.drive("until", run.address("h1"), "p1", "--seconds", str(4 * run.ttl + 10),
                      "--not-at", run.network.host("h2").ip)
    assert found["ok"], found
    print(f"failover, host killed -> its permanent actor answers from "
          f"{run.host_of(found['found']['address'])}: {found['t'] - killed_at:.2f} s "
          f"(TTL {run.ttl} s)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ttl", type=int, default=5)
    parser.add_argument("--idle", type=float, default=20.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-cluster-") as folder:
        tmp = Path(folder)
        with cluster_run(tmp, ["etcd"], ttl=args.ttl) as run:
            print(f"cluster: {len(HOSTS)} arbiters (lease TTL {args.ttl} s), one etcd, "
                  "hosts = network namespaces on one machine")
            idle_cost(run, tmp, args.idle)
            rtt(run)
            failover(run)


if __name__ == "__main__":
    main()
