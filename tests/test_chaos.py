"""Chaos: a mixed workload runs while actors are SIGKILLed, SIGSTOPped past their
heartbeat timeout, wedged (thread actors) and the fork server is killed; afterwards
the arbiter's books must match the machine's.

The schedule is drawn from one seeded ``random.Random``: which operation each step
runs, on which target, and the pause before it. Timing on a loaded machine still
varies from run to run, so nothing asserted depends on it: only invariants that
hold whatever the interleaving.

* every live record matches a live, non-zombie actor process of the current fork
  server (or is a thread actor of the arbiter), every exited one has a crash report,
  and an incarnation the chaos never touched is still alive;
* no process is leaked (every process the arbiter started is a live actor, a standby,
  the fork server, or gone) and no file descriptor (the arbiter's count after the
  run, once its actors are stopped, is back to what it was before);
* every ask got exactly one answer within its deadline (a result or an allowed
  error), a result is the one its call asked for, and no call ran twice;
* a Stop answers once its actor has exited, and a permanent actor that a client
  stopped stays stopped, while every other permanent actor is running again;
* what each actor counted of its tells is what was sent to it when it was not
  disturbed, and at most that when it was;
* the arbiter still serves and stops cleanly.

Replay a failure with ``ACTORGRPC_CHAOS_SEED=<seed printed in the failure>``;
``ACTORGRPC_CHAOS_LOG=<file>`` writes the arbiter's whole log there.
"""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import os
import random
import signal
import threading
import time

import grpc
import psutil
from grpc_health.v1 import health_pb2, health_pb2_grpc

import actorgrpc
from actorgrpc.contract.enums import kind_from_wire, restart_from_wire, state_from_wire
from actorgrpc.v1 import arbiter_pb2

from .support import assert_all_gone, supervised_arbiter, wait_for, wait_for_async

SEED = int(os.environ.get("ACTORGRPC_CHAOS_SEED", "16010"))
#: Steps of the schedule (~10 s of chaos on two cores with the pauses below).
STEPS = 300
#: Steps run concurrently (so that asks are in flight when their actor dies).
LANES = 3
#: Seconds between two heartbeats of an actor (the default is 1 s; shorter here so
#: that a SIGSTOPped actor is found hung quickly).
HEARTBEAT_INTERVAL = 0.25
#: Seconds between two rounds of the arbiter's upkeep (hung detection).
UPKEEP_PERIOD = 0.1
#: Seconds of each step of stop → SIGTERM → SIGKILL (5 s by default): a SIGSTOPped
#: actor is killed ~2 s after it is found hung.
ACTION_TIMEOUT = 1.0
#: Heartbeat timeout of the actors that may be SIGSTOPped or wedged: 6 missed
#: heartbeats, so that a healthy actor on a busy 2-core machine is not found hung.
SHORT_TIMEOUT = 1.5
#: Seconds a wedged thread actor blocks: past its timeout, then it ends by itself
#: (a thread cannot be killed).
WEDGE_SECONDS = SHORT_TIMEOUT + 1.5
#: Deadline of every ask.
ASK_TIMEOUT = 2.0
#: Seconds past its own deadline after which an ask counts as hung: an answer is
#: due at the deadline; the margin covers a loaded event loop.
ASK_GRACE = 3.0
#: Seconds a spawn may take (the arbiter's spawn_timeout; 30 s by default): a boot
#: takes ~0.1 s here, the margin covers a fork server being replaced.
SPAWN_TIMEOUT = 10.0
#: Seconds for any other call (Stop of a SIGSTOPped actor: 3 steps of 1 s).
CALL_TIMEOUT = 15.0
#: Seconds for the arbiter to settle after the chaos: the last asks' deadlines (2 s),
#: hung detection (1.5 s), stop escalation (2 s), restart backoff (at most 0.5 s,
#: below), new fork server and standbys (~1 s): ~5 s here, 4 times that on a loaded
#: machine.
SETTLE_TIMEOUT = 20.0
#: Seconds for every actor to be gone once each was sent a Stop: they stop at the
#: same time, each within 3 steps of ACTION_TIMEOUT; the margin covers a loaded
#: machine.
STOP_ALL_TIMEOUT = 15.0
#: Seconds for the last tells to an undisturbed actor to be counted (milliseconds).
TALLY_TIMEOUT = 10.0
#: Seconds for closed connections, pidfds and thread actors' loops to be released
#: after the last actor stopped: gRPC closes a connection a few ms after its peer
#: is gone; a wedged thread actor ends WEDGE_SECONDS after its wedge began.
FD_TIMEOUT = 10.0
#: Seconds after a fork server kill during which a process spawn may fail: the
#: arbiter notices the loss, starts a new fork server and its standbys in ~1 s.
FORK_SERVER_RECOVERY = 5.0
#: Warm standby processes of the fork server (the arbiter's default).
STANDBY = 2
#: Seconds between two samples of the arbiter's descendants (to see every process it
#: starts, even one that lives only briefly).
SAMPLE_INTERVAL = 0.02

