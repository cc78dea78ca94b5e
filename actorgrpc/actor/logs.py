"""Logging set-up: one logger tree ("actorgrpc"), text for people or JSON for machines."""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Callable

from actorgrpc.actor.context import get_actor


class _ActorFilter(logging.Filter):
    """Adds the aid and name of the actor a line is about to every record.

    That is the current actor, unless the call names another one: the arbiter's
    lines about an actor it supervises pass ``extra={"actor": record}`` (anything
    with ``aid`` and ``name``), so they carry that actor's identity, not the
    arbiter's, and ``grep aid`` finds every line about it in both formats.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        actor = getattr(record, "actor", None)
        if getattr(actor, "aid", None) is None:
            actor = get_actor()
        record.aid = getattr(actor, "aid", "-")
        record.actor_name = getattr(actor, "name", "-")
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        data = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "pid": record.process,
            "aid": getattr(record, "aid", "-"),
            "actor": getattr(record, "actor_name", "-"),
            "message": record.getMessage(),
        }
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data)


class TextFormatter(logging.Formatter):
    """Text lines that user text cannot forge: a message's own line breaks (a
    command's error text, a traceback) continue on lines indented by CONTINUATION,
    so every line that starts without it was written by this formatter."""

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        if "\n" in text or "\r" in text:
            text = text.replace("\r", "\\r").replace("\n", "\n" + CONTINUATION)
        return text


#: The start of every continuation line of a text log entry.
CONTINUATION = "    | "

TEXT_FORMAT = ("%(asctime)s %(levelname)-7s %(actor_name)s(%(aid)s) pid=%(process)d "
               "%(name)s: %(message)s")


def configure_logging(level: str = "INFO", fmt: str = "text") -> None:
    """Send actorgrpc's logs to stderr in the chosen format."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_ActorFilter())
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter(TEXT_FORMAT))
    root = logging.getLogger("actorgrpc")
    root.handlers[:] = [handler]
    root.setLevel(level.upper() if isinstance(level, str) else level)
    root.propagate = False


class ErrorLogBudget:
    """How many command errors one actor logs in full: a client that makes commands
    fail (tells of a command that raises, with long messages) must not be able to
    fill the disk through the log. Up to ``burst`` errors per ``window`` seconds are
    logged with their traceback; the rest are counted and reported in one line when
    the next window opens."""

    def __init__(self, burst: int = 20, window: float = 10.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.burst = burst
        self.window = window
        self.clock = clock
        self.window_start = -window
        self.logged = 0
        self.suppressed = 0

    def allow(self) -> tuple[bool, int]:
        """(log this one?, errors suppressed in the window that just closed)."""
        now = self.clock()
        reported = 0
        if now - self.window_start >= self.window:
            reported, self.suppressed = self.suppressed, 0
            self.window_start, self.logged = now, 0
        if self.logged < self.burst:
            self.logged += 1
            return True, reported
        self.suppressed += 1
        return False, reported


#: Characters of an error's message that a log line keeps.
MAX_LOGGED_MESSAGE = 2000


def clipped(text: str) -> str:
    """``text`` cut to MAX_LOGGED_MESSAGE characters, saying so."""
    if len(text) <= MAX_LOGGED_MESSAGE:
        return text
    return f"{text[:MAX_LOGGED_MESSAGE]}... ({len(text) - MAX_LOGGED_MESSAGE} more characters)"
