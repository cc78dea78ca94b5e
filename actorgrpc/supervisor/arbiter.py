"""The arbiter: the process that runs the gRPC services, the registry and the monitors."""

from __future__ import annotations

import os

# This process starts actor processes with fork+exec while gRPC runs. gRPC core's
# fork handlers are for fork without exec; run in the child between fork and exec
# they crash it now and then (SIGSEGV seen in 1 of 10 spawns). Off, before gRPC
# initializes (at its first channel or server), here and in every child.
os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "0")

import asyncio
import dataclasses
import logging
import signal
import tempfile
import threading
import time
import uuid

from actorgrpc.actor.core import Actor
from actorgrpc.compat import PulsarArbiterNames
from actorgrpc.contract.consts import (ACTOR_ACTION_TIMEOUT, ACTOR_STATES, ARBITER_TARGET, DEFAULT_BIND,
                     DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_SPAWN_TIMEOUT, HEARTBEAT_INTERVAL,
                     KIND_ARBITER, KIND_EXEC, KIND_PROCESS, KIND_THREAD, MONITOR_TASK_PERIOD,
                     OWN_PROCESS_KINDS,
                     READY_LINE_PREFIX)
from actorgrpc.supervisor import events
from actorgrpc.supervisor import log_files
from actorgrpc.contract.errors import ActorError, ActorNotFound, InvalidArgument, SpawnError
from actorgrpc.supervisor.events import EventBus
from actorgrpc.supervisor.exec_launcher import ExecLauncher
from actorgrpc.actor.hooks import HookResolver
from actorgrpc.actor.mailbox import MailboxHost, MailboxServicer
from actorgrpc.supervisor.monitor import Monitor
from actorgrpc.actor.process_control import pid_alive
from actorgrpc.supervisor.programs import ProgramTable
from actorgrpc.contract.proxy import ActorProxy
from actorgrpc.supervisor.registry import Registry
from actorgrpc.contract.consts import TEMPORARY
from actorgrpc.supervisor.restart import RestartPolicy, RestartTracker, should_restart
from actorgrpc.client.routing import Router
from actorgrpc.actor.runtime import Concurrency
from actorgrpc.transport.security import SecuritySettings, check_exposure
from actorgrpc.transport.server import build_server, set_serving
from actorgrpc.contract.spawn_spec import SpawnSpec
from actorgrpc.transport.tls import TlsFiles
from actorgrpc.supervisor.record import (ActorRecord, ForkServerLauncher, ProcessLauncher,
                          ThreadLauncher, describe_exit)

logger = logging.getLogger("actorgrpc.supervisor.arbiter")

_arbiter: "Arbiter | None" = None


def arbiter(**params) -> "Arbiter":
    """The arbiter of this process, created on first call with ``params``.

    ``arbiter(bind=..., modules=[...], start=hook).start()`` runs it until
    ``stop()`` (from a hook, a command, or SIGTERM/SIGINT), then returns.
    """
    global _arbiter
    if _arbiter is None or _arbiter.closed():
        _arbiter = Arbiter(**params)
    elif params:
        raise RuntimeError("the arbiter of this process already exists")
    return _arbiter


class ArbiterConcurrency(Concurrency):
    """Concurrency of the actors living in the arbiter process (arbiter, monitors, threads)."""

    kind = KIND_ARBITER

    def __init__(self, arbiter, router, host_loop):
        super().__init__(router, host_loop)
        self.arbiter = arbiter

    async def spawn(self, **params) -> ActorProxy:
        return await self.arbiter.spawn(**params)