#: Errors an ask may end with under chaos: its actor is gone, died while the call
#: was pending, or is SIGSTOPped past the deadline. Anything else is a defect.
ASK_ERRORS = (actorgrpc.ActorNotFound, actorgrpc.ActorUnavailable, actorgrpc.ActorTimeout)
#: Errors a spawn may end with: its fork server was killed, or a client stopped it,
#: while it started.
SPAWN_ERRORS = (actorgrpc.SpawnError, actorgrpc.ActorUnavailable)

#: Relative weights of the operations of the schedule.
WEIGHTS = {"spawn": 14, "ask": 34, "tell": 22, "info": 4, "stop": 6, "kill": 7,
           "sigstop": 5, "wedge": 3, "kill_fork_server": 1}
#: Chaos that every schedule has at least this many times (inserted if it drew fewer).
AT_LEAST = {"kill": 3, "sigstop": 2, "wedge": 1, "kill_fork_server": 1, "stop": 1}
#: Most fork server kills in a run (each kills every process actor).
MOST_FORK_SERVER_KILLS = 2


@dataclasses.dataclass
class Step:
    """One operation of the schedule."""

    index: int
    op: str
    #: Uniform random numbers in [0, 1) that pick targets and variants.
    r: tuple[float, ...]
    #: Seconds this lane waits before the step: the workload's think time, part of
    #: the schedule (not a wait for anything).
    pause: float


def schedule(rng: random.Random) -> list[Step]:
    ops, weights = zip(*WEIGHTS.items(), strict=True)
    drawn = rng.choices(ops, weights, k=STEPS)
    # The first steps spawn, so that the chaos has targets.
    drawn[:6] = ["spawn"] * 6
    for op, least in AT_LEAST.items():
        while drawn.count(op) < least:
            drawn[rng.randrange(6, STEPS)] = op
    while drawn.count("kill_fork_server") > MOST_FORK_SERVER_KILLS:
        drawn[drawn.index("kill_fork_server")] = "ask"
    return [Step(i, op, tuple(rng.random() for _ in range(4)), rng.uniform(0, 0.1))
            for i, op in enumerate(drawn)]


@dataclasses.dataclass
class Incarnation:
    """An actor this test spawned (one aid)."""

    aid: str
    name: str
    kind: str
    restart: str
    short: bool
    proxy: actorgrpc.ActorProxy
    pid: int
    #: Fork servers killed before its spawn began (a kill after it dooms a process).
    epoch: int
    #: What the chaos did to it (empty: nothing).
    disturbed: list = dataclasses.field(default_factory=list)


class ProcessSampler:
    """Every descendant of the arbiter seen while the test runs, by (pid, start time)."""

    def __init__(self, root_pid: int):
        self.root = psutil.Process(root_pid)
        self.seen: dict[int, psutil.Process] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(SAMPLE_INTERVAL):
            self.sample()

    def sample(self) -> None:
        try:
            children = self.root.children(recursive=True)
        except psutil.NoSuchProcess:
            return
        for child in children:
            known = self.seen.get(child.pid)
            if known is None or _create_time(known) != _create_time(child):
                self.seen[child.pid] = child

    def close(self) -> None:
        self._stop.set()
        self._thread.join()


def _create_time(process: psutil.Process) -> float | None:
    try:
        return process.create_time()
    except psutil.Error:
        return None


def _alive(process: psutil.Process) -> bool:
    """True while the process exists (the same one: psutil checks its start time) and
    has not exited (a zombie has)."""
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _fd_table(pid: int) -> collections.Counter:
    """What the open fds of ``pid`` are, by kind (socket, pipe, anon_inode:[pidfd], ...)."""
    kinds = collections.Counter()
    folder = f"/proc/{pid}/fd"
    for fd in os.listdir(folder):
        try:
            target = os.readlink(os.path.join(folder, fd))
        except OSError:
            continue
        kinds[target.split("[")[0] if "[" in target and not target.startswith("anon")
              else target] += 1
    return kinds


