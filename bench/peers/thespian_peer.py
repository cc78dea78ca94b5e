"""Thespian peer: the actorgrpc benchmark workloads against Thespian actors.

Run with the interpreter of .bench-envs/thespian; prints one JSON object on
stdout (progress on stderr). Uses multiprocTCPBase (one process per actor,
forked). The admin process outlives its creator unless shut down, so every
exit path calls ActorSystem.shutdown(), and ``--cleanup`` shuts down an admin
left behind on ``--admin-port`` by a run that was killed.
"""

from __future__ import annotations

import os
import signal
import socket
import time

# Advertise loopback instead of finding the "public" address (Thespian's
# default probes a route to 8.8.8.8); scripts/bench-peers.sh also runs this in
# a loopback-only network namespace because Thespian listens on all interfaces.
os.environ.setdefault("THESPIAN_BASE_IPADDR", "127.0.0.1")

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
from thespian.actors import Actor, ActorExitRequest, ActorSystem, ChildActorExited  # noqa: E402

MSG = "hello"
TIMEOUT = 60  # seconds for any single ask; a stuck workload fails instead of hanging


class Echo(Actor):
    """Replies to "ping" with its pid, ("echo", x) with ("re", x); counts tells."""

    count = 0
    rtt = None  # (driver, peer, samples left, samples, sent at) while measuring

    def receiveMessage(self, msg, sender):
        if msg == "ping":
            self.send(sender, os.getpid())
        elif msg == "count":
            self.send(sender, self.count)
        elif isinstance(msg, tuple):
            kind = msg[0]
            if kind == "echo":
                self.send(sender, ("re", msg[1]))
            elif kind == "tell":
                self.count += 1
            elif kind == "rtt_to":  # ("rtt_to", peer, n): n sequential asks to peer
                self.rtt = [sender, msg[1], msg[2], [], now()]
                self.send(msg[1], ("echo", MSG))
            elif kind == "re" and self.rtt:
                driver, peer, left, samples, sent = self.rtt
                samples.append(now() - sent)
                if len(samples) == left:
                    self.rtt = None
                    self.send(driver, samples)
                else:
                    self.rtt[4] = now()
                    self.send(peer, ("echo", MSG))


class Spawner(Actor):
    """("spawn", n): create n Echo children at once, reply with their pids when
    all answered a ping. Exiting stops the children too."""

    def receiveMessage(self, msg, sender):
        if isinstance(msg, tuple) and msg[0] == "spawn":
            self.driver, self.wanted, self.pids = sender, msg[1], []
            for _ in range(msg[1]):
                self.send(self.createActor(Echo), "ping")
        elif isinstance(msg, int):
            self.pids.append(msg)
            if len(self.pids) == self.wanted:
                self.send(self.driver, self.pids)


class Parent(Actor):
    """Keeps one Echo child alive: re-creates it on ChildActorExited.

    "start" replies with the child's pid; ("replacement", old_pid) replies with
    the pid of the child that replaced old_pid, once that child answered a ping.
    """

    child_pid = None
    waiter = None
    old_pid = None

    def _new_child(self):
        self.child_pid = None
        self.send(self.createActor(Echo), "ping")

    def _answer(self):
        if self.waiter and self.child_pid not in (None, self.old_pid):
            self.send(self.waiter, self.child_pid)
            self.waiter = None

    def receiveMessage(self, msg, sender):
        if msg == "start":
            self.waiter = sender
            self._new_child()
        elif isinstance(msg, ChildActorExited):
            self._new_child()
        elif isinstance(msg, int):
            self.child_pid = msg
            self._answer()
        elif isinstance(msg, tuple) and msg[0] == "replacement":
            self.waiter, self.old_pid = sender, msg[1]
            self._answer()


def ask(asys, addr, msg):
    reply = asys.ask(addr, msg, TIMEOUT)
    if reply is None:
        raise TimeoutError(f"no reply to {msg!r} within {TIMEOUT}s")
    return reply


def stop(asys, addr, pids):
    asys.tell(addr, ActorExitRequest())
    wait_until(lambda: not any(pid_alive(p) for p in pids), timeout=30, interval=0.005)


