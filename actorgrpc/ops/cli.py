"""The ``actorgrpc`` command line: ``serve`` runs an arbiter, the rest talk to one.

Client commands find the arbiter with ``--address`` or ``$ACTORGRPC_ADDRESS`` and
exit with 0 ok, 1 the call failed, 2 arbiter unreachable (or actor unavailable),
3 unknown actor, 4 unknown action, 130 interrupted. Rendering lives in console.py,
the configuration file in config.py; this module parses options and makes calls.
"""

from __future__ import annotations

import os

# Before anything imports grpc (see actorgrpc/supervisor/__init__.py): the arbiter
# this command may run starts processes with fork+exec while gRPC runs.
os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "0")

import asyncio
import functools
import json
import sys
import time

import click

from actorgrpc.contract.consts import ACTOR_STATES, DEFAULT_BIND, DEFAULT_MAX_MESSAGE_BYTES
from actorgrpc.contract.errors import ActorError

ADDRESS_ENV = "ACTORGRPC_ADDRESS"
DEFAULT_ADDRESS = "127.0.0.1:7070"

#: Exit codes of the client subcommands.
EXIT_ERROR = 1
EXIT_UNREACHABLE = 2
EXIT_NOT_FOUND = 3
EXIT_UNIMPLEMENTED = 4
EXIT_INTERRUPTED = 130

#: State names a filter accepts ("running", ...): the names every client shows.
STATE_NAMES = {description: number for number, description in
               ACTOR_STATES.DESCRIPTION.items()}


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="actorgrpc")
def main():
    """actorgrpc: a supervised actor service over gRPC."""


# -- serve ---------------------------------------------------------------------------

def _read_config_file(ctx: click.Context, _param, path):
    """Read ``--config`` before any other option (it is eager), so that the file's
    values become the options' defaults: a flag on the command line wins over the
    file, the file over the built-in defaults (click's default_map)."""
    from actorgrpc.ops.config import ConfigError, ServeConfig, load_config

    try:
        config = load_config(path) if path else ServeConfig()
    except ConfigError as exc:
        raise click.BadParameter(f"\n{exc}", param_hint="--config") from None
    ctx.default_map = {**(ctx.default_map or {}), **config.defaults()}
    ctx.meta["actorgrpc.config"] = config
    return path


@main.command()
@click.option("--config", "config_path", default=None, metavar="FILE", is_eager=True,
              type=click.Path(dir_okay=False), callback=_read_config_file,
              help="TOML configuration file; options given here override it.")
@click.option("--bind", default=DEFAULT_BIND, show_default=True,
              help="HOST:PORT to serve on (port 0 picks a free port).")
@click.option("-m", "--module", "modules", multiple=True,
              help="Module whose @commands and hooks actors may use (repeatable; "
                   "added to the file's modules).")
@click.option("--start", default=None, help="Arbiter start hook, as module:function.")
@click.option("--monitor", "monitors", multiple=True, metavar="NAME=N",
              help="Add a monitor keeping N process workers alive (repeatable; sets "
                   "num_workers of a monitor of the file).")
@click.option("--run-dir", default=None, help="Folder for actor logs (default: a temp dir).")
@click.option("--max-message-bytes", default=DEFAULT_MAX_MESSAGE_BYTES, show_default=True,
              type=click.IntRange(min=1), help="Largest message accepted or sent.")
@click.option("--log-level", default="INFO", show_default=True,
              type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"],
                                case_sensitive=False))