class Chaos:
    """Runs the schedule against one arbiter and keeps the books."""

    def __init__(self, arbiter, client, chaos_dir: str):
        self.arbiter = arbiter
        self.client = client
        self.dir = chaos_dir
        self.mine: dict[str, Incarnation] = {}
        self.names: dict[str, str] = {}  # name → restart type, of every name spawned
        self.short_names: set[str] = set()
        #: Names of actors a client's Stop ended (a permanent one is not restarted).
        self.stopped_names: set[str] = set()
        #: Names a Stop was sent to (whatever came of it).
        self.stop_issued_names: set[str] = set()
        #: Aids a client's Stop ended.
        self.stopped_aids: set[str] = set()
        #: Names whose spawn failed: nothing of them is kept alive or restarted.
        self.failed_names: set[str] = set()
        self.fork_server_kills = 0
        #: When each fork server kill happened (monotonic).
        self.kill_times: list[float] = []
        self.violations: list[str] = []
        self.tasks: set[asyncio.Task] = set()
        self.sent_tells: collections.Counter = collections.Counter()
        #: Asks by outcome: "ok", an error class name, or "hung".
        self.asks: collections.Counter = collections.Counter()
        self.accepted_asks = 0
        self.answered_ok: dict[str, tuple[str, str]] = {}  # token → (mode, target)
        self.spawns: collections.Counter = collections.Counter()
        self.infos: collections.Counter = collections.Counter()
        self.applied: collections.Counter = collections.Counter()
        self.sigstopped: dict[int, psutil.Process] = {}
        #: What the chaos did to each aid (shared with its Incarnation, if ours).
        self.disturbances: collections.defaultdict = collections.defaultdict(list)
        self.hung_seen = 0
        self.unsettled = ""

    def violation(self, text: str) -> None:
        self.violations.append(text)

    def task(self, coroutine) -> None:
        task = asyncio.ensure_future(self._reported(coroutine))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _reported(self, coroutine) -> None:
        try:
            await coroutine
        except Exception as exc:  # noqa: BLE001 - every surprise is a finding
            self.violation(f"{coroutine.__qualname__}: {exc!r}")

    # -- the workload --------------------------------------------------------------------

    async def run(self, steps: list[Step]) -> None:
        queue = collections.deque(steps)

        async def lane():
            while queue:
                step = queue.popleft()
                # The schedule's think time (see Step.pause): not a wait for a condition.
                await asyncio.sleep(step.pause)
                try:
                    await getattr(self, f"do_{step.op}")(step)
                except Exception as exc:  # noqa: BLE001 - every surprise is a finding
                    self.violation(f"step {step.index} {step.op}: {exc!r}")

        await asyncio.gather(*(lane() for _ in range(LANES)))

    def pick(self, r: float, candidates: list):
        return candidates[int(r * len(candidates))] if candidates else None

    def believed_alive(self) -> list[Incarnation]:
        return [i for i in self.mine.values()
                if not i.disturbed and not (i.kind == "process"
                                            and i.epoch != self.fork_server_kills)]

    async def live_records(self) -> list:
        return [a for a in await self.client.list_actors()
                if kind_from_wire(a.kind) in ("process", "thread")]

    async def do_spawn(self, step: Step, suffix: str = "") -> None:
        name = f"c{step.index}{suffix}"
        kind = "thread" if step.r[0] < 0.3 else "process"
        restart = "permanent" if step.r[1] < 0.35 else "temporary"
        # Every thread actor may be wedged, half the processes SIGSTOPped.
        short = kind == "thread" or step.r[2] < 0.5
        self.names[name] = restart
        if short:
            self.short_names.add(name)
        epoch = self.fork_server_kills
        began = time.monotonic()
        try:
            proxy = await self.client.spawn(
                name=name, kind=kind, restart=restart,
                timeout=SHORT_TIMEOUT if short else None,
                extra={"chaos_dir": self.dir}, _timeout=SPAWN_TIMEOUT + 5)
        except SPAWN_ERRORS as exc:
            self.spawns[type(exc).__name__] += 1
            self.failed_names.add(name)
            # A process spawn may fail while a killed fork server is being replaced
            # (UNAVAILABLE "try again", or its standby died under it): from
            # FORK_SERVER_RECOVERY s before it began to its end.
            # Or a client stopped it while it started (Stop picks from ListActors,
            # which lists actors being spawned).
            excused = name in self.stop_issued_names or kind == "process" and any(
                began - FORK_SERVER_RECOVERY <= t <= time.monotonic()
                for t in self.kill_times)
            if not excused:
                self.violation(f"spawn of {kind} {name} failed, neither stopped nor with "
                               f"its fork server killed: {exc!r}")
            return
        self.spawns["ok"] += 1
        try:
            summary = await self.client.stub.GetActor(
                arbiter_pb2.GetActorRequest(target=proxy.aid), timeout=CALL_TIMEOUT)
            pid = summary.actor.pid
        except grpc.aio.AioRpcError as exc:
            if exc.code() != grpc.StatusCode.NOT_FOUND:
                raise
            pid = 0  # already gone: the chaos got it first
        # The chaos may have picked it from ListActors before this line: what it did
        # is already in its list.
        self.mine[proxy.aid] = Incarnation(proxy.aid, name, kind, restart, short, proxy,
                                           pid, epoch, self.disturbances[proxy.aid])

    async def do_ask(self, step: Step) -> None:
        candidates = self.believed_alive() if step.r[0] < 0.85 else list(self.mine.values())
        target = self.pick(step.r[1], candidates)
        if target is None:
            return
        token = f"t{step.index}"
        seconds = round(step.r[3] * 0.8, 3) if step.r[3] < 0.3 else 0.0
        mode = ("proxy", "name", "arbiter")[int(step.r[2] * 3)]
        if mode == "proxy":
            answer = self.client.send(target.proxy, "mark", token, seconds,
                                      _timeout=ASK_TIMEOUT)
        elif mode == "name":
            answer = self.client.send(target.name, "mark", token, seconds,
                                      _timeout=ASK_TIMEOUT)
        else:
            answer = self.client.send_via_arbiter(target.name, "mark", token, seconds,
                                                  _timeout=ASK_TIMEOUT)
        self.accepted_asks += 1
        self.task(self._answer(answer, token, mode, target))

    async def _outcome(self, call, tally, what: str):
        """``(True, result)`` of a call that answered; ``(False, None)`` otherwise,
        counted in ``tally`` by error class, and a violation unless the error is one
        that the chaos may cause (a hang past the call's own deadline never is)."""
        guard = asyncio.timeout(ASK_TIMEOUT + ASK_GRACE)
        try:
            async with guard:
                return True, await call
        except TimeoutError as exc:
            # ActorTimeout is a TimeoutError too: only the guard's own is a hang.
            if guard.expired():
                tally["hung"] += 1
                self.violation(f"{what} got no answer within {ASK_TIMEOUT + ASK_GRACE} s")
            else:
                tally[type(exc).__name__] += 1
        except ASK_ERRORS as exc:
            tally[type(exc).__name__] += 1
        except Exception as exc:  # noqa: BLE001
            tally[type(exc).__name__] += 1
            self.violation(f"{what} failed with {exc!r}")
        return False, None

    async def _answer(self, answer, token: str, mode: str, target: Incarnation) -> None:
        what = f"ask {token} ({mode} {target.name})"
        answered, result = await self._outcome(answer, self.asks, what)
        if not answered:
            return
        self.asks["ok"] += 1
        if result != token:
            self.violation(f"{what} got {result!r}")
        self.answered_ok[token] = (mode, target.aid if mode == "proxy" else target.name)

    async def do_tell(self, step: Step) -> None:
        candidates = self.believed_alive() if step.r[0] < 0.85 else list(self.mine.values())
        target = self.pick(step.r[1], candidates)
        if target is None:
            return
        try:
            # 10 s: a tell waits only for room in a bounded queue; its actor dies or
            # drains it within ~4 s (a SIGSTOPped actor is killed by then).
            async with asyncio.timeout(10.0):
                for _ in range(1 + int(step.r[2] * 20)):
                    await self.client.tell(target.proxy, "tally", 1)
                    self.sent_tells[target.aid] += 1
        except ASK_ERRORS:
            pass
        except TimeoutError:
            self.violation(f"tells to {target.name} waited for room for 10 s")

    async def do_info(self, step: Step) -> None:
        """Info through the arbiter, by name (live or exited) or by aid."""
        target = self.pick(step.r[0], list(self.mine.values()))
        if target is None:
            return
        self.task(self._info(target.name if step.r[1] < 0.5 else target.aid))

    async def _info(self, target: str) -> None:
        answered, info = await self._outcome(
            self.client.info(target, _timeout=ASK_TIMEOUT), self.infos, f"Info {target}")
        if not answered:
            return
        self.infos["ok"] += 1
        if target not in (info["actor"].get("name"), info["actor"].get("aid")):
            self.violation(f"Info {target} answered for {info['actor']}")

    async def do_stop(self, step: Step) -> None:
        if step.r[1] < 0.5:
            target = self.pick(step.r[0], self.believed_alive())
            if target is None:
                return
            aid, name = target.aid, target.name
        else:
            # Any live actor: a restarted one, a SIGSTOPped or wedged one (a stop must
            # get through hung actors too).
            record = self.pick(step.r[0], await self.live_records())
            if record is None:
                return
            aid, name = record.actor.aid, record.actor.name
        self.disturb(aid, "stop")
        self.stop_issued_names.add(name)
        self.task(self._stop(aid, name))

    async def _stop(self, aid: str, name: str) -> None:
        try:
            code = await self.client.stop(aid, _timeout=CALL_TIMEOUT)
        except actorgrpc.ActorNotFound:
            return
        except Exception as exc:  # noqa: BLE001
            self.violation(f"Stop {name} ({aid}) failed: {exc!r}")
            return
        self.applied["stop"] += 1
        self.stopped_names.add(name)
        self.stopped_aids.add(aid)
        # Stop returns once the actor has exited, with its exit code.
        try:
            found = await self.client.stub.GetActor(
                arbiter_pb2.GetActorRequest(target=aid), timeout=CALL_TIMEOUT)
        except grpc.aio.AioRpcError as exc:
            if exc.code() != grpc.StatusCode.NOT_FOUND:
                self.violation(f"GetActor {name} ({aid}) after its Stop: {exc.code()}")
        else:
            self.violation(
                f"Stop {name} ({aid}) returned exit code {code}, but it has not exited: "
                f"state {state_from_wire(found.actor.actor.state)}, kind "
                f"{kind_from_wire(found.actor.kind)}")

    async def _running_process(self, step: Step, *, short_named: bool = False):
        """A running process actor drawn by ``step`` and its process; (None, None)."""
        records = [a for a in await self.live_records()
                   if kind_from_wire(a.kind) == "process"
                   and (not short_named or a.actor.name in self.short_names)
                   and state_from_wire(a.actor.state) == actorgrpc.ACTOR_STATES.RUN]
        record = self.pick(step.r[0], records)
        process = self.actor_process(record) if record is not None else None
        return (record, process) if process is not None else (None, None)

    async def do_kill(self, step: Step) -> None:
        record, process = await self._running_process(step)
        if process is None:
            return
        self.disturb(record.actor.aid, "SIGKILL")
        process.send_signal(signal.SIGKILL)
        self.applied["kill"] += 1

    async def do_sigstop(self, step: Step) -> None:
        record, process = await self._running_process(step, short_named=True)
        if process is None:
            return
        self.disturb(record.actor.aid, "SIGSTOP")
        process.send_signal(signal.SIGSTOP)
        self.sigstopped[process.pid] = process
        self.applied["sigstop"] += 1
        self.task(self._continue_when_hung(record.actor.aid, record.actor.name, process,
                                           early=step.r[1] < 0.5))

    async def _continue_when_hung(self, aid: str, name: str, process: psutil.Process,
                                  early: bool) -> None:
        """SIGCONT a SIGSTOPped actor once the arbiter found it hung (``early``: as soon
        as it is being stopped), or once it is gone."""
        async def state():
            for record in await self.client.list_actors(name_prefix=name,
                                                        include_exited=True):
                if record.actor.aid == aid:
                    return state_from_wire(record.actor.state)
            return None

        async def left_run():
            current = await state()
            wanted = actorgrpc.ACTOR_STATES.STOPPING if early else actorgrpc.ACTOR_STATES.CLOSE
            return current is None or current >= wanted

        try:
            # Found hung after SHORT_TIMEOUT, stopped ~2 s later (ACTION_TIMEOUT
            # steps); 20 s covers a loaded machine many times over.
            await wait_for_async(left_run, 20.0, f"{name} found hung", interval=0.1)
            self.hung_seen += 1
        except AssertionError as exc:
            self.violation(f"SIGSTOPped {name} ({aid}): {exc}")
        finally:
            if _alive(process):
                process.send_signal(signal.SIGCONT)

    async def do_wedge(self, step: Step) -> None:
        # Each at most once: wedges queue up in a thread, and a thread blocked for
        # longer than FD_TIMEOUT would still hold its loop's fds at the fd check.
        records = [a for a in await self.live_records()
                   if kind_from_wire(a.kind) == "thread"
                   and state_from_wire(a.actor.state) == actorgrpc.ACTOR_STATES.RUN
                   and "wedged" not in self.disturbances[a.actor.aid]]
        record = self.pick(step.r[0], records)
        if record is None:
            return
        self.disturb(record.actor.aid, "wedged")
        try:
            await self.client.tell(record.actor.aid, "wedge", WEDGE_SECONDS)
        except ASK_ERRORS:
            return
        self.applied["wedge"] += 1

    async def do_kill_fork_server(self, step: Step) -> None:
        servers = self.fork_servers()
        if len(servers) != 1:
            return  # the last one was killed and its successor is not up yet
        # A spawn under way when the fork server dies, and one just after.
        self.task(self.do_spawn(step, suffix="a"))
        self.fork_server_kills += 1
        self.kill_times.append(time.monotonic())
        servers[0].send_signal(signal.SIGKILL)
        # Until it has exited (and its children got their parent-death signal), a
        # spawn that starts now could still go to one of its standbys: wait for that,
        # blocking the loop (milliseconds), so every spawn after this step is the new
        # server's. 5 s: an exit that takes more is a finding of its own.
        wait_for(lambda: not _alive(servers[0]), 5.0, "the killed fork server to exit")
        self.applied["kill_fork_server"] += 1
        self.task(self.do_spawn(step, suffix="b"))

    def disturb(self, aid: str, what: str) -> None:
        self.disturbances[aid].append(what)

    def fork_servers(self) -> list[psutil.Process]:
        return [p for p in psutil.Process(self.arbiter.pid).children()
                if _alive(p) and p.name() == "actor:forksrv"]

    def standbys(self) -> list[psutil.Process]:
        return [p for server in self.fork_servers() for p in server.children()
                if _alive(p) and p.name() == "actor:standby"]

    def actor_process(self, record) -> psutil.Process | None:
        """The process of a live record, if it is one of the arbiter's actors."""
        try:
            process = psutil.Process(record.pid)
            if process.name() != f"actor:{record.actor.name}"[:15]:
                return None
            return process
        except psutil.Error:
            return None

    # -- the books -------------------------------------------------------------------

    def read_lines(self, aid: str, suffix: str) -> list[str]:
        path = os.path.join(self.dir, f"{aid}.{suffix}")
        if not os.path.exists(path):
            return []
        with open(path) as handle:
            return handle.read().splitlines()

    def expected_back(self) -> set[str]:
        """Names of permanent actors that no client stopped: whatever the chaos did to
        them, they are running once the arbiter settles."""
        return {name for name, restart in self.names.items()
                if restart == "permanent" and name not in self.failed_names
                and name not in self.stopped_names}

    async def settled(self) -> bool:
        """Nothing in flight, every live record running, every permanent name back, the
        fork server and its standbys up. What is not is kept in ``self.unsettled``."""
        self.unsettled = await self._unsettled()
        return not self.unsettled

    async def _unsettled(self) -> str:
        if self.tasks:
            return f"{len(self.tasks)} calls or SIGSTOP watches in flight"
        live = await self.live_records()
        starting = [f"{a.actor.name}({a.actor.aid}) {state_from_wire(a.actor.state)}"
                    for a in live
                    if state_from_wire(a.actor.state) != actorgrpc.ACTOR_STATES.RUN]
        if starting:
            return f"live records not running: {starting}"
        live_names = {a.actor.name for a in live}
        missing = sorted(name for name in self.expected_back() if name not in live_names)
        if missing:
            return f"permanent actors not restarted: {missing}"
        servers, standbys = len(self.fork_servers()), len(self.standbys())
        if servers != 1 or standbys != STANDBY:
            return f"{servers} fork servers, {standbys} standbys"
        return ""


