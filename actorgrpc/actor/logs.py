"""Logging set-up: one logger tree ("actorgrpc"), text for people or JSON for machines."""

from __future__ import annotations

import json
import logging
import sys
import time

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


TEXT_FORMAT = ("%(asctime)s %(levelname)-7s %(actor_name)s(%(aid)s) pid=%(process)d "
               "%(name)s: %(message)s")


def configure_logging(level: str = "INFO", fmt: str = "text") -> None:
    """Send actorgrpc's logs to stderr in the chosen format."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_ActorFilter())
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger("actorgrpc")
    root.handlers[:] = [handler]
    root.setLevel(level.upper() if isinstance(level, str) else level)
    root.propagate = False