@click.option("--log-format", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@click.option("--heartbeat-interval", type=click.FloatRange(min=0, min_open=True),
              default=None, help="Seconds between two heartbeats of an actor (default 1).")
@click.option("--spawn-timeout", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Seconds an actor may take to reach RUN (default 30).")
@click.option("--metrics-port", type=click.IntRange(0, 65535), default=None,
              help="Serve Prometheus metrics on 127.0.0.1:PORT/metrics (off by default).")
@click.option("--dashboard", "dashboard_port", type=click.IntRange(0, 65535), default=None,
              metavar="PORT", help="Serve the web dashboard on 127.0.0.1:PORT (off by default).")
@click.option("--auth-token-file", default=None, type=click.Path(dir_okay=False),
              help="Require a token on every call: one \"ROLE TOKEN\" per line, role admin "
                   "or read.")
@click.option("--tls-cert", default=None, type=click.Path(dir_okay=False),
              help="Serve TLS with this PEM certificate chain (the arbiter and its actors).")
@click.option("--tls-key", default=None, type=click.Path(dir_okay=False),
              help="The PEM private key of --tls-cert.")
@click.option("--tls-client-ca", default=None, type=click.Path(dir_okay=False),
              help="Require client certificates signed by this CA (mutual TLS).")
@click.option("--tls-ca", default=None, type=click.Path(dir_okay=False),
              help="CA that signed --tls-cert, for the actors' own connections "
                   "(default: the certificate itself, right when it is self-signed).")
@click.option("--insecure", is_flag=True, default=None,
              help="Allow a non-loopback --bind without TLS and a token.")
@click.option("--program", "programs", multiple=True, metavar="NAME=COMMAND",
              help="Register a program that EXEC actors may run (repeatable; the "
                   "command is split like a shell would, never run by one).")
def serve(config_path, bind, modules, start, monitors, run_dir, max_message_bytes,
          log_level, log_format, heartbeat_interval, spawn_timeout, metrics_port,
          dashboard_port, auth_token_file, tls_cert, tls_key, tls_client_ca, tls_ca,
          insecure, programs):
    """Run an arbiter until SIGTERM or SIGINT."""
    from actorgrpc.supervisor.arbiter import Arbiter
    from actorgrpc.actor.logs import configure_logging
    from actorgrpc.transport.server import BindError

    config = click.get_current_context().meta["actorgrpc.config"]
    log_level = log_level.upper()
    security = _serve_security(
        bind, insecure=insecure, auth_token_file=auth_token_file, tls_cert=tls_cert,
        tls_key=tls_key, tls_client_ca=tls_client_ca, tls_ca=tls_ca)
    timings = config.arbiter_kwargs()
    if heartbeat_interval is not None:
        timings["heartbeat_interval"] = heartbeat_interval
    if spawn_timeout is not None:
        timings["spawn_timeout"] = spawn_timeout
    from actorgrpc.supervisor.programs import parse_program_option

    registered = {program.name: program for program in config.programs}
    for item in programs:
        try:
            program = parse_program_option(item)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--program") from None
        registered[program.name] = program
    pools = {name: dict(params) for name, params in config.monitors.items()}
    for item in monitors:
        name, _, count = item.partition("=")
        if not name or not count.isdigit():
            raise click.BadParameter(f"expected NAME=N, got {item!r}", param_hint="--monitor")
        pools.setdefault(name, {})["num_workers"] = int(count)

    configure_logging(log_level, log_format)
    sys.path.insert(0, os.getcwd()) if os.getcwd() not in sys.path else None
    plugins = []
    try:
        if metrics_port is not None:
            from actorgrpc.ops.metrics import MetricsPlugin

            plugins.append(MetricsPlugin(metrics_port))
        if dashboard_port is not None:
            from actorgrpc.ops.dashboard import DashboardPlugin

            plugins.append(DashboardPlugin(dashboard_port))
    except ImportError as exc:
        raise click.ClickException(f"--metrics-port and --dashboard need the ops extra "
                                   f"(pip install 'actorgrpc[ops]'): {exc}") from None
    try:
        arb = Arbiter(bind=bind, modules=[*config.modules, *modules], start=start,
                      run_dir=run_dir, max_message_bytes=max_message_bytes, announce=True,
                      log_level=log_level, log_format=log_format, plugins=plugins,
                      programs=list(registered.values()), **security, **timings)
        for name, params in pools.items():
            arb.add_monitor(name, **params)
        code = arb.start()
    except BindError as exc:
        raise click.ClickException(str(exc)) from None
    except ActorError as exc:
        raise click.ClickException(f"{type(exc).__name__}: {exc}") from None
    sys.exit(code)


def _serve_security(bind: str, *, insecure, auth_token_file, tls_cert, tls_key,
                    tls_client_ca, tls_ca) -> dict:
    """Tokens and TLS of ``serve`` as Arbiter keyword arguments; refuses a
    non-loopback bind without both unless ``insecure``."""
    from actorgrpc.transport.auth import TokenFileError, load_token_file
    from actorgrpc.transport.security import InsecureBindError, check_exposure
    from actorgrpc.transport.tls import TlsError, TlsFiles

    tokens = []
    if auth_token_file:
        try:
            tokens = load_token_file(auth_token_file)
        except TokenFileError as exc:
            raise click.BadParameter(str(exc), param_hint="--auth-token-file") from None
    tls = None
    if tls_cert or tls_key or tls_client_ca or tls_ca:
        if not (tls_cert and tls_key):
            raise click.UsageError("TLS needs both --tls-cert and --tls-key")
        tls = TlsFiles(cert_file=tls_cert, key_file=tls_key, ca_file=tls_ca or "",
                       client_ca_file=tls_client_ca or "")
        try:
            tls.check()
        except TlsError as exc:
            raise click.ClickException(str(exc)) from None
    try:
        check_exposure(bind, tokens=tokens, tls=tls, insecure=bool(insecure))
    except InsecureBindError as exc:
        raise click.ClickException(str(exc)) from None
    return {"auth_tokens": tokens, "tls": tls, "insecure": bool(insecure)}


# -- helpers of the client commands --------------------------------------------------

_CONNECTION_KEYS = ("token", "token_file", "tls", "cacert", "cert", "key", "tls_server_name")


def address_option(fn):
    """The options of every client command: where the arbiter is and how to reach it.

    The security options are kept in the click context, where ``_client`` finds them.
    """

    @functools.wraps(fn)
    def with_connection(*args, **kwargs):
        settings = {key: kwargs.pop(key) for key in _CONNECTION_KEYS}
        click.get_current_context().meta["actorgrpc.connection"] = settings
        return fn(*args, **kwargs)

    options = [
        click.option("--address", envvar=ADDRESS_ENV, default=DEFAULT_ADDRESS,
                     show_default=True, help=f"The arbiter's HOST:PORT (or ${ADDRESS_ENV})."),
        click.option("--token", envvar="ACTORGRPC_TOKEN", default=None,
                     help="Bearer token (or $ACTORGRPC_TOKEN)."),
        click.option("--token-file", envvar="ACTORGRPC_TOKEN_FILE", default=None,
                     type=click.Path(dir_okay=False),
                     help="File holding the token (or $ACTORGRPC_TOKEN_FILE)."),
        click.option("--tls", is_flag=True, envvar="ACTORGRPC_TLS",
                     help="Use TLS with the system's root certificates."),
        click.option("--cacert", envvar="ACTORGRPC_CACERT", default=None,
                     type=click.Path(dir_okay=False),
                     help="Use TLS, trusting this PEM CA file (or $ACTORGRPC_CACERT)."),
        click.option("--cert", envvar="ACTORGRPC_CERT", default=None,
                     type=click.Path(dir_okay=False),
                     help="Client certificate for mutual TLS (or $ACTORGRPC_CERT)."),
        click.option("--key", envvar="ACTORGRPC_KEY", default=None,
                     type=click.Path(dir_okay=False),
                     help="Key of the client certificate (or $ACTORGRPC_KEY)."),
        click.option("--tls-server-name", default=None,
                     help="Name to verify in the server's certificate."),
    ]
    for option in reversed(options):
        with_connection = option(with_connection)
    return with_connection


def _run(coroutine_factory, address: str = ""):
    """Run a client coroutine; turn errors into messages and exit codes."""
    try:
        return asyncio.run(coroutine_factory())
    except ActorError as exc:
        _fail(exc, address)
    except KeyboardInterrupt:
        sys.exit(EXIT_INTERRUPTED)


def _fail(exc: ActorError, address: str = ""):
    """Print ``exc`` for a person and exit with its code (see the module docstring)."""
    from actorgrpc.contract.errors import ActorNotFound, ActorUnavailable, CommandNotFound

    if isinstance(exc, ActorUnavailable):
        where = f" at {address}" if address else ""
        click.echo(f"error: arbiter{where} unreachable or actor unavailable: {exc}", err=True)
        sys.exit(EXIT_UNREACHABLE)
    if isinstance(exc, ActorNotFound):
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_NOT_FOUND)
    if isinstance(exc, CommandNotFound):
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_UNIMPLEMENTED)
    click.echo(f"error: {type(exc).__name__}: {exc}", err=True)
    sys.exit(EXIT_ERROR)