async def _health(address: str) -> int:
    async with grpc.aio.insecure_channel(address) as channel:
        reply = await health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(), timeout=CALL_TIMEOUT)
        return reply.status


async def test_chaos(tmp_path):
    seed = SEED
    rng = random.Random(seed)
    steps = schedule(rng)
    chaos_dir = tmp_path / "chaos"
    chaos_dir.mkdir()
    arbiter = supervised_arbiter(str(tmp_path / "run"), arbiter={
        "modules": ["tests.chaos_actors"], "heartbeat_interval": HEARTBEAT_INTERVAL,
        "monitor_task_period": UPKEEP_PERIOD, "action_timeout": ACTION_TIMEOUT,
        "spawn_timeout": SPAWN_TIMEOUT, "standby_actors": STANDBY,
        # Permanent actors always come back (the intensity is another test's), after
        # at most 0.5 s of backoff so the run settles quickly.
        "restart_policy": {"max_restarts": 1000, "max_seconds": 1.0, "backoff_max": 0.5}})
    sampler = ProcessSampler(arbiter.pid)
    arbiter_process = psutil.Process(arbiter.pid)
    started = time.monotonic()
    try:
        try:
            await _run(arbiter, str(chaos_dir), steps, sampler)
        finally:
            sampler.close()
            leftovers = [p for p in [arbiter_process, *sampler.seen.values()] if _alive(p)]
            if arbiter.process.poll() is None:
                arbiter.kill()
            if os.environ.get("ACTORGRPC_CHAOS_LOG"):
                with open(os.environ["ACTORGRPC_CHAOS_LOG"], "w") as handle:
                    handle.write("\n".join(arbiter.stderr_lines))
            # Every process the arbiter ever started is gone with it.
            assert_all_gone(leftovers)
    except BaseException as exc:
        exc.add_note(f"chaos seed {seed}: replay with ACTORGRPC_CHAOS_SEED={seed} "
                     f"({time.monotonic() - started:.1f} s into the run)\n"
                     f"arbiter stderr (last lines):\n" + "\n".join(arbiter.stderr_lines[-25:]))
        raise


