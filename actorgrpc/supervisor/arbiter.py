"""The arbiter: the root actor, composed of the parts that run a supervision tree.

* ``server_host``: the gRPC server (ArbiterService, MonitorService, its mailbox);
* ``spawner``: starting one actor (``launchers`` per kind, the fork server among them);
* ``root``: the root supervisor of the actors spawned directly; ``monitors``: the
  supervisors of worker pools, beside it;
* ``upkeep``: hung actors, monitors' pools, output rotation, every period;
* ``plugins``: what runs beside it (metrics endpoint, dashboard).
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import tempfile
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from actorgrpc.actor.core import Actor
from actorgrpc.actor.hooks import HookResolver, lazy_hook
from actorgrpc.actor.mailbox import MailboxHost
from actorgrpc.actor.mailbox_servicer import MailboxServicer
from actorgrpc.actor.process_control import set_process_name
from actorgrpc.actor.runtime import Concurrency
from actorgrpc.client.routing import Router
from actorgrpc.compat import PulsarArbiterNames
from actorgrpc.contract.consts import (
    ACTOR_ACTION_TIMEOUT,
    ACTOR_STATES,
    ARBITER_TARGET,
    DEFAULT_BIND,
    DEFAULT_MAX_MESSAGE_BYTES,
    DEFAULT_SPAWN_TIMEOUT,
    HEARTBEAT_INTERVAL,
    KIND_ARBITER,
    MONITOR_TASK_PERIOD,
    READY_LINE_PREFIX,
)
from actorgrpc.contract.errors import ActorError, ActorNotFound, InvalidArgument, shown
from actorgrpc.contract.limits import DEFAULT_LIMITS, Limits
from actorgrpc.contract.proxy import ActorProxy
from actorgrpc.contract.spawn_spec import SpawnSpec
from actorgrpc.supervisor import events, log_files
from actorgrpc.supervisor.cluster_node import ClusterNode
from actorgrpc.supervisor.cluster_routing import cluster_spawn, find_remote
from actorgrpc.supervisor.endings import Endings
from actorgrpc.supervisor.events import EventBus
from actorgrpc.supervisor.launchers import Launchers
from actorgrpc.supervisor.monitor import Monitor
from actorgrpc.supervisor.pools import Pools
from actorgrpc.supervisor.programs import ProgramTable
from actorgrpc.supervisor.record import ActorRecord
from actorgrpc.supervisor.registry import Registry
from actorgrpc.supervisor.restart import RestartPolicy
from actorgrpc.supervisor.server_host import ServerHost
from actorgrpc.supervisor.spawner import Spawner
from actorgrpc.supervisor.tree import RootSupervisor
from actorgrpc.supervisor.upkeep import Upkeep
from actorgrpc.transport.security import SecuritySettings, check_exposure
from actorgrpc.transport.tls import TlsFiles

if TYPE_CHECKING:
    import concurrent.futures

    from actorgrpc.supervisor.cluster_node import ClusterSettings
    from actorgrpc.supervisor.cluster_routing import RemoteActor
    from actorgrpc.supervisor.programs import Program
    from actorgrpc.supervisor.protocols import Plugin
    from actorgrpc.transport.auth import Role

    #: A hook of the arbiter: ``hook(arbiter)`` (a coroutine function or not; typed as
    #: any actor's hook), or a "module:function" reference resolved when it first runs.
    ArbiterHook = Callable[[Actor], object] | str
    #: ``observer(action, seconds, code)``: told of every ArbiterService.Send.
    SendObserver = Callable[[str, float, str], None]

logger = logging.getLogger("actorgrpc.arbiter")

__all__ = ["Arbiter", "ArbiterConcurrency", "arbiter"]

_arbiter: Arbiter | None = None


def arbiter(**params: Any) -> Arbiter:
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

    def __init__(self, arbiter: Arbiter, router: Router,
                 host_loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(router, host_loop)
        self.arbiter = arbiter

    async def spawn(self, **params: Any) -> ActorProxy:
        return await self.arbiter.spawn(**params)


class Arbiter(PulsarArbiterNames, Actor):
    """The root actor: serves ArbiterService, MonitorService and its own mailbox."""

    #: The operator's allowlist (an Actor's hooks resolver, always one here).
    hooks: HookResolver
    #: 0 from the start: how ``start()`` ends (non-zero: SystemExit).
    exit_code: int

    def __init__(self, *, bind: str = DEFAULT_BIND, modules: Iterable[str] = (),
                 start: ArbiterHook | None = None, stopping: ArbiterHook | None = None,
                 periodic_task: ArbiterHook | None = None,
                 periodic_interval: float = MONITOR_TASK_PERIOD,
                 name: str = "arbiter", max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
                 run_dir: str | None = None, spawn_timeout: float = DEFAULT_SPAWN_TIMEOUT,
                 heartbeat_interval: float = HEARTBEAT_INTERVAL,
                 monitor_task_period: float = MONITOR_TASK_PERIOD,
                 actor_host: str = "127.0.0.1", announce: bool = False,
                 log_level: str = "INFO", log_format: str = "text",
                 extra: dict[str, Any] | None = None, plugins: Iterable[Plugin] = (),
                 max_log_bytes: int = log_files.DEFAULT_MAX_LOG_BYTES,
                 fork_server: bool | None = None, action_timeout: float = ACTOR_ACTION_TIMEOUT,
                 restart_policy: dict[str, Any] | None = None, standby_actors: int | None = None,
                 auth_tokens: Iterable[tuple[str, Role]] = (), tls: TlsFiles | None = None,
                 insecure: bool = False, programs: Iterable[Program] = (),
                 watcher_queue_size: int = events.WATCHER_QUEUE_SIZE,
                 limits: Limits = DEFAULT_LIMITS, cluster: ClusterSettings | None = None) -> None:
        auth_tokens = list(auth_tokens)
        check_exposure(bind, tokens=auth_tokens, tls=tls, insecure=insecure)
        hooks = HookResolver(modules)
        super().__init__(aid=ARBITER_TARGET, name=name, kind=KIND_ARBITER, runtime=None,
                         hooks=hooks, start=lazy_hook(start, hooks),
                         stopping=lazy_hook(stopping, hooks),
                         periodic_task=lazy_hook(periodic_task, hooks),
                         periodic_interval=periodic_interval, extra=extra, monitor="")
        #: Tokens, the internal credential and TLS, shared with every actor it starts.
        self.security = SecuritySettings.create(auth_tokens, tls)
        self.bind = bind
        self.max_message_bytes = max_message_bytes
        #: Bounds on actors and mailboxes (RESOURCE_EXHAUSTED beyond).
        self.limits = limits
        self.spawn_timeout = spawn_timeout
        self.heartbeat_interval = heartbeat_interval
        self.actor_host = actor_host
        self.announce = announce
        self.log_level = log_level
        self.log_format = log_format
        self.run_dir = run_dir
        self.max_log_bytes = max_log_bytes
        #: Seconds of each step of stop → terminate → kill.
        self.action_timeout = action_timeout
        self.registry = Registry()
        #: Life-cycle events for WatchActors, metrics and the dashboard.
        self.events = EventBus(watcher_queue_size=watcher_queue_size)
        #: Objects with ``async start(arbiter)`` / ``async stop()`` run beside it.
        self.plugins: list[Plugin] = list(plugins)
        #: ``observer(action, seconds, code)`` for every ArbiterService.Send the
        #: arbiter forwards (``code`` a grpc.StatusCode name); the metrics plugin's.
        self.send_observers: list[SendObserver] = []
        #: Programs the operator registered for EXEC actors.
        self.programs = ProgramTable(programs)
        self._build_parts(fork_server, standby_actors, restart_policy, monitor_task_period)
        self.router: Router | None = None
        self._serving = threading.Event()
        self.exit_code = 0
        self.cluster = ClusterNode.attach(self, cluster)  # membership, names, failover

    def _build_parts(self, fork_server: bool | None, standby_actors: int | None,
                     restart_policy: dict[str, Any] | None, monitor_task_period: float) -> None:
        """The parts it is composed of (see the module's docstring)."""
        self.launchers = Launchers(self, fork_server=fork_server,
                                   standby_actors=standby_actors)
        self.spawner = Spawner(self)
        self.endings = Endings(self)
        self.root = RootSupervisor(self, RestartPolicy.from_params(dict(restart_policy or {})))
        self.monitors: dict[str, Monitor] = {}
        self.pools = Pools(self)
        self.mailbox_host = MailboxHost(self.max_message_bytes, self.limits.max_pending_calls)
        self.server_host = ServerHost(self.bind, self.max_message_bytes, self.security)
        self.upkeep = Upkeep(self, monitor_task_period)

    @property
    def hooks_resolver(self) -> HookResolver:
        return self.hooks

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
            runner: Callable[..., int] = uvloop.run
        except ImportError:  # pragma: no cover
            runner = asyncio.run
        self.hooks.import_all()
        code = runner(self._main())
        if code:
            raise SystemExit(code)
        return code

    async def _main(self) -> int:
        self._prepare()
        upkeep = None
        try:
            await self.server_host.start()
            await self.launchers.open()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, self.stop_soon, sig.name)
            loop.add_signal_handler(signal.SIGHUP, self._on_sighup)
            if self.cluster is not None:
                await self.cluster.join()
            await self.boot()
            self.pools.create_pending()
            upkeep = asyncio.ensure_future(self.upkeep.run())
            for plugin in self.plugins:
                await plugin.start(self)
            await self._serve()
        except BaseException as exc:  # noqa: BLE001 - reported, then the exit code says it
            if not isinstance(exc, asyncio.CancelledError):
                logger.exception("arbiter failed")
            self.exit_code = 1
        finally:
            if upkeep is not None:
                upkeep.cancel()
            await self._shut_down()
        return self.exit_code

    def _prepare(self) -> None:
        """Run folder, server (bound), router, runtime: before anything starts."""
        if self.run_dir is None:
            self.run_dir = tempfile.mkdtemp(prefix="actorgrpc-")
        try:
            os.makedirs(os.path.join(self.run_dir, "logs"), exist_ok=True)
        except OSError as exc:
            raise InvalidArgument(f"run_dir {self.run_dir}: cannot make its logs folder: "
                                  f"{exc.strerror or exc}") from None
        from actorgrpc.supervisor.services import ArbiterServicer, MonitorServicer

        control = ArbiterServicer(self)
        self.address = self.server_host.build(
            arbiter=control, monitor=MonitorServicer(self),
            mailbox=MailboxServicer(self.mailbox_host))
        self.mailbox_host.address = self.address
        self.router = control.router = Router(
            self.address, max_message_bytes=self.max_message_bytes,
            local_host=self.mailbox_host, security=self.security.client())
        self.runtime = ArbiterConcurrency(self, self.router, asyncio.get_running_loop())
        self.bind_loop()
        self.mailbox_host.add(self, main=True)
        self.registry.add_local(self)

    async def _serve(self) -> None:
        await self.server_host.set_serving(True)
        self._serving.set()
        logger.info("arbiter serving on %s (run folder %s)", self.address, self.run_dir)
        if self.announce:
            # A program of its own (actorgrpc serve): name its process. An arbiter
            # embedded in a user's script leaves the script's name alone.
            set_process_name("arbiter", f"actorgrpc: arbiter {self.address}")
            print(f"{READY_LINE_PREFIX}{self.address}", flush=True)
        await self.wait_stopped()

    async def _shut_down(self) -> None:
        await self.server_host.set_serving(False)
        await self._stop_everything()
        if self.cluster is not None:
            await self.cluster.leave()  # after the actors: no name runs twice
        for plugin in reversed(self.plugins):
            try:
                await plugin.stop()
            except Exception:
                logger.exception("plugin %r failed to stop", plugin)
        if self.router is not None:
            await self.router.close()
        await self.server_host.stop()
        await self.launchers.close()
        self.registry.remove_local(self)

    async def _stop_everything(self) -> None:
        """Stop every actor: monitors' workers and directly spawned actors, concurrently."""
        for monitor in list(self.monitors.values()):
            monitor.state = max(monitor.state, ACTOR_STATES.STOPPING)
        records = list(self.registry.live.values())
        await asyncio.gather(*(r.stop("arbiter stopping") for r in records),
                             return_exceptions=True)
        for monitor in list(self.monitors.values()):
            await monitor.stop()

    # Not a coroutine, unlike Actor.stop (hence the ignore): pulsar's Arbiter.stop,
    # which any thread may call; it returns the stop's Future.
    def stop(self, exc: BaseException | None = None,  # type: ignore[override]
             exit_code: int | None = None,
             ) -> asyncio.Future[None] | concurrent.futures.Future[None] | None:
        """Stop the arbiter and every actor; ``start()`` then returns."""
        if self.loop is None:
            self.state = ACTOR_STATES.CLOSE
            return None
        if exit_code:
            self.exit_code = exit_code
        if self.foreign_loop():
            return asyncio.run_coroutine_threadsafe(Actor.stop(self, exc, exit_code), self.loop)
        return asyncio.ensure_future(Actor.stop(self, exc, exit_code))

    def _on_sighup(self) -> None:
        """SIGHUP: a rolling restart of every monitor's workers (fresh processes).

        Workers are forked from the modules the fork server imported; to load changed
        code, restart the arbiter.
        """
        logger.info("SIGHUP: rolling restart of every monitor's workers")
        for monitor in self.monitors.values():
            self.keep_task(asyncio.ensure_future(monitor.restart_all("SIGHUP")), "SIGHUP")

    # -- monitors ----------------------------------------------------------------------

    def add_monitor(self, monitor_name: str, **params: Any) -> Monitor | None:
        """Add a monitor keeping ``num_workers`` workers alive (pulsar's ``add_monitor``).

        Other parameters are spawn parameters of the workers (start, stopping, kind, ...).
        Before ``start()`` the monitor is created when the arbiter boots.
        """
        return self.pools.add(monitor_name, params)

    def remove_monitor(self, monitor: Monitor) -> None:
        self.pools.remove(monitor)

    # -- spawning -----------------------------------------------------------------------

    async def spawn(self, **params: Any) -> ActorProxy:
        """Start an actor; return its proxy once it is RUNNING (SpawnError otherwise)."""
        spec: SpawnSpec = params.pop("_spec", None) or SpawnSpec.from_kwargs(**params)
        if self.cluster is not None and (not spec.monitor or spec.monitor == self.aid):
            return await cluster_spawn(self.cluster, spec, self.spawn_record)
        return (await self.spawn_record(spec)).proxy

    async def spawn_record(self, spec: SpawnSpec) -> ActorRecord:
        """Start an actor under its supervisor: the root, or the monitor it names."""
        if spec.monitor and spec.monitor != self.aid:
            monitor = self.monitors.get(spec.monitor)
            if monitor is None:
                raise InvalidArgument(f"no monitor named {shown(spec.monitor)}")
            return await self.spawner.spawn(spec, monitor=monitor)
        return await self.root.spawn(spec)

    async def find_running(self, target: str, wait: float,
                           ) -> ActorRecord | Actor | RemoteActor:
        try:
            return await self.registry.find_running(target, wait)
        except ActorNotFound:
            if self.cluster is None:
                raise
            return await find_remote(self.cluster, target, wait)  # on another host

    # -- info ---------------------------------------------------------------------------

    def info(self) -> dict[str, Any]:
        data = super().info()
        data["monitors"] = {name: {"num_workers": m.num_workers,
                                   "workers": len(m.workers)}
                            for name, m in self.monitors.items()}
        data["workers"] = [r.summary_dict() for r in self.registry.live.values()]
        data["actor"]["bind"] = self.bind
        data["actor"]["run_dir"] = self.run_dir
        if self.cluster is not None:
            data["cluster"] = self.cluster.info()
        return data

    def wait_serving(self, timeout: float | None = None) -> bool:
        """Block (from another thread) until the arbiter accepts calls."""
        return self._serving.wait(timeout)