def _client(address):
    from actorgrpc.client.connect import connect
    from actorgrpc.transport.tls import ClientTls

    settings = click.get_current_context().meta.get("actorgrpc.connection", {})
    token = settings.get("token")
    if not token and settings.get("token_file"):
        token = _read_token(settings["token_file"])
    tls = None
    if settings.get("cacert") or settings.get("cert") or settings.get("tls_server_name"):
        tls = ClientTls(ca_file=settings.get("cacert") or "",
                        cert_file=settings.get("cert") or "",
                        key_file=settings.get("key") or "",
                        server_name=settings.get("tls_server_name") or "")
    elif settings.get("tls"):
        tls = True
    try:
        return connect(address, token=token, tls=tls)
    except ValueError as exc:  # TlsError: a certificate file that cannot be used
        raise click.ClickException(str(exc)) from None


def _read_token(path: str) -> str:
    """The token of a file holding it alone, or the first of a server's token file."""
    try:
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                parts = line.split()
                if parts and not parts[0].startswith("#"):
                    return parts[-1]
    except OSError as exc:
        raise click.ClickException(f"cannot read the token file {path}: {exc.strerror}") \
            from None
    raise click.ClickException(f"the token file {path} holds no token")


async def _stream(call):
    """Iterate a server-streaming call, raising ActorError subclasses on failure."""
    import grpc

    from actorgrpc.contract.errors import error_from_rpc_error

    try:
        async for message in call:
            yield message
    except grpc.aio.AioRpcError as exc:
        raise error_from_rpc_error(exc) from None