class Arbiter(PulsarArbiterNames, Actor):
    """The root actor: serves ArbiterService, MonitorService and its own mailbox."""

    def __init__(self, *, bind: str = DEFAULT_BIND, modules=(), start=None, stopping=None,
                 periodic_task=None, periodic_interval: float = MONITOR_TASK_PERIOD,
                 name: str = "arbiter", max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
                 run_dir: str | None = None, spawn_timeout: float = DEFAULT_SPAWN_TIMEOUT,
                 heartbeat_interval: float = HEARTBEAT_INTERVAL,
                 monitor_task_period: float = MONITOR_TASK_PERIOD,
                 actor_host: str = "127.0.0.1", announce: bool = False,
                 log_level: str = "INFO", log_format: str = "text", extra=None,
                 plugins=(), max_log_bytes: int = log_files.DEFAULT_MAX_LOG_BYTES,
                 fork_server: bool | None = None,
                 action_timeout: float = ACTOR_ACTION_TIMEOUT, restart_policy: dict | None = None,
                 standby_actors: int | None = None, auth_tokens=(),
                 tls: TlsFiles | None = None, insecure: bool = False, programs=()):
        auth_tokens = list(auth_tokens)
        check_exposure(bind, tokens=auth_tokens, tls=tls, insecure=insecure)
        self.hooks_resolver = HookResolver(modules)
        #: Tokens, the internal credential and TLS, shared with every actor it starts.
        self.security = SecuritySettings.create(auth_tokens, tls)
        super().__init__(aid=ARBITER_TARGET, name=name, kind=KIND_ARBITER, runtime=None,
                         hooks=self.hooks_resolver, start=_callable(start, self.hooks_resolver),
                         stopping=_callable(stopping, self.hooks_resolver),
                         periodic_task=_callable(periodic_task, self.hooks_resolver),
                         periodic_interval=periodic_interval, extra=extra, monitor="")
        self.bind = bind
        self.max_message_bytes = max_message_bytes
        self.spawn_timeout = spawn_timeout
        self.heartbeat_interval = heartbeat_interval
        self.monitor_task_period = monitor_task_period
        self.actor_host = actor_host
        self.announce = announce
        self.log_level = log_level
        self.log_format = log_format
        self.run_dir = run_dir
        self.registry = Registry()
        #: Life-cycle events for WatchActors, metrics and the dashboard.
        self.events = EventBus()
        #: Objects with ``async start(arbiter)`` / ``async stop()`` run beside the
        #: arbiter (metrics endpoint, dashboard, ...).
        self.plugins = list(plugins)
        #: ``observer(action, seconds, code)`` for every ArbiterService.Send the
        #: arbiter forwards (``code`` a grpc.StatusCode name); the metrics plugin's.
        self.send_observers: list = []
        self.max_log_bytes = max_log_bytes
        if fork_server is None:
            # ACTORGRPC_FORK_SERVER=0 starts every actor as a fresh interpreter
            # (slower; for debugging and for tests of that path).
            fork_server = os.environ.get("ACTORGRPC_FORK_SERVER", "1") != "0"
        self.use_fork_server = fork_server
        if standby_actors is None:
            # Warm processes kept by the fork server so that a spawn takes a message,
            # not a fork and a boot (ACTORGRPC_STANDBY=0 turns them off).
            standby_actors = int(os.environ.get("ACTORGRPC_STANDBY", "2"))
        self.standby_actors = standby_actors
        #: Seconds of each step of stop → terminate → kill.
        self.action_timeout = action_timeout
        #: Restart policy of the actors spawned directly (the arbiter supervises them).
        self.restart_policy = RestartPolicy.from_params(dict(restart_policy or {}))
        self.restart_trackers: dict[str, RestartTracker] = {}
        self.fork_server = None
        self.monitors: dict[str, Monitor] = {}
        self.mailbox_host = MailboxHost(max_message_bytes)
        #: Programs the operator registered for EXEC actors.
        self.programs = ProgramTable(programs)
        self.launchers = {KIND_PROCESS: ProcessLauncher(self), KIND_THREAD: ThreadLauncher(self),
                          KIND_EXEC: ExecLauncher(self)}
        self.server = None
        self.router: Router | None = None
        self._pending_monitors: list[tuple[str, dict]] = []
        self._serving = threading.Event()
        self.exit_code = 0

    # -- pulsar's collections --------------------------------------------------------

    def get_actor(self, aid: str) -> ActorProxy | None:
        """The proxy of a live actor by aid or name (pulsar's ``get_actor(aid)``)."""
        try:
            return self.registry.find(aid).proxy
        except ActorError:
            return None

    # -- running ------------------------------------------------------------------------

    def start(self) -> int:
        """Run the arbiter in this thread until it stops; return 0.

        A failure (a start hook that raised, ...) raises SystemExit with a non-zero
        code, so a script built on ``arbiter().start()`` reports it.
        """
        try:
            import uvloop
            runner = uvloop.run
        except ImportError:  # pragma: no cover
            runner = asyncio.run
        self.hooks_resolver.import_all()
        if self.use_fork_server:
            self._start_fork_server()
        code = runner(self._main())
        if code:
            raise SystemExit(code)
        return code

    async def _main(self) -> int:
        loop = asyncio.get_running_loop()
        self.hooks_resolver.import_all()
        if self.run_dir is None:
            self.run_dir = tempfile.mkdtemp(prefix="actorgrpc-")
        os.makedirs(os.path.join(self.run_dir, "logs"), exist_ok=True)
        from actorgrpc.supervisor.services import ArbiterServicer, MonitorServicer

        if self.fork_server is not None:
            await self.fork_server.attach()
        self.server, port, self.health, names = build_server(
            self.bind, mailbox=MailboxServicer(self.mailbox_host),
            arbiter=ArbiterServicer(self), monitor=MonitorServicer(self),
            max_message_bytes=self.max_message_bytes, exclusive_port=True,
            security=self.security.server())
        host = self.bind.rsplit(":", 1)[0]
        self.address = f"{host}:{port}"
        self.mailbox_host.address = self.address
        if self.fork_server is not None:
            # Standby processes need the address they report to: configure now.
            self.launchers[KIND_PROCESS] = ForkServerLauncher(self, self.fork_server,
                                                              self.standby_actors)
        self.router = Router(self.address, max_message_bytes=self.max_message_bytes,
                             local_host=self.mailbox_host, security=self.security.client())
        self.runtime = ArbiterConcurrency(self, self.router, loop)
        self.bind_loop()
        self.mailbox_host.add(self, main=True)
        self.registry.add_local(self)
        await self.server.start()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.stop_soon, sig.name)
        loop.add_signal_handler(signal.SIGHUP, self._on_sighup)
        try:
            await self.boot()
            for name, params in self._pending_monitors:
                self._create_monitor(name, params)
            self._pending_monitors.clear()
            periodic = asyncio.ensure_future(self._periodic_supervision())
            for plugin in self.plugins:
                await plugin.start(self)
            await set_serving(self.health, names, True)
            self._serving.set()
            logger.info("arbiter serving on %s (run folder %s)", self.address, self.run_dir)
            if self.announce:
                print(f"{READY_LINE_PREFIX}{self.address}", flush=True)
            await self.wait_stopped()
            periodic.cancel()
        except BaseException as exc:
            if not isinstance(exc, asyncio.CancelledError):
                logger.exception("arbiter failed")
            self.exit_code = 1
        finally:
            await set_serving(self.health, names, False)
            await self._stop_everything()
            for plugin in reversed(self.plugins):
                try:
                    await plugin.stop()
                except Exception:
                    logger.exception("plugin %r failed to stop", plugin)
            await self.router.close()
            await self.server.stop(grace=1.0)
            if self.fork_server is not None:
                await self.fork_server.close()
            self.registry.remove_local(self)
        return self.exit_code

    async def _stop_everything(self) -> None:
        """Stop every actor: monitors' workers and directly spawned actors, concurrently."""
        for monitor in list(self.monitors.values()):
            monitor.state = max(monitor.state, ACTOR_STATES.STOPPING)
        records = list(self.registry.live.values())
        await asyncio.gather(*(r.stop("arbiter stopping") for r in records),
                             return_exceptions=True)
        for monitor in list(self.monitors.values()):
            await monitor.stop()

    def stop(self, exc=None, exit_code=None):
        """Stop the arbiter and every actor; ``start()`` then returns."""
        if self.loop is None:
            self.state = ACTOR_STATES.CLOSE
            return None
        if exit_code:
            self.exit_code = exit_code
        if self.foreign_loop():
            return asyncio.run_coroutine_threadsafe(Actor.stop(self, exc, exit_code), self.loop)
        return asyncio.ensure_future(Actor.stop(self, exc, exit_code))

    def _after_fork_server_loss(self) -> None:
        """The fork server died (killed from outside): its exit reports are gone.

        Its children die with it (parent-death signal); record them as killed, and
        start new actors as fresh interpreters from now on.
        """
        launcher = self.launchers[KIND_PROCESS]
        if isinstance(launcher, ForkServerLauncher):
            logger.error("the fork server died; actors now start with fork+exec")
            self.launchers[KIND_PROCESS] = ProcessLauncher(self)
        for pid, record in list(getattr(launcher, "by_pid", {}).items()):
            if not pid_alive(pid):
                launcher.by_pid.pop(pid, None)
                record.on_exit(-signal.SIGKILL)
                self.on_actor_exit(record)

    def _start_fork_server(self) -> None:
        from actorgrpc.supervisor.forkserver import ForkServer

        try:
            self.fork_server = ForkServer.start()
        except RuntimeError as exc:
            # Threads already run (an embedding application): forking now would be
            # unsafe, so actors are started as fresh interpreters instead.
            logger.warning("no fork server (%s); actors start with fork+exec", exc)

    def _on_sighup(self) -> None:
        """SIGHUP: a rolling restart of every monitor's workers (fresh processes).

        With the fork server, new workers are forked from the modules imported at
        boot; to load changed code, restart the arbiter.
        """
        logger.info("SIGHUP: rolling restart of every monitor's workers")
        for monitor in self.monitors.values():
            self.keep_task(asyncio.ensure_future(monitor.restart_all("SIGHUP")), "SIGHUP")

    async def _periodic_supervision(self) -> None:
        while True:
            await asyncio.sleep(self.monitor_task_period)
            now = time.monotonic()
            for record in list(self.registry.live.values()):
                if (record.kind in OWN_PROCESS_KINDS and record.state == ACTOR_STATES.RUN
                        and record.stream_attached
                        and now - record.last_beat > record.spec.timeout):
                    logger.error("%s(%s) missed heartbeats for %.1f s: hung; stopping it",
                                 record.name, record.aid, now - record.last_beat,
                                 extra={"actor": record})
                    record.failure = f"hung: no heartbeat for {now - record.last_beat:.1f} s"
                    record.publish(events.HUNG, record.failure)
                    # Not an operator stop: its restart policy applies once it is gone.
                    self.keep_task(asyncio.ensure_future(
                        record.stop("hung", requested=False)), "stop hung actor")
            if self.fork_server is not None and not self.fork_server.alive:
                self._after_fork_server_loss()
            for monitor in list(self.monitors.values()):
                await monitor.maintain()
            for record in list(self.registry.live.values()):
                if record.kind in OWN_PROCESS_KINDS and record.log_path:
                    log_files.rotate_if_large(record.log_path, self.max_log_bytes)

    # -- monitors ----------------------------------------------------------------------

    def add_monitor(self, monitor_name: str, **params) -> Monitor | None:
        """Add a monitor keeping ``num_workers`` workers alive (pulsar's ``add_monitor``).

        Other parameters are spawn parameters of the workers (start, stopping, kind, ...).
        Before ``start()`` the monitor is created when the arbiter boots.
        """
        if monitor_name in self.monitors or monitor_name in self.registry.names:
            raise InvalidArgument(f"a monitor or actor named {monitor_name!r} exists")
        if self.loop is None:
            # Validate now so that a bad pool definition fails at once.
            worker_params = {k: v for k, v in params.items() if k != "num_workers"}
            RestartPolicy.from_params(worker_params)
            SpawnSpec.from_kwargs(**worker_params)
            self._pending_monitors.append((monitor_name, params))
            return None
        return self._create_monitor(monitor_name, params)

    def _create_monitor(self, name: str, params: dict) -> Monitor:
        monitor = Monitor(self, name, **params)
        monitor.loop = self.loop
        monitor.thread_id = self.thread_id
        monitor._stopped = asyncio.Event()
        monitor.state = ACTOR_STATES.RUN
        monitor.started_at = time.time()
        self.monitors[name] = monitor
        self.registry.add_local(monitor)
        self.mailbox_host.add(monitor)
        self.keep_task(asyncio.ensure_future(monitor.maintain()), "monitor start")
        return monitor

    # -- spawning -----------------------------------------------------------------------

    async def spawn(self, **params) -> ActorProxy:
        """Start an actor; return its proxy once it is RUNNING (SpawnError otherwise)."""
        spec = params.pop("_spec", None) or SpawnSpec.from_kwargs(**params)
        record = await self.spawn_record(spec)
        return record.proxy

    async def spawn_record(self, spec: SpawnSpec, restarts: int = 0) -> ActorRecord:
        if self.after_run():
            from actorgrpc.contract.errors import ActorUnavailable

            raise ActorUnavailable("the arbiter is shutting down")
        monitor = None
        if spec.monitor and spec.monitor != self.aid:
            monitor = self.monitors.get(spec.monitor)
            if monitor is None:
                raise InvalidArgument(f"no monitor named {spec.monitor!r}")
        for reference in spec.references().values():
            self.hooks.check(reference)
        if spec.kind == KIND_EXEC:
            self.programs.get(spec.program)  # PERMISSION_DENIED unless registered
        aid = uuid.uuid4().hex[:12]
        log_path = os.path.join(self.run_dir, "logs", f"{spec.name or aid}.{aid}.log")
        record = ActorRecord(aid=aid, spec=spec, monitor=monitor, log_path=log_path,
                                   restarts=restarts)
        record.publish = lambda event_type, detail="": self.events.publish(
            event_type, record, detail)
        record.action_timeout = self.action_timeout
        self.registry.reserve(record)
        try:
            await self.launchers[spec.kind].start(record)
            record.publish(events.SPAWNED, f"pid {record.pid}")
            await asyncio.wait_for(asyncio.shield(record.running), self.spawn_timeout)
        except asyncio.TimeoutError:
            record.failure = f"did not say hello within {self.spawn_timeout:g} s"
            record.kill()
            await record.join(5.0)
            self.registry.release(record)
            record.publish(events.FAILED, record.failure)
            raise SpawnError(f"actor {record.name!r} did not start within "
                             f"{self.spawn_timeout:g} s") from None
        except BaseException as exc:
            if record.is_alive():
                record.kill()
                await record.join(5.0)
            self.registry.release(record)
            record.publish(events.FAILED, str(exc))
            raise
        record.publish(events.RUNNING, record.address)
        logger.info("spawned %s %s(%s) pid=%s at %s", record.kind, record.name, record.aid,
                    record.pid, record.address, extra={"actor": record})
        return record

    def on_actor_exit(self, record: ActorRecord) -> None:
        """Called when an actor's process or thread is gone."""
        self.registry.release(record)
        if record.running.done() and not record.running.exception():
            record.publish(events.EXITED, describe_exit(record.exit_code))
        if record.monitor is not None:
            record.monitor.on_worker_exit(record)
        elif not self.after_run():
            self._maybe_restart(record)
        # Logged once a restart has started: the replacement does not wait for it.
        asyncio.get_running_loop().call_soon(_log_exit, record)

    def _maybe_restart(self, record: ActorRecord) -> None:
        """The arbiter supervises the actors it spawned directly (one_for_one)."""
        restart_type = record.spec.restart or TEMPORARY
        if not should_restart(restart_type, record.exit_code, record.stop_requested):
            return
        tracker = self.restart_trackers.setdefault(record.name,
                                                   RestartTracker(self.restart_policy))
        if not tracker.allow():
            policy = self.restart_policy
            record.gave_up = (f"more than {policy.max_restarts} restarts in "
                              f"{policy.max_seconds:g} s")
            logger.error("%s(%s): giving up restarting it: %s", record.name, record.aid,
                         record.gave_up, extra={"actor": record})
            record.publish(events.GAVE_UP, record.gave_up)
            return
        ran_for = time.time() - record.started_at if record.started_at else 0.0
        delay = tracker.delay(record.name, ran_for)
        expected = self.registry.restart_expected(record.name)
        self.keep_task(asyncio.ensure_future(self._restart(record, delay, expected)),
                       "restart")

    async def _restart(self, old: ActorRecord, delay: float,
                       expected: asyncio.Future) -> None:
        try:
            if delay:
                await asyncio.sleep(delay)
            if self.after_run():
                return
            # Same name as before, even for an actor named after its first aid.
            spec = dataclasses.replace(old.spec, name=old.name)
            try:
                record = await self.spawn_record(spec, restarts=old.restarts + 1)
            except Exception as exc:
                logger.error("could not restart %s(%s): %s", old.name, old.aid, exc,
                             extra={"actor": old})
                old.gave_up = f"restart failed: {exc}"
                old.publish(events.GAVE_UP, old.gave_up)
                return
            record.backoff = delay
            record.publish(events.RESTARTED, f"restart {record.restarts} "
                                             f"(backoff {delay:.3f} s) after {old.aid}")
        finally:
            self.registry.restart_settled(old.name, expected)

    async def find_running(self, target: str, wait: float):
        """The record (or local actor) of ``target``; while it is starting, or its
        supervisor is restarting it, wait up to ``wait`` seconds for it to run.

        Raises ActorNotFound for a target with no live actor and no restart pending.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        while True:
            try:
                found = self.registry.find(target)
            except ActorNotFound:
                pending = self.registry.restarting.get(target)
                if pending is None:
                    raise
            else:
                if (not isinstance(found, ActorRecord) or found.running.done()
                        or found.state >= ACTOR_STATES.RUN):
                    return found
                pending = found.running
            remaining = deadline - loop.time()
            if remaining <= 0 or not await _settled_within(pending, remaining):
                return self.registry.find(target)

    # -- info ---------------------------------------------------------------------------

    def info(self) -> dict:
        data = super().info()
        data["monitors"] = {name: {"num_workers": m.num_workers,
                                   "workers": len(m.workers)}
                            for name, m in self.monitors.items()}
        data["workers"] = [r.summary_dict() for r in self.registry.live.values()]
        data["actor"]["bind"] = self.bind
        data["actor"]["run_dir"] = self.run_dir
        return data

    def wait_serving(self, timeout: float | None = None) -> bool:
        """Block (from another thread) until the arbiter accepts calls."""
        return self._serving.wait(timeout)


async def _settled_within(future: asyncio.Future, timeout: float) -> bool:
    """Wait until ``future`` is done (True) or ``timeout`` s pass (False); never
    cancels it. Lighter than wait_for(shield()): the caller wakes one loop turn
    after the future is done, not three."""
    loop = asyncio.get_running_loop()
    waiter = loop.create_future()

    def wake(_=None):
        if not waiter.done():
            waiter.set_result(future.done())

    future.add_done_callback(wake)
    timer = loop.call_later(timeout, wake)
    try:
        return await waiter
    finally:
        timer.cancel()
        future.remove_done_callback(wake)


def _log_exit(record: ActorRecord) -> None:
    if record.stop_requested:
        logger.info("%s(%s) stopped (%s)", record.name, record.aid, record.exit_code,
                    extra={"actor": record})
    else:
        logger.warning("%s(%s) exited unexpectedly with %s", record.name, record.aid,
                       record.exit_code, extra={"actor": record})


def _callable(hook, resolver: HookResolver):
    if hook is None or callable(hook):
        return hook
    return _LazyHook(hook, resolver)


class _LazyHook:
    """A "module:function" hook of the arbiter, resolved once its modules are imported."""

    def __init__(self, reference: str, resolver: HookResolver):
        self.reference = reference
        self.resolver = resolver

    def __call__(self, actor):
        return self.resolver.resolve(self.reference)(actor)
