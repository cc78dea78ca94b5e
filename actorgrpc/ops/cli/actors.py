"""The client commands: ps, top, spawn, send, info, stop, logs, watch."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from types import TracebackType
from typing import TYPE_CHECKING, Any

import click

from actorgrpc.contract.enums import state_name, wire_state_name
from actorgrpc.contract.errors import ActorError
from actorgrpc.ops.cli.common import (
    SECONDS,
    STATE_NAMES,
    SecondsType,
    address_option,
    client_for,
    fail,
    filter_options,
    json_arg,
    json_object,
    run_client,
    stream_of,
)

if TYPE_CHECKING:
    from rich.console import Console, Group
    from rich.progress import Progress, TaskID

    from actorgrpc.client.connect import Client
    from actorgrpc.contract.proxy import ActorProxy
    from actorgrpc.v1.actor_pb2 import ActorSummary


@click.command()
@address_option
@filter_options
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--all", "include_exited", is_flag=True, help="Include exited actors.")
def ps(address: str, name_prefix: str, state: str | None, monitor: str, as_json: bool,
       include_exited: bool) -> None:
    """List actors: aid, name, kind, state, pid, uptime, restarts, memory, cpu, beat."""
    from actorgrpc.ops.console import actor_table, make_console
    from actorgrpc.supervisor.summaries import summary_json

    async def go() -> list[ActorSummary]:
        async with client_for(address) as client:
            return await client.list_actors(
                name_prefix=name_prefix, state=STATE_NAMES[state] if state else None,
                monitor=monitor,
                include_exited=include_exited)

    actors = run_client(go, address)
    if as_json:
        click.echo(json.dumps([summary_json(a) for a in actors], indent=2))
        return
    make_console().print(actor_table(actors))


@click.command()
@address_option
@click.option("--name-prefix", default="", help="Only names starting with this.")
@click.option("--monitor", default="", help="Only workers of this monitor.")
@click.option("--interval", type=SecondsType(minimum=0.1), default=1.0, show_default=True,
              help="Seconds between two refreshes.")
@click.option("--sort", type=click.Choice(["cpu", "memory", "rate", "name"]), default="cpu",
              show_default=True)
@click.option("--once", is_flag=True, help="Print one frame (after two samples) and exit.")
@click.option("--iterations", "-n", type=click.IntRange(min=1), default=None,
              help="Print this many frames and exit.")
def top(address: str, name_prefix: str, monitor: str, interval: float, sort: str, once: bool,
        iterations: int | None) -> None:
    """A live view of the actors with their message rates; Ctrl-C to leave."""
    from actorgrpc.ops.console import TopSampler, make_console, top_frame

    frames = 1 if once else iterations
    console = make_console()
    live_screen = frames is None and console.is_terminal

    async def go() -> None:
        sampler = TopSampler()
        async with client_for(address) as client:
            async def frame() -> Group:
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

    run_client(go, address)


# -- spawn, send, info, stop ---------------------------------------------------------

@click.command("spawn")
@address_option
@click.option("--name", default="", help="Unique name (with --count, names get -0, -1, ...).")
@click.option("--kind", type=click.Choice(["process", "thread", "exec"]), default="process")
@click.option("--program", default=None, help="For --kind exec: a registered program's name.")
@click.option("--start", default=None, help="Hook as module:function.")
@click.option("--stopping", default=None, help="Hook as module:function.")
@click.option("--periodic-task", default=None, help="Hook as module:function.")
@click.option("--periodic-interval", type=SECONDS,
              default=None, help="Seconds between two periodic tasks (default 1).")
@click.option("--timeout", type=SECONDS, default=None,
              help="Seconds without heartbeat before the actor is hung (default 30).")
@click.option("--extra", default=None, help="Initial `extra` as a JSON object.")
@click.option("--count", default=1, show_default=True, type=click.IntRange(min=1),
              help="How many actors to spawn.")
@click.option("--parallel", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Spawns in flight at once (with --count).")
def spawn_command(address: str, name: str, kind: str, program: str | None, start: str | None,
                  stopping: str | None, periodic_task: str | None,
                  periodic_interval: float | None, timeout: float | None, extra: str | None,
                  count: int, parallel: int) -> None:
    """Spawn actors and print their references (one JSON object per line)."""
    from actorgrpc.ops.console import make_console

    params: dict[str, Any] = dict(kind=kind, program=program, start=start, stopping=stopping,
                  periodic_task=periodic_task,
                  periodic_interval=periodic_interval, timeout=timeout,
                  extra=json_object(extra, "--extra") if extra else None)
    names = [f"{name}-{i}" if name and count > 1 else name for i in range(count)]
    errors: list[ActorError] = []

    async def go() -> list[ActorProxy]:
        progress = _SpawnProgress(count, make_console(stderr=True))
        gate = asyncio.Semaphore(parallel)

        async def one(index: int, client: Client) -> ActorProxy | None:
            async with gate:
                try:
                    proxy = await client.spawn(name=names[index], **params)
                except ActorError as exc:
                    errors.append(exc)
                    progress.advance(failed=True)
                    return None
                progress.advance()
                return proxy

        async with client_for(address) as client:
            with progress:
                results = await asyncio.gather(*(one(i, client) for i in range(count)))
        return [r for r in results if r is not None]

    proxies = run_client(go, address)
    for proxy in proxies:
        # The state by its name, as ps, grpcurl and the other clients show it.
        click.echo(json.dumps({**proxy.as_dict(), "state": state_name(proxy.state)}))
    if errors:
        if count > 1:
            click.echo(f"spawned {len(proxies)} of {count}; {len(errors)} failed; "
                       "the first error:", err=True)
        fail(errors[0], address)


class _SpawnProgress:
    """A progress bar on a terminal, "spawned i/N" lines on a pipe; silent for one."""

    def __init__(self, total: int, console: Console) -> None:
        self.total = total
        self.console = console
        self.done = self.failed = 0
        self.bar: Progress | None = None
        self.started = time.monotonic()

    def __enter__(self) -> _SpawnProgress:
        if self.total > 1 and self.console.is_terminal:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

            self.bar = Progress("spawning", BarColumn(), MofNCompleteColumn(),
                                TimeElapsedColumn(), console=self.console, transient=True)
            self.bar.start()
            self.task: TaskID = self.bar.add_task("spawn", total=self.total)
        return self

    def advance(self, failed: bool = False) -> None:
        self.done += 1
        self.failed += failed
        if self.bar is not None:
            self.bar.advance(self.task)
        elif self.total > 1:
            click.echo(f"spawned {self.done}/{self.total}"
                       + (f" ({self.failed} failed)" if self.failed else ""), err=True)

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        if self.bar is not None:
            self.bar.stop()
        if self.total > 1:
            click.echo(f"{self.done - self.failed}/{self.total} spawned in "
                       f"{time.monotonic() - self.started:.2f} s", err=True)


@click.command("send")
@address_option
@click.argument("target")
@click.argument("action")
@click.argument("args", nargs=-1)
@click.option("--kwargs", default="{}", help="Keyword arguments as a JSON object.")
@click.option("--timeout", type=SECONDS, default=None,
              help="Seconds (default 5).")
def send_command(address: str, target: str, action: str, args: tuple[str, ...], kwargs: str,
                 timeout: float | None) -> None:
    """Run ACTION on TARGET; each ARG is JSON (bare words are strings)."""
    parsed = [json_arg(a) for a in args]
    keyword = json_object(kwargs, "--kwargs")

    async def go() -> Any:
        async with client_for(address) as client:
            return await client.send_via_arbiter(target, action, *parsed, _timeout=timeout,
                                                 **keyword)

    click.echo(json.dumps(run_client(go, address), indent=2))


@click.command("info")
@address_option
@click.argument("target", default="")
@click.option("--json", "output", flag_value="json", help="Print JSON.")
@click.option("--tree", "output", flag_value="tree", help="Print a tree.")
def info_command(address: str, target: str, output: str | None) -> None:
    """Print the info of TARGET (the arbiter when omitted).

    A tree on a terminal, JSON on a pipe, unless --tree or --json says otherwise.
    """
    from actorgrpc.ops.console import info_tree, make_console

    async def go() -> dict[str, Any]:
        async with client_for(address) as client:
            return await client.info(target)

    info = run_client(go, address)
    console = make_console()
    if output == "json" or (output is None and not console.is_terminal):
        click.echo(json.dumps(info, indent=2, sort_keys=True))
        return
    actor = info.get("actor", {})
    console.print(info_tree(info, f"{actor.get('name', target)} ({actor.get('aid', '')})"))


@click.command("stop")
@address_option
@click.argument("target")
def stop_command(address: str, target: str) -> None:
    """Stop TARGET and wait until it has exited."""

    async def go() -> int:
        async with client_for(address) as client:
            return await client.stop(target)

    code = run_client(go, address)
    click.echo(f"stopped {target} (exit code {code})")


# -- logs, watch ---------------------------------------------------------------------

@click.command("logs")
@address_option
@click.argument("target")
@click.option("-n", "--lines", default=100, show_default=True, type=click.IntRange(min=0),
              help="How many of the last lines to print first.")
@click.option("-f", "--follow", is_flag=True, help="Keep printing new lines until the "
              "actor exits (or Ctrl-C).")
def logs_command(address: str, target: str, lines: int, follow: bool) -> None:
    """Print the captured output of a process actor (live or recently exited)."""
    from actorgrpc.v1 import arbiter_pb2

    async def go() -> None:
        async with client_for(address) as client:
            request = arbiter_pb2.LogsRequest(target=target, tail_lines=lines or -1,
                                              follow=follow)
            async for batch in stream_of(client.stub.Logs(request, metadata=client.metadata)):
                for line in batch.lines:
                    click.echo(line)
                sys.stdout.flush()

    run_client(go, address)


@click.command("watch")
@address_option
@click.option("--name-prefix", default="", help="Only actors whose name starts with this.")
@click.option("--existing", is_flag=True, help="First list live actors (event 'existing').")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per event.")
@click.option("--count", type=click.IntRange(min=1), default=None,
              help="Exit after this many events.")
@click.option("--timeout", type=SECONDS, default=None,
              help="Exit (status 0) after this many seconds.")
def watch_command(address: str, name_prefix: str, existing: bool, as_json: bool,
                  count: int | None, timeout: float | None) -> None:
    """Print actors' life-cycle events as they happen (spawned, exited, restarted...)."""
    from google.protobuf import json_format

    from actorgrpc.ops.console import event_line
    from actorgrpc.supervisor.events import event_name
    from actorgrpc.v1 import arbiter_pb2

    async def go() -> None:
        seen = 0
        async with client_for(address) as client:
            request = arbiter_pb2.WatchActorsRequest(name_prefix=name_prefix,
                                                     include_existing=existing)
            async for event in stream_of(client.stub.WatchActors(request,
                                                               metadata=client.metadata)):
                if as_json:
                    data = json_format.MessageToDict(event, preserving_proto_field_name=True)
                    data["type"] = event_name(event.type)
                    ref = data.get("actor", {}).get("actor")
                    if ref is not None:
                        ref["state"] = wire_state_name(event.actor.actor.state)
                    click.echo(json.dumps(data))
                else:
                    click.echo(event_line(event))
                sys.stdout.flush()
                seen += 1
                if count is not None and seen >= count:
                    return

    async def bounded() -> None:
        try:
            async with asyncio.timeout(timeout):
                await go()
        except TimeoutError:
            pass

    run_client(bounded, address)