def _json_object(text: str, hint: str) -> dict:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise click.BadParameter(f"not JSON: {exc}", param_hint=hint) from None
    if not isinstance(value, dict):
        raise click.BadParameter("must be a JSON object", param_hint=hint)
    return value


def _json_arg(text: str):
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def _filters(fn):
    fn = click.option("--monitor", default="", help="Only workers of this monitor.")(fn)
    fn = click.option("--state", type=click.Choice(list(STATE_NAMES)), default=None,
                      help="Only actors in this state.")(fn)
    fn = click.option("--name-prefix", default="", help="Only names starting with this.")(fn)
    return fn


# -- ps, top -------------------------------------------------------------------------

@main.command()
@address_option
@_filters
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--all", "include_exited", is_flag=True, help="Include exited actors.")
def ps(address, name_prefix, state, monitor, as_json, include_exited):
    """List actors: aid, name, kind, state, pid, uptime, restarts, memory, cpu, beat."""
    from actorgrpc.ops.console import actor_table, make_console
    from actorgrpc.supervisor.summaries import summary_json

    async def go():
        async with _client(address) as client:
            return await client.list_actors(
                name_prefix=name_prefix, state=STATE_NAMES[state] if state else None,
                monitor=monitor,
                include_exited=include_exited)

    actors = _run(go, address)
    if as_json:
        click.echo(json.dumps([summary_json(a) for a in actors], indent=2))
        return
    make_console().print(actor_table(actors))


@main.command()
@address_option
@click.option("--name-prefix", default="", help="Only names starting with this.")
@click.option("--monitor", default="", help="Only workers of this monitor.")
@click.option("--interval", type=click.FloatRange(min=0.1), default=1.0, show_default=True,
              help="Seconds between two refreshes.")
@click.option("--sort", type=click.Choice(["cpu", "memory", "rate", "name"]), default="cpu",
              show_default=True)
@click.option("--once", is_flag=True, help="Print one frame (after two samples) and exit.")
@click.option("--iterations", "-n", type=click.IntRange(min=1), default=None,
              help="Print this many frames and exit.")
def top(address, name_prefix, monitor, interval, sort, once, iterations):
    """A live view of the actors with their message rates; Ctrl-C to leave."""
    from actorgrpc.ops.console import TopSampler, make_console, top_frame

    frames = 1 if once else iterations
    console = make_console()
    live_screen = frames is None and console.is_terminal

    async def go():
        sampler = TopSampler()
        async with _client(address) as client:
            async def frame():
                actors = await client.list_actors(name_prefix=name_prefix, monitor=monitor)
                return top_frame(address, actors, sampler.rates(actors), sort)

            # Rates need two samples: the first frame comes one interval after the first.
            await frame()
            await asyncio.sleep(interval)
            if live_screen:
                from rich.live import Live

                with Live(await frame(), console=console, auto_refresh=False,
                          screen=True) as live:
                    while True:
                        await asyncio.sleep(interval)
                        live.update(await frame(), refresh=True)
            shown = 0
            while frames is None or shown < frames:
                if shown:
                    await asyncio.sleep(interval)
                console.print(await frame())
                shown += 1

    _run(go, address)


# -- spawn, send, info, stop ---------------------------------------------------------

@main.command("spawn")
@address_option
@click.option("--name", default="", help="Unique name (with --count, names get -0, -1, ...).")
@click.option("--kind", type=click.Choice(["process", "thread", "exec"]), default="process")
@click.option("--program", default=None, help="For --kind exec: a registered program's name.")
@click.option("--start", default=None, help="Hook as module:function.")
@click.option("--stopping", default=None, help="Hook as module:function.")
@click.option("--periodic-task", default=None, help="Hook as module:function.")
@click.option("--periodic-interval", type=click.FloatRange(min=0, min_open=True),
              default=None, help="Seconds between two periodic tasks (default 1).")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Seconds without heartbeat before the actor is hung (default 30).")
