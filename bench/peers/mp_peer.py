"""Plain multiprocessing peer: the actorgrpc benchmark workloads with no library.

An "actor" is a process started with the spawn method that serves a Pipe;
run with the repo's .venv/bin/python; prints one JSON object on stdout
(progress on stderr). This is the floor: no names, no supervision tree, no
network, just pickled tuples over a pipe.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import platform
import signal
import threading
import time
from multiprocessing.connection import wait

from common import Plan, Results, arg_parser, log, now, rtt_rounds, terminate_gracefully, uss_mb

MSG = "hello"
TIMEOUT = 60  # seconds for any single reply; a stuck workload fails instead of hanging
WINDOW = 100  # asks in flight in the pipelined workload (see messaging)


def actor_main(conn, peer=None):
    """Serve ("ping",) ("echo", x) ("tell", x) ("count",) ("rtt_to", n) until
    the driver closes its end. ``peer`` is an optional pipe to another actor."""
    count = 0
    conns = [conn] if peer is None else [conn, peer]
    while True:
        for c in wait(conns) if peer is not None else conns:
            try:
                msg = c.recv()
            except EOFError:
                if c is conn:
                    return
                conns.remove(c)
                continue
            kind = msg[0]
            if kind == "echo":
                c.send(msg[1])
            elif kind == "tell":
                count += 1
            elif kind == "ping":
                c.send(os.getpid())
            elif kind == "count":
                c.send(count)
            elif kind == "rtt_to":
                samples = []
                for _ in range(msg[1]):
                    t = time.perf_counter()
                    peer.send(("echo", MSG))
                    peer.recv()
                    samples.append(time.perf_counter() - t)
                c.send(samples)


class Actor:
    """The driver's handle on one actor process."""

    def __init__(self, ctx, peer=None):
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=actor_main, args=(child, peer), daemon=True)
        self.proc.start()
        child.close()

    def ask(self, *msg):
        self.conn.send(msg)
        if not self.conn.poll(TIMEOUT):
            raise TimeoutError(f"no reply to {msg!r} within {TIMEOUT}s")
        return self.conn.recv()

    def stop(self):
        self.conn.close()  # the actor sees EOF and returns
        self.proc.join(TIMEOUT)
        if self.proc.exitcode is None:
            self.proc.kill()
            self.proc.join()


class Supervisor:
    """Keeps one actor alive: a thread waits for its process to exit and starts
    a replacement (what a one_for_one supervisor of one child does)."""

    def __init__(self, ctx):
        self.ctx = ctx
        self.actor = Actor(ctx)
        self.replaced = threading.Event()
        self.stopping = False
        self.thread = threading.Thread(target=self._watch, daemon=True)
        self.thread.start()

    def _watch(self):
        while True:
            wait([self.actor.proc.sentinel])
            if self.stopping:
                return
            self.actor.proc.join()
            self.actor.conn.close()
            self.actor = Actor(self.ctx)
            self.replaced.set()

    def stop(self):
        self.stopping = True
        self.actor.stop()
        self.thread.join(TIMEOUT)


def spawn_one(ctx, res: Results, plan: Plan):
    a = Actor(ctx)  # warm-up
    a.ask("ping")
    a.stop()
    samples = []
    for _ in range(plan.spawn_one):
        t = now()
        a = Actor(ctx)
        a.ask("ping")
        samples.append(now() - t)
        a.stop()
    res.set("spawn_p50_ms", samples, 1e3)


def spawn_many(ctx, res: Results, plan: Plan):
    samples = []
    for _ in range(plan.spawn_many_reps):
        t = now()
        actors = [Actor(ctx) for _ in range(plan.spawn_many)]
        for a in actors:
            a.conn.send(("ping",))
        for a in actors:
            a.conn.recv()
        samples.append(now() - t)
        for a in actors:
            a.stop()
    res.set("spawn_50_s", samples)


def messaging(ctx, res: Results, plan: Plan):
    a_end, b_end = ctx.Pipe()
    a, b = Actor(ctx, peer=a_end), Actor(ctx, peer=b_end)
    a_end.close()
    b_end.close()
    for _ in range(200):  # warm-up
        a.ask("echo", MSG)

    res.set_rtt("send_rtt", rtt_rounds(plan, lambda: a.ask("echo", MSG)))

    # Pipelined: keep WINDOW asks outstanding. Many more would fill the
    # socketpair's buffers (~200 KB, but ~1 KB of accounting per small
    # message) in both directions and deadlock; a window also beat a
    # writer thread here (GIL hand-offs).
    rates = []
    for _ in range(plan.rounds):
        t = now()
        sent = received = 0
        while sent < min(WINDOW, plan.asks):
            a.conn.send(("echo", MSG))
            sent += 1
        while received < plan.asks:
            a.conn.recv()
            received += 1
            if sent < plan.asks:
                a.conn.send(("echo", MSG))
                sent += 1
        rates.append(plan.asks / (now() - t))
    res.set("ask_throughput", rates)

    rates = []
    for _ in range(plan.rounds):
        base = a.ask("count")
        t = now()
        for _ in range(plan.tells):
            a.conn.send(("tell", MSG))
        while a.ask("count") - base < plan.tells:
            pass
        rates.append(plan.tells / (now() - t))
    res.set("tell_throughput", rates)

    b.ask("rtt_to", 200)  # warm-up
    rounds = [b.ask("rtt_to", plan.rtt_msgs) for _ in range(plan.rounds)]
    res.set_rtt("actor_to_actor_rtt", rounds, p99=False)
    a.stop()
    b.stop()


def restart(ctx, res: Results, plan: Plan):
    sup = Supervisor(ctx)
    pid = sup.actor.ask("ping")
    samples = []
    for _ in range(plan.kills):
        sup.replaced.clear()
        os.kill(pid, signal.SIGKILL)
        t = now()
        if not sup.replaced.wait(TIMEOUT):
            raise TimeoutError("no replacement")
        pid = sup.actor.ask("ping")
        samples.append(now() - t)
    res.set("restart_after_kill_ms", samples, 1e3)
    sup.stop()


def idle_memory(ctx, res: Results, plan: Plan):
    actors = [Actor(ctx) for _ in range(plan.idle_actors)]
    pids = [a.ask("ping") for a in actors]
    time.sleep(1.0)  # let start-up allocations settle: we want the idle figure
    res.set("idle_actor_uss_mb", uss_mb(pids))
    for a in actors:
        a.stop()


def main():
    parser = arg_parser(__doc__.splitlines()[0])
    parser.add_argument("--start-method", default="spawn", choices=["spawn", "forkserver", "fork"])
    args = parser.parse_args()
    plan = Plan(args.quick)
    res = Results("multiprocessing",
                  f"python {platform.python_version()} ({args.start_method})", args.quick)
    terminate_gracefully()
    ctx = mp.get_context(args.start_method)
    res.run_all((spawn_one, spawn_many, messaging, restart, idle_memory), ctx, res, plan)
    log("done")
    res.emit()


if __name__ == "__main__":
    main()
