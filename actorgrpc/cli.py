"""The ``actorgrpc`` command line: ``serve`` runs an arbiter, the rest talk to one."""

from __future__ import annotations

import asyncio
import json
import os
import sys

import click

from .consts import ACTOR_STATES, DEFAULT_BIND, DEFAULT_MAX_MESSAGE_BYTES
from .errors import ActorError

ADDRESS_ENV = "ACTORGRPC_ADDRESS"

#: Exit codes of the client subcommands.
EXIT_ERROR = 1
EXIT_UNREACHABLE = 2
EXIT_NOT_FOUND = 3
EXIT_UNIMPLEMENTED = 4


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="actorgrpc")
def main():
    """actorgrpc: a supervised actor service over gRPC."""


@main.command()
@click.option("--bind", default=DEFAULT_BIND, show_default=True,
              help="HOST:PORT to serve on (port 0 picks a free port).")
@click.option("-m", "--module", "modules", multiple=True,
              help="Module whose @commands and hooks actors may use (repeatable).")
@click.option("--start", default=None, help="Arbiter start hook, as module:function.")
@click.option("--monitor", "monitors", multiple=True, metavar="NAME=N",
              help="Add a monitor keeping N process workers alive (repeatable).")
@click.option("--run-dir", default=None, help="Folder for actor logs (default: a temp dir).")
@click.option("--max-message-bytes", default=DEFAULT_MAX_MESSAGE_BYTES, show_default=True,
              type=int, help="Largest message accepted or sent.")
@click.option("--log-level", default="INFO", show_default=True)
@click.option("--log-format", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
def serve(bind, modules, start, monitors, run_dir, max_message_bytes, log_level, log_format):
    """Run an arbiter until SIGTERM or SIGINT."""
    from .arbiter import Arbiter
    from .logs import configure_logging
    from .server import BindError

    configure_logging(log_level, log_format)
    sys.path.insert(0, os.getcwd()) if os.getcwd() not in sys.path else None
    arb = Arbiter(bind=bind, modules=modules, start=start, run_dir=run_dir,
                  max_message_bytes=max_message_bytes, announce=True,
                  log_level=log_level, log_format=log_format)
    for item in monitors:
        name, _, count = item.partition("=")
        if not name or not count.isdigit():
            raise click.BadParameter(f"expected NAME=N, got {item!r}", param_hint="--monitor")
        arb.add_monitor(name, num_workers=int(count))
    try:
        code = arb.start()
    except BindError as exc:
        raise click.ClickException(str(exc)) from None
    except ActorError as exc:
        raise click.ClickException(f"{type(exc).__name__}: {exc}") from None
    sys.exit(code)


def address_option(fn):
    return click.option("--address", envvar=ADDRESS_ENV, default="127.0.0.1:7070",
                        show_default=True,
                        help=f"The arbiter's HOST:PORT (or ${ADDRESS_ENV}).")(fn)


def _run(coroutine_factory):
    """Run a client coroutine; turn errors into messages and exit codes."""
    from .errors import ActorNotFound, ActorUnavailable, CommandNotFound

    try:
        return asyncio.run(coroutine_factory())
    except ActorUnavailable as exc:
        click.echo(f"error: arbiter unreachable or actor unavailable: {exc}", err=True)
        sys.exit(EXIT_UNREACHABLE)
    except ActorNotFound as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_NOT_FOUND)
    except CommandNotFound as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_UNIMPLEMENTED)
    except ActorError as exc:
        click.echo(f"error: {type(exc).__name__}: {exc}", err=True)
        sys.exit(EXIT_ERROR)


def _client(address):
    from .client import connect

    return connect(address)


@main.command()
@address_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--all", "include_exited", is_flag=True, help="Include exited actors.")
def ps(address, as_json, include_exited):
    """List actors."""
    from google.protobuf import json_format

    async def go():
        async with _client(address) as client:
            return await client.list_actors(include_exited=include_exited)

    actors = _run(go)
    if as_json:
        click.echo(json.dumps([json_format.MessageToDict(a, preserving_proto_field_name=True)
                               for a in actors], indent=2))
        return
    header = f"{'AID':<14}{'NAME':<22}{'KIND':<9}{'STATE':<11}{'PID':>8}{'UPTIME':>10}" \
             f"{'RESTARTS':>10}{'RSS MB':>9}{'CPU%':>7}{'BEAT':>7}"
    click.echo(header)
    for a in actors:
        click.echo(f"{a.actor.aid:<14}{a.actor.name[:21]:<22}{a.kind:<9}"
                   f"{ACTOR_STATES.DESCRIPTION[a.actor.state]:<11}{a.pid:>8}"
                   f"{a.uptime_seconds:>9.1f}s{a.restarts:>10}"
                   f"{a.memory_rss_bytes / 1e6:>9.1f}{a.cpu_percent:>7.1f}"
                   f"{a.heartbeat_age_seconds:>6.1f}s")


@main.command("spawn")
@address_option
@click.option("--name", default="")
@click.option("--kind", type=click.Choice(["process", "thread"]), default="process")
@click.option("--start", default=None, help="Hook as module:function.")
@click.option("--stopping", default=None, help="Hook as module:function.")
@click.option("--periodic-task", default=None, help="Hook as module:function.")
@click.option("--count", default=1, show_default=True, help="How many (names get -N).")
def spawn_command(address, name, kind, start, stopping, periodic_task, count):
    """Spawn actors and print their references."""

    async def go():
        async with _client(address) as client:
            proxies = []
            for index in range(count):
                actor_name = f"{name}-{index}" if name and count > 1 else name
                proxies.append(await client.spawn(name=actor_name, kind=kind, start=start,
                                                  stopping=stopping,
                                                  periodic_task=periodic_task))
                if count > 1:
                    click.echo(f"\rspawned {index + 1}/{count}", nl=False, err=True)
            if count > 1:
                click.echo("", err=True)
            return proxies

    for proxy in _run(go):
        click.echo(json.dumps(proxy.as_dict()))


@main.command("send")
@address_option
@click.argument("target")
@click.argument("action")
@click.argument("args", nargs=-1)
@click.option("--kwargs", default="{}", help="Keyword arguments as a JSON object.")
@click.option("--timeout", type=float, default=None, help="Seconds (default 5).")
def send_command(address, target, action, args, kwargs, timeout):
    """Run ACTION on TARGET; each ARG is JSON (bare words are strings)."""
    parsed = [_json_arg(a) for a in args]
    try:
        keyword = json.loads(kwargs)
    except json.JSONDecodeError as exc:
        raise click.BadParameter(f"not JSON: {exc}", param_hint="--kwargs") from None

    async def go():
        async with _client(address) as client:
            return await client.send_via_arbiter(target, action, *parsed, _timeout=timeout,
                                                 **keyword)

    click.echo(json.dumps(_run(go), indent=2))


def _json_arg(text: str):
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


@main.command("info")
@address_option
@click.argument("target", default="")
def info_command(address, target):
    """Print the info of TARGET (the arbiter when omitted)."""

    async def go():
        async with _client(address) as client:
            return await client.info(target)

    click.echo(json.dumps(_run(go), indent=2, sort_keys=True))


@main.command("stop")
@address_option
@click.argument("target")
def stop_command(address, target):
    """Stop TARGET and wait until it has exited."""

    async def go():
        async with _client(address) as client:
            return await client.stop(target)

    code = _run(go)
    click.echo(f"stopped {target} (exit code {code})")