async def _run(arbiter, chaos_dir: str, steps, sampler) -> None:
    arbiter_process = psutil.Process(arbiter.pid)
    async with actorgrpc.connect(arbiter.address) as client:
        chaos = Chaos(arbiter, client, chaos_dir)
        # Warm-up: one of everything the workload does, so that what the arbiter
        # creates once (the client's connections, gRPC's and asyncio's own) is in the
        # baseline; then back to no actor.
        for kind in ("process", "thread"):
            proxy = await client.spawn(name=f"warm-{kind}", kind=kind,
                                       extra={"chaos_dir": chaos_dir})
            assert await client.send(proxy, "mark", "w", 0.0) == "w"
            assert await client.send(proxy.name, "mark", "w", 0.0) == "w"
            assert await client.send_via_arbiter(proxy.name, "mark", "w", 0.0) == "w"
            await client.tell(proxy, "tally", 1)
            await client.stop(proxy)
        wait_for(lambda: len(chaos.standbys()) == STANDBY, SETTLE_TIMEOUT, "standbys")
        fds_before = arbiter_process.num_fds()
        fd_table_before = _fd_table(arbiter.pid)

        chaos_started = time.monotonic()
        await chaos.run(steps)
        chaos_seconds = time.monotonic() - chaos_started
        # Nothing stays SIGSTOPped: each is continued once found hung (see
        # _continue_when_hung), and here whatever the run left.
        settle_started = time.monotonic()
        try:
            await wait_for_async(chaos.settled, SETTLE_TIMEOUT, "the arbiter to settle")
        except AssertionError as exc:
            exc.add_note(f"not settled: {chaos.unsettled}; violations so far: "
                         + "\n".join(chaos.violations))
            raise
        finally:
            for process in list(chaos.sigstopped.values()):
                if _alive(process):
                    process.send_signal(signal.SIGCONT)
        settle_seconds = time.monotonic() - settle_started
        sampler.sample()
        await _check_records(chaos, client, arbiter, sampler)
        await _check_tells_and_asks(chaos, client)

        # The chaos happened: a test whose chaos did nothing proves nothing.
        for op in AT_LEAST:
            if chaos.applied[op] < 1:
                chaos.violation(f"the schedule never managed a {op}")
        if chaos.applied["sigstop"] and not chaos.hung_seen:
            chaos.violation("no SIGSTOPped actor was found hung")

        # The arbiter still serves: health, a new spawn of each kind, a send.
        assert await _health(arbiter.address) == health_pb2.HealthCheckResponse.SERVING
        for kind in ("process", "thread"):
            proxy = await client.spawn(name=f"after-{kind}", kind=kind,
                                       extra={"chaos_dir": chaos_dir},
                                       _timeout=SPAWN_TIMEOUT + 5)
            assert await client.send(proxy, "mark", "after", 0.0) == "after"
            assert await client.send_via_arbiter(proxy.name, "mark", "a2", 0.0) == "a2"

        # Back to no actor: the arbiter's fds are what they were before the chaos.
        live = await chaos.live_records()
        await asyncio.gather(*(client.stop(a.actor.aid, _timeout=CALL_TIMEOUT)
                               for a in live), return_exceptions=True)

        left: list = []

        async def no_actor_left():
            left[:] = [f"{a.actor.name}({a.actor.aid}) {state_from_wire(a.actor.state)}"
                       for a in await chaos.live_records()]
            return not left and len(chaos.standbys()) == STANDBY

        try:
            await wait_for_async(no_actor_left, STOP_ALL_TIMEOUT, "every actor stopped")
        except AssertionError as exc:
            exc.add_note(f"still live: {left}; {len(chaos.standbys())} standbys; "
                         "violations so far:\n" + "\n".join(chaos.violations))
            raise
        try:
            wait_for(lambda: arbiter_process.num_fds() <= fds_before, FD_TIMEOUT,
                     "the arbiter's fds back to the baseline")
        except AssertionError:
            after = _fd_table(arbiter.pid)
            chaos.violation(
                f"the arbiter holds {arbiter_process.num_fds()} fds, {fds_before} before "
                f"the chaos: more {dict(after - fd_table_before)}, "
                f"fewer {dict(fd_table_before - after)}")
        sampler.sample()
        _check_processes(chaos, sampler, set())

        print(f"\nchaos seed {SEED}: {len(steps)} steps in {chaos_seconds:.1f} s, settled "
              f"in {settle_seconds:.1f} s; applied "
              f"{dict(chaos.applied)}; spawns {dict(chaos.spawns)}; asks "
              f"{chaos.accepted_asks} {dict(chaos.asks)}; tells "
              f"{sum(chaos.sent_tells.values())}; infos {dict(chaos.infos)}; "
              f"SIGSTOPped found hung {chaos.hung_seen}; "
              f"processes seen {len(sampler.seen)}")
        assert not chaos.violations, (
            f"{len(chaos.violations)} violation(s):\n" + "\n".join(chaos.violations))
    arbiter.stop_and_check()