@click.option("--extra", default=None, help="Initial `extra` as a JSON object.")
@click.option("--count", default=1, show_default=True, type=click.IntRange(min=1),
              help="How many actors to spawn.")
@click.option("--parallel", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Spawns in flight at once (with --count).")
def spawn_command(address, name, kind, program, start, stopping, periodic_task,
                  periodic_interval, timeout, extra, count, parallel):
    """Spawn actors and print their references (one JSON object per line)."""
    from actorgrpc.ops.console import make_console

    params = dict(kind=kind, program=program, start=start, stopping=stopping,
                  periodic_task=periodic_task,
                  periodic_interval=periodic_interval, timeout=timeout,
                  extra=_json_object(extra, "--extra") if extra else None)
    names = [f"{name}-{i}" if name and count > 1 else name for i in range(count)]
    errors = []

    async def go():
        progress = _SpawnProgress(count, make_console(stderr=True))
        gate = asyncio.Semaphore(parallel)

        async def one(index, client):
            async with gate:
                try:
                    proxy = await client.spawn(name=names[index], **params)
                except ActorError as exc:
                    errors.append(exc)
                    progress.advance(failed=True)
                    return None
                progress.advance()
                return proxy

        async with _client(address) as client:
            with progress:
                results = await asyncio.gather(*(one(i, client) for i in range(count)))
        return [r for r in results if r is not None]

    proxies = _run(go, address)
    for proxy in proxies:
        click.echo(json.dumps(proxy.as_dict()))
    if errors:
        if count > 1:
            click.echo(f"spawned {len(proxies)} of {count}; {len(errors)} failed; "
                       "the first error:", err=True)
        _fail(errors[0], address)


class _SpawnProgress:
    """A progress bar on a terminal, "spawned i/N" lines on a pipe; silent for one."""

    def __init__(self, total: int, console):
        self.total = total
        self.console = console
        self.done = self.failed = 0
        self.bar = None
        self.started = time.monotonic()

    def __enter__(self):
        if self.total > 1 and self.console.is_terminal:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

            self.bar = Progress("spawning", BarColumn(), MofNCompleteColumn(),
                                TimeElapsedColumn(), console=self.console, transient=True)
            self.bar.start()
            self.task = self.bar.add_task("spawn", total=self.total)
        return self

    def advance(self, failed: bool = False) -> None:
        self.done += 1
        self.failed += failed
        if self.bar is not None:
            self.bar.advance(self.task)
        elif self.total > 1:
            click.echo(f"spawned {self.done}/{self.total}"
                       + (f" ({self.failed} failed)" if self.failed else ""), err=True)

    def __exit__(self, *exc_info):
        if self.bar is not None:
            self.bar.stop()
        if self.total > 1:
            click.echo(f"{self.done - self.failed}/{self.total} spawned in "
                       f"{time.monotonic() - self.started:.2f} s", err=True)


@main.command("send")
@address_option
@click.argument("target")
@click.argument("action")
@click.argument("args", nargs=-1)
@click.option("--kwargs", default="{}", help="Keyword arguments as a JSON object.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Seconds (default 5).")
def send_command(address, target, action, args, kwargs, timeout):
    """Run ACTION on TARGET; each ARG is JSON (bare words are strings)."""
    parsed = [_json_arg(a) for a in args]
    keyword = _json_object(kwargs, "--kwargs")

    async def go():
        async with _client(address) as client:
            return await client.send_via_arbiter(target, action, *parsed, _timeout=timeout,
                                                 **keyword)

    click.echo(json.dumps(_run(go, address), indent=2))


@main.command("info")
@address_option
@click.argument("target", default="")
@click.option("--json", "output", flag_value="json", help="Print JSON.")
@click.option("--tree", "output", flag_value="tree", help="Print a tree.")
def info_command(address, target, output):
    """Print the info of TARGET (the arbiter when omitted).

    A tree on a terminal, JSON on a pipe, unless --tree or --json says otherwise.
    """
    from actorgrpc.ops.console import info_tree, make_console

    async def go():
        async with _client(address) as client:
            return await client.info(target)

    info = _run(go, address)
    console = make_console()
    if output == "json" or (output is None and not console.is_terminal):
        click.echo(json.dumps(info, indent=2, sort_keys=True))
        return
    actor = info.get("actor", {})
    console.print(info_tree(info, f"{actor.get('name', target)} ({actor.get('aid', '')})"))


@main.command("stop")
@address_option
@click.argument("target")
def stop_command(address, target):
    """Stop TARGET and wait until it has exited."""

    async def go():
        async with _client(address) as client:
            return await client.stop(target)

    code = _run(go, address)
    click.echo(f"stopped {target} (exit code {code})")


# -- logs, watch ---------------------------------------------------------------------

@main.command("logs")
@address_option
@click.argument("target")
@click.option("-n", "--lines", default=100, show_default=True, type=click.IntRange(min=0),
              help="How many of the last lines to print first.")
@click.option("-f", "--follow", is_flag=True, help="Keep printing new lines until the "
              "actor exits (or Ctrl-C).")
def logs_command(address, target, lines, follow):
    """Print the captured output of a process actor (live or recently exited)."""
    from actorgrpc.v1 import arbiter_pb2

    async def go():
        async with _client(address) as client:
            request = arbiter_pb2.LogsRequest(target=target, tail_lines=lines or -1,
                                              follow=follow)
            async for batch in _stream(client.stub.Logs(request, metadata=client.metadata)):
                for line in batch.lines:
                    click.echo(line)
                sys.stdout.flush()

    _run(go, address)


@main.command("watch")
@address_option
@click.option("--name-prefix", default="", help="Only actors whose name starts with this.")
@click.option("--existing", is_flag=True, help="First list live actors (event 'existing').")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per event.")
@click.option("--count", type=click.IntRange(min=1), default=None,
              help="Exit after this many events.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Exit (status 0) after this many seconds.")
def watch_command(address, name_prefix, existing, as_json, count, timeout):
    """Print actors' life-cycle events as they happen (spawned, exited, restarted...)."""
    from google.protobuf import json_format

    from actorgrpc.ops.console import event_line
    from actorgrpc.supervisor.events import event_name
    from actorgrpc.v1 import arbiter_pb2

    async def go():
        seen = 0
        async with _client(address) as client:
            request = arbiter_pb2.WatchActorsRequest(name_prefix=name_prefix,
                                                     include_existing=existing)
            async for event in _stream(client.stub.WatchActors(request,
                                                               metadata=client.metadata)):
                if as_json:
                    data = json_format.MessageToDict(event, preserving_proto_field_name=True)
                    data["type"] = event_name(event.type)
                    click.echo(json.dumps(data))
                else:
                    click.echo(event_line(event))
                sys.stdout.flush()
                seen += 1
                if count is not None and seen >= count:
                    return

    async def bounded():
        try:
            async with asyncio.timeout(timeout):
                await go()
        except TimeoutError:
            pass

    _run(bounded, address)


# -- secrets -------------------------------------------------------------------------

@main.group()
def secrets():
    """Credentials for an arbiter."""


@secrets.command("init")
@click.argument("folder", type=click.Path(file_okay=False))
@click.option("--host", "hosts", multiple=True, metavar="NAME",
              help="A name or address clients use to reach the arbiter (repeatable); "
                   "localhost and 127.0.0.1 are always in the certificate.")
def secrets_init(folder, hosts):
    """Make FOLDER/tokens and a self-signed FOLDER/tls.crt + tls.key, unless present."""
    try:
        from actorgrpc.ops.provision import init_secrets
    except ImportError as exc:
        raise click.ClickException(f"needs the ops extra (pip install 'actorgrpc[ops]'): "
                                   f"{exc}") from None
    created = init_secrets(folder, list(hosts))
    for name in created:
        click.echo(f"created {os.path.join(folder, name)}")
    if not created:
        click.echo(f"{folder} already holds tokens and a certificate; nothing to do")


@main.command("bench", context_settings={"ignore_unknown_options": True,
                                        "allow_extra_args": True})
@click.pass_context
def bench(context):
    """Run the benchmark (a development tool: from a checkout, `make bench`)."""
    import pathlib

    folder = pathlib.Path(__file__).resolve().parents[2] / "bench"
    if not (folder / "actorgrpc_bench").is_dir():
        raise click.ClickException("the benchmark is a development tool that is not "
                                   "installed with the package: run it from a checkout "
                                   "of the repository (make bench)")
    sys.path.insert(0, str(folder))
    from actorgrpc_bench.cli import bench_command

    bench_command.main(context.args, prog_name="actorgrpc bench",
                       standalone_mode=True)
