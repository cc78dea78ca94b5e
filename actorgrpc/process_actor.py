"""The life of a process actor, inside its own OS process."""

from __future__ import annotations

import asyncio
import logging
import signal

from .actor import Actor
from .channels import open_channel
from .consts import KIND_PROCESS, MONITOR_TARGET
from .errors import error_from_rpc_error
from .heartbeat import HeartbeatStream
from .hooks import HookResolver
from .mailbox_server import MailboxHost, MailboxServicer
from .process_control import set_process_name
from .proxy import ActorProxy
from .routing import Router
from .runtime import Concurrency
from .security import SecuritySettings
from .server import build_server
from .spawn_spec import SpawnSpec

import grpc

logger = logging.getLogger("actorgrpc.process")

#: The target of a standby's warm-up message (no actor has this aid).
WARM_UP_AID = "warm-up"
#: Seconds the monitor has to welcome a new actor (it boots meanwhile).
WELCOME_TIMEOUT = 10.0


class ProcessConcurrency(Concurrency):
    """Concurrency of an actor that owns its process: spawns go to the arbiter."""

    kind = KIND_PROCESS

    def __init__(self, router, host_loop):
        super().__init__(router, host_loop)
        self.heartbeat: HeartbeatStream | None = None

    async def spawn(self, **params) -> ActorProxy:
        request = SpawnSpec.from_kwargs(**params).to_request()
        try:
            response = await self.router.arbiter.Spawn(request, metadata=self.router.metadata)
        except grpc.aio.AioRpcError as exc:
            raise error_from_rpc_error(exc) from None
        return ActorProxy.from_ref(response.actor)

    async def on_state_change(self, actor) -> None:
        if self.heartbeat is not None:
            try:
                await self.heartbeat.beat()
            except Exception:
                pass


class Prepared:
    """What a process needs before it knows which actor it will be: a mailbox
    server bound and serving, and a channel to the monitor (connecting)."""

    def __init__(self, common: dict):
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
        except BaseException as exc:  # reported to the monitor once connected
            self.boot_error = exc
        # Start connecting to the monitor now: the TCP and HTTP/2 handshakes overlap
        # with building the mailbox server.
        self.channel = open_channel(common["arbiter_address"], self.max_bytes,
                                    self.client_security)
        self.channel.get_state(try_to_connect=True)
        self.host = MailboxHost(self.max_bytes)
        # Built now, not when the actor is assigned: the first Router of a forked
        # process costs ~0.4 ms (its stubs, and the pages they touch), which a
        # standby then takes off every spawn and restart.
        self.router = Router(common["arbiter_address"], max_message_bytes=self.max_bytes,
                             local_host=self.host, arbiter_channel=self.channel,
                             security=self.client_security)
        self.server = None
        self.address = ""
        #: A Heartbeat stream opened in advance (standby processes).
        self.heartbeat: HeartbeatStream | None = None

    async def start_server(self) -> None:
        self.server, port, _health, _names = build_server(
            f"{self.common['host']}:0", mailbox=MailboxServicer(self.host),
            max_message_bytes=self.max_bytes, security=self.server_security)
        await self.server.start()
        self.address = f"{self.common['host']}:{port}"
        self.host.address = self.address

    async def warm_up(self) -> None:
        """Carry one message through this process's own mailbox stream.

        A forked process shares its parent's memory until it writes to it: the
        first message through a path copies the pages it touches. Paying that here,
        before an actor is assigned, takes it off the first message the actor gets.
        """
        from .mailbox_client import MailboxConnection

        connection = MailboxConnection(self.address, self.max_bytes,
                                       security=self.client_security)
        try:
            await connection.call(WARM_UP_AID, "ping", (), None, WELCOME_TIMEOUT)
        except Exception:
            pass  # "not hosted": the answer itself is the point
        finally:
            await connection.close()


async def run_actor_process(spec: dict) -> int:
    """Boot, serve and stop one actor; return the process exit code."""
    prepared = Prepared(spec)
    await prepared.start_server()
    return await become_actor(prepared, spec)


async def run_standby(common: dict, assignments) -> int:
    """Prepare, then wait for an actor to become (the fork server's warm standby).

    ``assignments`` is a connected socket; the fork server writes one JSON line
    (the spawn specification plus ``log_path``) when an actor is spawned, or closes
    it to dismiss the standby.
    """
    import json
    import os

    set_process_name("actor:standby")
    prepared = Prepared(common)
    await prepared.start_server()
    prepared.heartbeat = HeartbeatStream(None, prepared.channel, prepared.metadata)
    prepared.heartbeat.preopen()
    await prepared.warm_up()
    reader, writer = await asyncio.open_connection(sock=assignments)
    line = await reader.readline()
    writer.close()
    if not line:
        await prepared.server.stop(grace=None)
        return 0
    spec = json.loads(line)
    # From now on this process's output is the actor's log file.
    log_fd = os.open(spec["log_path"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(log_fd, 1)
    os.dup2(log_fd, 2)
    os.close(log_fd)
    return await become_actor(prepared, spec)


async def become_actor(prepared: Prepared, spec: dict) -> int:
    """Be the actor of ``spec`` in a prepared process, until it stops."""
    from .child import EXIT_MONITOR_LOST, EXIT_START_FAILED

    set_process_name(f"actor:{spec['name']}")
    loop = asyncio.get_running_loop()
    hooks, host, server = prepared.hooks, prepared.host, prepared.server
    address = prepared.address
    monitor_proxy = ActorProxy(spec["monitor"], spec["monitor"], spec["arbiter_address"])
    router = prepared.router
    router.add_alias(MONITOR_TARGET, monitor_proxy)
    router.add_alias(spec["monitor"], monitor_proxy)
    runtime = ProcessConcurrency(router, loop)
    actor = Actor(aid=spec["aid"], name=spec["name"], kind=KIND_PROCESS, runtime=runtime,
                  hooks=hooks, extra=spec.get("extra"), monitor=spec["monitor"],
                  timeout=spec["timeout"], periodic_interval=spec["periodic_interval"])
    actor.address = address
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
        except BaseException as exc:
            failure = exc
    # Without a start hook the actor is running as soon as it boots: its hello then
    # carries that state, and the spawn completes after one message, not two.
    running_at_hello = failure is None and actor.start_hook is None
    if running_at_hello:
        await actor.boot()
    try:
        await heartbeat.hello(spec["secret"], WELCOME_TIMEOUT, with_beat=running_at_hello)
    except Exception as exc:
        logger.error("%s: could not reach its monitor at %s: %s", actor,
                     spec["arbiter_address"], exc)
        return EXIT_MONITOR_LOST

    if not running_at_hello:
        try:
            if failure is not None:
                raise failure
            await actor.boot()
        except BaseException as exc:
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
    return EXIT_MONITOR_LOST if monitor_lost else actor.exit_code


def _hook(hooks: HookResolver, reference):
    return hooks.resolve(reference) if reference else None