def spawn_one(asys, res: Results, plan: Plan):
    a = asys.createActor(Echo)  # warm-up
    stop(asys, a, [ask(asys, a, "ping")])
    samples = []
    for _ in range(plan.spawn_one):
        t = now()
        a = asys.createActor(Echo)
        pid = ask(asys, a, "ping")
        samples.append(now() - t)
        stop(asys, a, [pid])
    res.set("spawn_p50_ms", samples, 1e3)


def spawn_many(asys, res: Results, plan: Plan):
    samples = []
    for _ in range(plan.spawn_many_reps):
        spawner = asys.createActor(Spawner)
        t = now()
        pids = ask(asys, spawner, ("spawn", plan.spawn_many))
        samples.append(now() - t)
        stop(asys, spawner, pids)
    res.set("spawn_50_s", samples)


def messaging(asys, res: Results, plan: Plan):
    a, b = asys.createActor(Echo), asys.createActor(Echo)
    pids = [ask(asys, a, "ping"), ask(asys, b, "ping")]
    for _ in range(200):  # warm-up
        ask(asys, a, ("echo", MSG))

    res.set_rtt("send_rtt", rtt_rounds(plan, lambda: ask(asys, a, ("echo", MSG))))

    # Thespian's ask() is one at a time per endpoint; its way to have many
    # requests outstanding is tell() them all, then listen() for the replies.
    rates = []
    for _ in range(plan.rounds):
        t = now()
        for _ in range(plan.asks):
            asys.tell(a, ("echo", MSG))
        for _ in range(plan.asks):
            if asys.listen(TIMEOUT) is None:
                raise TimeoutError("missing replies")
        rates.append(plan.asks / (now() - t))
    res.set("ask_throughput", rates)

    rates = []
    for _ in range(plan.rounds):
        base = ask(asys, a, "count")
        t = now()
        for _ in range(plan.tells):
            asys.tell(a, ("tell", MSG))
        while ask(asys, a, "count") - base < plan.tells:
            pass
        rates.append(plan.tells / (now() - t))
    res.set("tell_throughput", rates)

    ask(asys, b, ("rtt_to", a, 200))  # warm-up
    rounds = [ask(asys, b, ("rtt_to", a, plan.rtt_msgs)) for _ in range(plan.rounds)]
    res.set_rtt("actor_to_actor_rtt", rounds, p99=False)
    stop(asys, a, pids[:1])
    stop(asys, b, pids[1:])


def restart(asys, res: Results, plan: Plan):
    parent = asys.createActor(Parent)
    pid = ask(asys, parent, "start")
    samples = []
    for _ in range(plan.kills):
        os.kill(pid, signal.SIGKILL)
        t = now()
        pid = ask(asys, parent, ("replacement", pid))
        samples.append(now() - t)
    res.set("restart_after_kill_ms", samples, 1e3)
    stop(asys, parent, [pid])


def idle_memory(asys, res: Results, plan: Plan):
    spawner = asys.createActor(Spawner)
    pids = ask(asys, spawner, ("spawn", plan.idle_actors))
    time.sleep(1.0)  # let start-up allocations settle: we want the idle figure
    res.set("idle_actor_uss_mb", uss_mb(pids))
    stop(asys, spawner, pids)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    parser = arg_parser(__doc__.splitlines()[0])
    parser.add_argument("--admin-port", type=int, default=0, help="default: a free port")
    parser.add_argument("--cleanup", action="store_true",
                        help="shut down the admin on --admin-port")
    args = parser.parse_args()
    capabilities = {"Admin Port": args.admin_port or free_port(), "Process Startup Method": "fork"}
    if args.cleanup:
        ActorSystem("multiprocTCPBase", capabilities).shutdown()
        return

    import thespian

    version = getattr(thespian, "__version__", None) or _dist_version("thespian")
    plan = Plan(args.quick)
    res = Results("thespian", version, args.quick)
    terminate_gracefully()
    asys = ActorSystem("multiprocTCPBase", capabilities, transientUnique=True)
    try:
        res.run_all((spawn_one, spawn_many, messaging, restart, idle_memory), asys, res, plan)
    finally:
        asys.shutdown()
    log("actor system shut down")
    res.emit()


def _dist_version(name: str) -> str:
    from importlib.metadata import version

    return version(name)


if __name__ == "__main__":
    main()