async def _check_records(chaos: Chaos, client, arbiter, sampler) -> None:
    records = [a for a in await client.list_actors(include_exited=True)
               if kind_from_wire(a.kind) in ("process", "thread")]
    live = await chaos.live_records()
    live_aids = {a.actor.aid for a in live}
    exited = [a for a in records if a.actor.aid not in live_aids]
    by_aid = {a.actor.aid: a for a in records}
    live_pids = set()
    for record in live:
        name, kind = record.actor.name, kind_from_wire(record.kind)
        if kind == "thread":
            if record.pid != arbiter.pid:
                chaos.violation(f"thread actor {name} has pid {record.pid}")
            continue
        live_pids.add(record.pid)
        process = chaos.actor_process(record)
        if process is None or not _alive(process):
            chaos.violation(f"live record {name} ({record.actor.aid}) has no live actor "
                            f"process (pid {record.pid})")
        elif process.ppid() not in [s.pid for s in chaos.fork_servers()]:
            chaos.violation(f"{name} (pid {record.pid}) is not a child of the fork server")
    for record in exited:
        report = record.crash_report
        if not record.HasField("crash_report"):
            chaos.violation(
                f"{record.actor.name}({record.actor.aid}) is not live but has no crash "
                f"report (state {state_from_wire(record.actor.state)}, pid {record.pid})")
        elif not report.exit_description or not report.HasField("exited_at"):
            chaos.violation(f"exited {record.actor.name} has an empty crash report")
        if record.gave_up:
            chaos.violation(f"the arbiter gave up on {record.actor.name}: {record.gave_up}")
    for record in records:
        restart = restart_from_wire(record.restart)
        if restart == "temporary" and record.restarts:
            chaos.violation(f"temporary {record.actor.name} was restarted")
    for name, count in collections.Counter(a.actor.name for a in live).items():
        if count > 1:
            chaos.violation(f"{count} live records named {name}")
        if name in chaos.stopped_names:
            chaos.violation(f"{name} runs again though a client stopped it")
    for incarnation in chaos.mine.values():
        record = by_aid.get(incarnation.aid)
        if record is None:
            chaos.violation(f"the arbiter forgot {incarnation.name} ({incarnation.aid})")
            continue
        doomed = incarnation.kind == "process" and incarnation.epoch != chaos.fork_server_kills
        report = record.crash_report if record.actor.aid not in live_aids else None
        if not incarnation.disturbed and not doomed and report is not None:
            chaos.violation(f"{incarnation.name} died though the chaos never touched it: "
                            f"{report.exit_description} {report.failure!r}")
        if report is None:
            continue
        if incarnation.aid in chaos.stopped_aids and not report.stop_requested:
            chaos.violation(f"{incarnation.name} was stopped by a client but its crash "
                            "report says it was not")
        if "stop" not in incarnation.disturbed and report.stop_requested:
            chaos.violation(f"{incarnation.name} was never stopped by a client but its "
                            f"crash report says so ({report.exit_description})")
        if incarnation.disturbed == ["SIGSTOP"] and not doomed \
                and not report.failure.startswith("hung"):
            chaos.violation(f"SIGSTOPped {incarnation.name} ended as "
                            f"{report.exit_description} {report.failure!r}, not as hung")
    _check_processes(chaos, sampler, live_pids)


