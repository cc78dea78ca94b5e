"""Rendering for the operator commands: ``ps`` tables, ``info`` trees, ``top`` frames.

Kept apart from cli.py so the command line only parses options and makes calls,
and so the rendering (pure functions of ActorSummary messages) is testable
without an arbiter. Uses rich; on a pipe it prints plain text with no colours.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rich import box
from rich.console import Console, Group
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from actorgrpc.contract.enums import kind_from_wire, wire_state_name

if TYPE_CHECKING:
    from actorgrpc.v1 import arbiter_pb2
    from actorgrpc.v1.actor_pb2 import ActorSummary

#: Columns of ``ps`` and ``top``, in order.
PS_COLUMNS = ("AID", "NAME", "KIND", "STATE", "PID", "UPTIME", "RESTARTS", "MEMORY",
              "CPU%", "BEAT")

STATE_STYLES = {"running": "green", "starting": "yellow", "inactive": "yellow",
                "initial": "yellow", "stopping": "magenta", "closed": "dim",
                "terminated": "red"}


def make_console(stderr: bool = False) -> Console:
    """A console that is wide enough on a pipe (rich would assume 80 columns)."""
    stream = sys.stderr if stderr else sys.stdout
    width = None
    if not stream.isatty():
        width = int(os.environ.get("COLUMNS", "0") or 0) or 160
    return Console(file=stream, width=width, highlight=False, soft_wrap=False)


def state_name(state: int) -> str:
    """The name of a wire state ("running")."""
    return wire_state_name(state)


def human_bytes(count: float) -> str:
    if not count:
        return "-"
    for unit in ("B", "KiB", "MiB", "GiB"):
        if count < 1024 or unit == "GiB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024
    return f"{count:.1f} GiB"  # pragma: no cover


def human_seconds(seconds: float) -> str:
    """1.5s, 12m03s, 3h05m, 2d04h: short enough for a column."""
    if seconds <= 0:
        return "-"
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h{minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d{hours:02d}h"


def summary_row(summary: ActorSummary) -> list[str]:
    """One ``ps`` row of an ActorSummary message."""
    kind = kind_from_wire(summary.kind, "?")
    process_like = kind in ("process", "exec")
    return [
        summary.actor.aid, summary.actor.name, kind, state_name(summary.actor.state),
        str(summary.pid or "-"), human_seconds(summary.uptime_seconds),
        str(summary.restarts), human_bytes(summary.memory_rss_bytes),
        f"{summary.cpu_percent:.1f}" if process_like else "-",
        human_seconds(summary.heartbeat_age_seconds) if process_like else "-",
    ]


def actor_table(summaries: Iterable[ActorSummary],
                extra_columns: dict[str, list[str]] | None = None,
                title: str | None = None) -> Table:
    """The ``ps`` table; ``extra_columns`` maps a header to one value per summary."""
    table = Table(box=box.SIMPLE_HEAD, title=title, title_justify="left", pad_edge=False,
                  show_edge=False)
    numeric = {"PID", "UPTIME", "RESTARTS", "MEMORY", "CPU%", "BEAT"}
    for column in PS_COLUMNS:
        table.add_column(column, justify="right" if column in numeric else "left",
                         no_wrap=True, overflow="ellipsis",
                         max_width=28 if column == "NAME" else None)
    extra_columns = extra_columns or {}
    for header in extra_columns:
        table.add_column(header, justify="right", no_wrap=True)
    for index, summary in enumerate(summaries):
        row: list[Any] = summary_row(summary)
        row[3] = Text(row[3], style=STATE_STYLES.get(row[3], ""))
        table.add_row(*row, *(values[index] for values in extra_columns.values()))
    return table


def info_tree(data: object, label: str) -> Tree:
    """A nested dictionary as a tree: tables as branches, scalars as leaves."""
    tree = Tree(Text(label, style="bold"))
    _fill_tree(tree, data)
    return tree


def _fill_tree(node: Tree, value: object) -> None:
    if isinstance(value, dict):
        for key in sorted(value):
            item = value[key]
            if isinstance(item, (dict, list)) and item:
                _fill_tree(node.add(Text(str(key), style="bold cyan")), item)
            else:
                node.add(Text.assemble((f"{key}: ", "cyan"), _scalar(item)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, (dict, list)) and item:
                _fill_tree(node.add(Text(f"[{index}]", style="cyan")), item)
            else:
                node.add(_scalar(item))


def _scalar(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dict, list)):
        return "{}" if isinstance(value, dict) else "[]"
    return str(value)


@dataclass
class TopSampler:
    """Turns successive ListActors pages into per-actor message rates for ``top``.

    A rate needs two samples of the same aid; a restarted actor (new aid) starts
    over, so its counter reset is never shown as a negative rate.
    """

    previous: dict[str, int] = field(default_factory=dict)
    previous_time: float | None = None

    def rates(self, summaries: Iterable[ActorSummary],
              now: float | None = None) -> dict[str, float | None]:
        now = time.monotonic() if now is None else now
        elapsed = now - self.previous_time if self.previous_time is not None else 0.0
        current: dict[str, int] = {}
        rates: dict[str, float | None] = {}
        for summary in summaries:
            processed = processed_of(summary)
            current[summary.actor.aid] = processed
            before = self.previous.get(summary.actor.aid)
            rates[summary.actor.aid] = (max(0.0, (processed - before) / elapsed)
                                        if before is not None and elapsed > 0 else None)
        self.previous, self.previous_time = current, now
        return rates


def processed_of(summary: ActorSummary) -> int:
    """Commands processed, from its last heartbeat."""
    return summary.processed


def mailbox_of(summary: ActorSummary) -> int:
    return summary.mailbox_depth


#: ``top --sort``: a summary and the rates by aid → its sort key.
SORT_KEYS: dict[str, Callable[[ActorSummary, dict[str, float | None]], tuple[Any, ...]]] = {
    "name": lambda s, r: (s.actor.name,),
    "cpu": lambda s, r: (-s.cpu_percent, s.actor.name),
    "memory": lambda s, r: (-s.memory_rss_bytes, s.actor.name),
    "rate": lambda s, r: (-(r.get(s.actor.aid) or 0.0), s.actor.name),
}


def top_frame(address: str, summaries: Sequence[ActorSummary],
              rates: dict[str, float | None], sort: str = "cpu") -> Group:
    """One screen of ``top``: a header line and the table with MSG/S and MAILBOX."""
    summaries = sorted(summaries, key=lambda s: SORT_KEYS[sort](s, rates))
    states: dict[str, int] = {}
    for summary in summaries:
        states[state_name(summary.actor.state)] = states.get(
            state_name(summary.actor.state), 0) + 1
    total_rate = sum(rate for rate in rates.values() if rate)
    total_rss = sum(s.memory_rss_bytes for s in summaries)
    header = Text.assemble(
        ("actorgrpc top", "bold"), f" — {address} — {time.strftime('%H:%M:%S')} — ",
        f"{len(summaries)} actors (" + ", ".join(f"{n} {k}" for k, n in sorted(states.items()))
        + f") — {total_rate:.1f} msg/s — {human_bytes(total_rss)} RSS")
    table = actor_table(summaries, {
        "MSG/S": ["-" if rates.get(s.actor.aid) is None else f"{rates[s.actor.aid]:.1f}"
                  for s in summaries],
        "MAILBOX": [str(mailbox_of(s)) for s in summaries],
        "PROCESSED": [str(processed_of(s)) for s in summaries],
    })
    return Group(header, table)


def event_line(event: arbiter_pb2.WatchActorsResponse) -> str:
    """One ``watch`` line: time, event, name(aid), state, detail."""
    from actorgrpc.supervisor.events import event_name

    seconds = event.time.ToNanoseconds() / 1e9
    stamp = time.strftime("%H:%M:%S", time.localtime(seconds)) + \
        f".{int((seconds % 1) * 1000):03d}"
    actor = event.actor.actor
    parts = [stamp, f"{event_name(event.type):<9}", f"{actor.name}({actor.aid})",
             state_name(actor.state)]
    if event.detail:
        parts.append(event.detail)
    return "  ".join(parts)
