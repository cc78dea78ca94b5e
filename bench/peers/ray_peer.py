"""Ray peer: the actorgrpc benchmark workloads against Ray actors.

Run with the interpreter of .bench-envs/ray; prints one JSON object on stdout
(progress on stderr). scripts/bench-peers.sh runs it inside a network
namespace that has only loopback: Ray 2.60 binds its gRPC servers to the node
IP and turns 127.0.0.1 into the machine's address, so this is what keeps it
on 127.0.0.1 and offline.
"""

from __future__ import annotations

import os
import signal
import time

os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # no usage report upload

import ray  # noqa: E402
from common import (  # noqa: E402
    Plan,
    Results,
    arg_parser,
    log,
    now,
    pid_alive,
    rtt_rounds,
    terminate_gracefully,
    uss_mb,
    wait_until,
)
from ray.exceptions import GetTimeoutError, RayActorError  # noqa: E402

MSG = "hello"


@ray.remote
class Echo:
    def __init__(self):
        self.count = 0

    def ping(self):
        return os.getpid()

    def echo(self, x):
        return x

    def tell(self, x):
        self.count += 1

    def get_count(self):
        return self.count

    def rtt_to(self, other, n):
        samples = []
        for _ in range(n):
            t = time.perf_counter()
            ray.get(other.echo.remote(MSG))
            samples.append(time.perf_counter() - t)
        return samples


def kill_all(actors, pids):
    for a in actors:
        ray.kill(a)
    # Wait for the processes to go so their teardown does not load the next sample.
    wait_until(lambda: not any(pid_alive(p) for p in pids), timeout=30, interval=0.01)


def spawn_one(res: Results, plan: Plan):
    kill_all([a := Echo.remote()], [ray.get(a.ping.remote())])  # warm-up: class export
    samples = []
    for _ in range(plan.spawn_one):
        t = now()
        a = Echo.remote()
        pid = ray.get(a.ping.remote())
        samples.append(now() - t)
        kill_all([a], [pid])
    res.set("spawn_p50_ms", samples, 1e3)


def spawn_many(res: Results, plan: Plan):
    samples = []
    for _ in range(plan.spawn_many_reps):
        t = now()
        actors = [Echo.remote() for _ in range(plan.spawn_many)]
        pids = ray.get([a.ping.remote() for a in actors])
        samples.append(now() - t)
        kill_all(actors, pids)
    res.set("spawn_50_s", samples)


def messaging(res: Results, plan: Plan):
    a, b = Echo.remote(), Echo.remote()
    pids = ray.get([a.ping.remote(), b.ping.remote()])
    for _ in range(200):  # warm-up
        ray.get(a.echo.remote(MSG))

    res.set_rtt("send_rtt", rtt_rounds(plan, lambda: ray.get(a.echo.remote(MSG))))

    rates = []
    for _ in range(plan.rounds):
        t = now()
        ray.get([a.echo.remote(MSG) for _ in range(plan.asks)])
        rates.append(plan.asks / (now() - t))
    res.set("ask_throughput", rates)

    rates = []
    for _ in range(plan.rounds):
        base = ray.get(a.get_count.remote())
        t = now()
        for _ in range(plan.tells):
            a.tell.remote(MSG)  # the ref is dropped: fire and forget
        while ray.get(a.get_count.remote()) - base < plan.tells:
            pass
        rates.append(plan.tells / (now() - t))
    res.set("tell_throughput", rates)

    ray.get(b.rtt_to.remote(a, 200))  # warm-up
    rounds = [ray.get(b.rtt_to.remote(a, plan.rtt_msgs)) for _ in range(plan.rounds)]
    res.set_rtt("actor_to_actor_rtt", rounds, p99=False)
    kill_all([a, b], pids)


def restart(res: Results, plan: Plan):
    a = Echo.options(max_restarts=-1, max_task_retries=0).remote()
    pid = ray.get(a.ping.remote())
    samples = []
    for _ in range(plan.kills):
        os.kill(pid, signal.SIGKILL)
        t = now()
        while True:
            try:
                new_pid = ray.get(a.ping.remote(), timeout=60)
            except (RayActorError, GetTimeoutError):
                time.sleep(0.001)
                continue
            if new_pid != pid:
                break
        samples.append(now() - t)
        pid = new_pid
    res.set("restart_after_kill_ms", samples, 1e3)
    kill_all([a], [pid])


def idle_memory(res: Results, plan: Plan):
    actors = [Echo.remote() for _ in range(plan.idle_actors)]
    pids = ray.get([a.ping.remote() for a in actors])
    time.sleep(1.0)  # let start-up allocations settle: we want the idle figure
    res.set("idle_actor_uss_mb", uss_mb(pids))
    kill_all(actors, pids)


def main():
    parser = arg_parser(__doc__.splitlines()[0])
    parser.add_argument("--temp-dir", help="Ray's session directory root (default: Ray's own)")
    args = parser.parse_args()
    plan = Plan(args.quick)
    res = Results("ray", ray.__version__, args.quick)
    terminate_gracefully()
    t = now()
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        _temp_dir=args.temp_dir,
    )
    log(f"ray.init: {now() - t:.1f}s")
    try:
        res.run_all((spawn_one, spawn_many, messaging, restart, idle_memory), res, plan)
    finally:
        ray.shutdown()
    res.emit()


if __name__ == "__main__":
    main()