def _check_processes(chaos: Chaos, sampler, live_pids: set) -> None:
    """Every process the arbiter started is a live actor, a standby, the fork server,
    or gone; none is a zombie."""
    servers = chaos.fork_servers()
    standbys = {p.pid for p in chaos.standbys()}
    if len(servers) != 1:
        chaos.violation(f"{len(servers)} fork servers")
    allowed = live_pids | standbys | {s.pid for s in servers}
    for process in sampler.seen.values():
        try:
            status = process.status() if process.is_running() else None
        except psutil.Error:
            status = None
        if status is None:
            continue
        if status == psutil.STATUS_ZOMBIE:
            # Only a zombie of the arbiter or of its fork server is one that should have
            # been reaped; the actors of a killed fork server die as orphans, reaped by
            # init (or whatever the container runs as pid 1) in its own time.
            parent = _ppid(process)
            if parent == chaos.arbiter.pid or parent in {s.pid for s in servers}:
                chaos.violation(f"zombie {process.pid} ({_name(process)}) left unreaped by "
                                f"its parent {parent}")
        elif process.pid not in allowed:
            chaos.violation(f"process {process.pid} ({_name(process)}) is neither a live "
                            "actor, a standby nor the fork server")


def _ppid(process: psutil.Process) -> int | None:
    try:
        return process.ppid()
    except psutil.Error:
        return None


