"""The life of a process actor, inside its own OS process."""

from __future__ import annotations

import asyncio
import logging
import signal

from .actor import Actor
from .channels import insecure_channel
from .consts import KIND_PROCESS, MONITOR_TARGET
from .errors import error_from_rpc_error
from .heartbeat import HeartbeatStream
from .hooks import HookResolver
from .mailbox_server import MailboxHost, MailboxServicer
from .proxy import ActorProxy
from .routing import Router
from .runtime import Concurrency
from .server import build_server
from .spawn_spec import SpawnSpec

import grpc

logger = logging.getLogger("actorgrpc.process")

#: Seconds to wait for the monitor's welcome.
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
            response = await self.router.arbiter.Spawn(request)
        except grpc.aio.AioRpcError as exc:
            raise error_from_rpc_error(exc) from None
        return ActorProxy.from_ref(response.actor)

    async def on_state_change(self, actor) -> None:
        if self.heartbeat is not None:
            try:
                await self.heartbeat.beat()
            except Exception:
                pass


async def run_actor_process(spec: dict) -> int:
    """Boot, serve and stop one actor; return the process exit code."""
    from .child import EXIT_MONITOR_LOST, EXIT_START_FAILED

    _set_process_name(f"actor:{spec['name']}")
    loop = asyncio.get_running_loop()
    max_bytes = spec["max_message_bytes"]
    hooks = HookResolver(spec["modules"])
    boot_error: BaseException | None = None
    try:
        hooks.import_all()
    except BaseException as exc:  # reported to the monitor below
        boot_error = exc

    # Start connecting to the monitor now: the TCP and HTTP/2 handshakes overlap
    # with building the mailbox server.
    channel = insecure_channel(spec["arbiter_address"], max_bytes)
    channel.get_state(try_to_connect=True)
    host = MailboxHost(max_bytes)
    server, port, health, names = build_server(
        f"{spec['host']}:0", mailbox=MailboxServicer(host), max_message_bytes=max_bytes)
    await server.start()
    address = f"{spec['host']}:{port}"
    host.address = address

    monitor_proxy = ActorProxy(spec["monitor"], spec["monitor"], spec["arbiter_address"])
    router = Router(spec["arbiter_address"], max_message_bytes=max_bytes, local_host=host,
                    aliases={MONITOR_TARGET: monitor_proxy, spec["monitor"]: monitor_proxy})
    runtime = ProcessConcurrency(router, loop)
    actor = Actor(aid=spec["aid"], name=spec["name"], kind=KIND_PROCESS, runtime=runtime,
                  hooks=hooks, extra=spec.get("extra"), monitor=spec["monitor"],
                  timeout=spec["timeout"], periodic_interval=spec["periodic_interval"])
    actor.address = address
    actor.bind_loop()
    host.add(actor, main=True)

    heartbeat = HeartbeatStream(actor, channel)
    runtime.heartbeat = heartbeat
    try:
        await heartbeat.open(WELCOME_TIMEOUT)
    except Exception as exc:
        logger.error("%s: could not reach its monitor at %s: %s", actor,
                     spec["arbiter_address"], exc)
        return EXIT_MONITOR_LOST

    try:
        if boot_error is not None:
            raise boot_error
        actor.start_hook = _hook(hooks, spec.get("start"))
        actor.stopping_hook = _hook(hooks, spec.get("stopping"))
        actor.periodic_task_hook = _hook(hooks, spec.get("periodic_task"))
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


def _set_process_name(name: str) -> None:
    """Name the process (as ``ps -o comm`` and psutil show it) after its actor."""
    try:
        import ctypes

        PR_SET_NAME = 15
        ctypes.CDLL(None).prctl(PR_SET_NAME, name.encode()[:15], 0, 0, 0)
    except (OSError, AttributeError):  # pragma: no cover - Linux only
        pass
