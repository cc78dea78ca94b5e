"""An actor process: its entry point and its whole life.

``python -m actorgrpc.actor.process`` is what the arbiter starts for a process actor
when it does not fork it from its fork server (which calls ``run_in_this_process``).
The spawn specification arrives as JSON on an inherited file descriptor whose number
is in ACTORGRPC_SPEC_FD (never pickled, never in the environment or on the command
line, where other processes could list it: it holds the actor's one-time secret and
the arbiter's internal credential). The process binds its mailbox, says hello to its
monitor, runs the ``start`` hook, heartbeats, and exits when told to stop or when its
monitor is gone. A standby process of the fork server does the first part in
advance and waits to be told which actor to be.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import grpc
import grpc.aio

from actorgrpc.actor.core import Actor
from actorgrpc.actor.heartbeat import HeartbeatStream, MonitorLost
from actorgrpc.actor.hooks import HookResolver
from actorgrpc.actor.mailbox import MailboxHost
from actorgrpc.actor.mailbox_servicer import MailboxServicer
from actorgrpc.actor.process_control import die_with_parent, set_process_name
from actorgrpc.actor.runtime import Concurrency
from actorgrpc.client.routing import Router
from actorgrpc.contract.consts import KIND_PROCESS, MONITOR_TARGET
from actorgrpc.contract.errors import STREAM_ERRORS, ActorError, error_from_rpc_error
from actorgrpc.contract.proxy import ActorProxy
from actorgrpc.contract.spawn_spec import SpawnSpec
from actorgrpc.transport.channels import open_channel
from actorgrpc.transport.security import SecuritySettings
from actorgrpc.transport.server import build_server

if TYPE_CHECKING:
    import socket

    from actorgrpc.actor.protocols import SpawnPayload

SPEC_FD_VARIABLE = "ACTORGRPC_SPEC_FD"
#: The largest specification the arbiter sends (its launchers' bound), in bytes.
MAX_PAYLOAD_BYTES = 1024 * 1024
#: Exit code of a process whose actor could not start.
EXIT_START_FAILED = 3
#: Exit code of a process whose monitor went away.
EXIT_MONITOR_LOST = 4


def _die_with_parent(parent_pid: int) -> None:
    """Be killed if the arbiter dies, even by SIGKILL (no orphans)."""
    die_with_parent()
    # The parent may have died before prctl took effect.
    if parent_pid and os.getppid() != parent_pid:
        os._exit(EXIT_MONITOR_LOST)


def main() -> None:
    spec = read_spec(int(os.environ.pop(SPEC_FD_VARIABLE)))
    _die_with_parent(spec.get("parent_pid", 0))
    # The arbiter coordinates shutdown: a terminal's Ctrl-C reaches the whole process
    # group, and the actor must not die before its monitor orders it to stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for entry in reversed(spec.get("sys_path", [])):
        if entry not in sys.path:
            sys.path.insert(0, entry)
    code = run_in_this_process(spec)
    # Skip interpreter teardown: gRPC's threads make it slow, and nothing is left to do.
    os._exit(code)


def read_spec(fd: int) -> SpawnPayload:
    """The JSON specification on ``fd`` (read whole, then closed)."""
    with os.fdopen(fd, "rb") as handle:
        spec: SpawnPayload = json.loads(handle.read())
        return spec


def run_in_this_process(spec: SpawnPayload, standby_socket: socket.socket | None = None) -> int:
    """Run the actor described by ``spec`` in this process; return the exit code.

    With ``standby_socket``, ``spec`` holds only the settings common to every actor:
    the process prepares itself, then waits there for the actor it will be.
    """
    from actorgrpc.actor.logs import configure_logging

    configure_logging(spec.get("log_level", "INFO"), spec.get("log_format", "text"))
    try:
        import uvloop
        runner: Callable[..., int] = uvloop.run
    except ImportError:  # pragma: no cover - uvloop is a dependency
        runner = asyncio.run
    if standby_socket is not None:
        code = runner(run_standby(spec, standby_socket))
    else:
        code = runner(run_actor_process(spec))
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    return code


logger = logging.getLogger("actorgrpc.process")

#: The target of a standby's warm-up message (no actor has this aid).
WARM_UP_AID = "warm-up"
#: Seconds the monitor has to welcome a new actor (it boots meanwhile).
WELCOME_TIMEOUT = 10.0


class ProcessConcurrency(Concurrency):
    """Concurrency of an actor that owns its process: spawns go to the arbiter."""

    kind = KIND_PROCESS

    def __init__(self, router: Router, host_loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(router, host_loop)
        self.heartbeat: HeartbeatStream | None = None

    async def spawn(self, **params: Any) -> ActorProxy:
        request = SpawnSpec.from_kwargs(**params).to_request()
        try:
            response = await self.router.arbiter.Spawn(request, metadata=self.router.metadata)
        except grpc.aio.AioRpcError as exc:
            raise error_from_rpc_error(exc) from None
        return ActorProxy.from_ref(response.actor)

    async def on_state_change(self, actor: Actor) -> None:
        if self.heartbeat is not None:
            try:
                await self.heartbeat.beat()
            except STREAM_ERRORS as exc:  # the heartbeat's own reader notices the loss
                logger.debug("%s: state change not reported: %s", actor, exc)


class Prepared:
    """What a process needs before it knows which actor it will be: a mailbox
    server bound and serving, and a channel to the monitor (connecting)."""

    def __init__(self, common: SpawnPayload) -> None:
        self.common = common
        self.max_bytes = common["max_message_bytes"]
        self.hooks = HookResolver(common["modules"])
        self.boot_error: BaseException | None = None
        security = SecuritySettings.from_spec(common)
        self.server_security = security.server()
        #: TLS and the internal credential, for every call this process makes.
        self.client_security = security.client()
        self.metadata = self.client_security.metadata
        try:
            self.hooks.import_all()
        except Exception as exc:  # noqa: BLE001 - operators' modules: reported once connected
            self.boot_error = exc
        # Start connecting to the monitor now: the TCP and HTTP/2 handshakes overlap
        # with building the mailbox server.
        self.channel = open_channel(common["arbiter_address"], self.max_bytes,
                                    self.client_security)
        self.channel.get_state(try_to_connect=True)
        self.host = MailboxHost(self.max_bytes, common["max_pending_calls"])
        # Built now, not when the actor is assigned: the first Router of a forked
        # process costs ~0.4 ms (its stubs, and the pages they touch), which a
        # standby then takes off every spawn and restart.
        self.router = Router(common["arbiter_address"], max_message_bytes=self.max_bytes,
                             local_host=self.host, arbiter_channel=self.channel,
                             security=self.client_security)
        self.server: grpc.aio.Server | None = None
        self.address = ""
        #: A Heartbeat stream opened in advance (standby processes).
        self.heartbeat: HeartbeatStream | None = None

    async def start_server(self) -> None:
        server, port, _health, _names = build_server(
            f"{self.common['host']}:0", mailbox=MailboxServicer(self.host),
            max_message_bytes=self.max_bytes, security=self.server_security)
        self.server = server
        await server.start()
        self.address = f"{self.common['host']}:{port}"
        self.host.address = self.address

    async def warm_up(self) -> None:
        """Carry one message through this process's own mailbox stream.

        A forked process shares its parent's memory until it writes to it: the
        first message through a path copies the pages it touches. Paying that here,
        before an actor is assigned, takes it off the first message the actor gets.
        """
        from actorgrpc.client.mailbox import MailboxConnection

        connection = MailboxConnection(self.address, self.max_bytes,
                                       security=self.client_security)
        try:
            await connection.call(WARM_UP_AID, "ping", (), None, WELCOME_TIMEOUT)
        except ActorError:
            pass  # "not hosted" (or no answer): the round trip itself is the point
        finally:
            await connection.close()

    def started_server(self) -> grpc.aio.Server:
        """The mailbox server (RuntimeError before start_server)."""
        if self.server is None:
            raise RuntimeError("the mailbox server is not started yet: start_server() first")
        return self.server


async def run_actor_process(spec: SpawnPayload) -> int:
    """Boot, serve and stop one actor; return the process exit code."""
    prepared = Prepared(spec)
    await prepared.start_server()
    return await become_actor(prepared, spec)


async def run_standby(common: SpawnPayload, assignments: socket.socket) -> int:
    """Prepare, then wait for an actor to become (the fork server's warm standby).

    ``assignments`` is a connected socket; the fork server writes one JSON line
    (the spawn specification plus ``log_path``) when an actor is spawned, or closes
    it to dismiss the standby.
    """
    set_process_name("actor:standby", "actorgrpc: actor:standby")
    prepared = Prepared(common)
    await prepared.start_server()
    prepared.heartbeat = HeartbeatStream(None, prepared.channel, prepared.metadata)
    prepared.heartbeat.preopen()
    await prepared.warm_up()
    # A specification is at most MAX_PAYLOAD_BYTES (checked by the arbiter).
    reader, writer = await asyncio.open_connection(sock=assignments,
                                                   limit=2 * MAX_PAYLOAD_BYTES)
    line = await reader.readline()
    writer.close()
    if not line:
        await prepared.started_server().stop(grace=None)
        return 0
    spec: SpawnPayload = json.loads(line)
    # From now on this process's output is the actor's log file.
    log_fd = os.open(spec["log_path"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(log_fd, 1)
    os.dup2(log_fd, 2)
    os.close(log_fd)
    return await become_actor(prepared, spec)


def _actor_of(prepared: Prepared, spec: SpawnPayload, loop: asyncio.AbstractEventLoop,
              ) -> tuple[Actor, HeartbeatStream, BaseException | None]:
    """The actor of ``spec``, hosted, with its heartbeat stream and its hooks; and the
    error that prevents its start (an unimportable module or hook), if any."""
    hooks, host = prepared.hooks, prepared.host
    monitor_proxy = ActorProxy(spec["monitor"], spec["monitor"], spec["arbiter_address"])
    router = prepared.router
    router.add_alias(MONITOR_TARGET, monitor_proxy)
    router.add_alias(spec["monitor"], monitor_proxy)
    runtime = ProcessConcurrency(router, loop)
    actor = Actor(aid=spec["aid"], name=spec["name"], kind=KIND_PROCESS, runtime=runtime,
                  hooks=hooks, extra=spec.get("extra"), monitor=spec["monitor"],
                  timeout=spec["timeout"], periodic_interval=spec["periodic_interval"])
    actor.address = prepared.address
    actor.bind_loop()
    host.add(actor, main=True)

    heartbeat = prepared.heartbeat or HeartbeatStream(actor, prepared.channel,
                                                      prepared.metadata)
    heartbeat.actor = actor
    runtime.heartbeat = heartbeat
    failure: BaseException | None = prepared.boot_error
    if failure is None:
        try:
            actor.start_hook = _hook(hooks, spec.get("start"))
            actor.stopping_hook = _hook(hooks, spec.get("stopping"))
            actor.periodic_task_hook = _hook(hooks, spec.get("periodic_task"))
        except Exception as exc:  # noqa: BLE001 - an operator's hook: reported, not raised
            failure = exc
    return actor, heartbeat, failure


async def become_actor(prepared: Prepared, spec: SpawnPayload) -> int:
    """Be the actor of ``spec`` in a prepared process, until it stops."""
    set_process_name(f"actor:{spec['name']}", f"actorgrpc: actor:{spec['name']}")
    loop = asyncio.get_running_loop()
    server = prepared.started_server()
    actor, heartbeat, failure = _actor_of(prepared, spec, loop)
    # Without a start hook the actor is running as soon as it boots: its hello then
    # carries that state, and the spawn completes after one message, not two.
    running_at_hello = failure is None and actor.start_hook is None
    if running_at_hello:
        await actor.boot()
    try:
        await heartbeat.hello(spec["secret"], WELCOME_TIMEOUT, with_beat=running_at_hello)
    except (*STREAM_ERRORS, MonitorLost, TimeoutError) as exc:
        logger.error("%s: could not reach its monitor at %s: %s", actor,
                     spec["arbiter_address"], exc)
        return EXIT_MONITOR_LOST

    if not running_at_hello:
        try:
            if failure is not None:
                raise failure
            await actor.boot()
        except Exception as exc:  # noqa: BLE001 - the user's start hook: reported as a failed start
            logger.error("%s: failed to start: %s: %s", actor, type(exc).__name__, exc)
            await heartbeat.fail(exc)
            await server.stop(grace=None)
            return EXIT_START_FAILED
        await heartbeat.beat()
    loop.add_signal_handler(signal.SIGTERM, actor.stop_soon, "SIGTERM")
    lost = asyncio.ensure_future(heartbeat.lost.wait())
    stopped = asyncio.ensure_future(actor.wait_stopped())
    await asyncio.wait([lost, stopped], return_when=asyncio.FIRST_COMPLETED)
    monitor_lost = lost.done() and not stopped.done()
    await actor.stop()
    lost.cancel()
    await heartbeat.close()
    # Let replies in flight (the answer to "stop" itself) reach their callers.
    await server.stop(grace=0.5)
    # stop() has set exit_code by now: `or 0` is for the type (int | None) alone.
    return EXIT_MONITOR_LOST if monitor_lost else (actor.exit_code or 0)


def _hook(hooks: HookResolver, reference: str | None) -> Callable[..., Any] | None:
    return hooks.resolve(reference) if reference else None


if __name__ == "__main__":
    main()