def _name(process: psutil.Process) -> str:
    try:
        return process.name()
    except psutil.Error:
        return "?"


async def _check_tells_and_asks(chaos: Chaos, client) -> None:
    # Tells: exact for undisturbed actors (once delivered: poll), at most for the rest.
    for incarnation in chaos.mine.values():
        sent = chaos.sent_tells[incarnation.aid]
        doomed = incarnation.kind == "process" and incarnation.epoch != chaos.fork_server_kills
        if incarnation.disturbed or doomed:
            seen = len(chaos.read_lines(incarnation.aid, "tally"))
            if seen > sent:
                chaos.violation(f"{incarnation.name} counted {seen} tells, {sent} were sent")
            continue
        try:
            await wait_for_async(
                lambda aid=incarnation.aid, sent=sent: len(chaos.read_lines(aid, "tally"))
                >= sent, TALLY_TIMEOUT, f"{sent} tells counted by {incarnation.name}")
        except AssertionError:
            pass
        seen = len(chaos.read_lines(incarnation.aid, "tally"))
        counted = await client.send(incarnation.proxy, "tallied", _timeout=CALL_TIMEOUT)
        if not seen == counted == sent:
            chaos.violation(f"{incarnation.name} (never disturbed) was sent {sent} tells, "
                            f"wrote {seen}, counted {counted}")
    # Asks: no call ran twice; every answered one ran exactly once, on its target.
    ran: dict[str, list[str]] = collections.defaultdict(list)
    names_of: dict[str, str] = {}
    for path in os.listdir(chaos.dir):
        aid, _, suffix = path.partition(".")
        if suffix == "asks":
            for token in chaos.read_lines(aid, "asks"):
                ran[token].append(aid)
    for record in await client.list_actors(include_exited=True):
        names_of[record.actor.aid] = record.actor.name
    for token, aids in ran.items():
        if len(aids) > 1 and token != "w":
            chaos.violation(f"ask {token} ran {len(aids)} times ({aids})")
    for token, (_mode, target) in chaos.answered_ok.items():
        aids = ran.get(token, [])
        if len(aids) != 1:
            chaos.violation(f"ask {token} was answered but ran {len(aids)} times")
        elif target not in (aids[0], names_of.get(aids[0])):
            chaos.violation(f"ask {token} for {target} ran on {aids[0]}")
    answered = sum(chaos.asks.values())
    if answered != chaos.accepted_asks:
        chaos.violation(f"{chaos.accepted_asks} asks accepted, {answered} answered")
