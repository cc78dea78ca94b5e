"""The dashboard's HTTP routes and its once-a-second sampling of message rates."""

from __future__ import annotations

import asyncio
import logging
import time
from importlib import resources

from .. import log_files
from ..consts import ACTOR_STATES, OWN_PROCESS_KINDS
from ..errors import ActorError, ActorNotFound
from ..events import event_name
from ..http_server import HttpServer, Request, Response
from ..summaries import summary_json, summary_of
from ..supervision import ActorProxyMonitor
from .rates import RateTracker

logger = logging.getLogger("actorgrpc.dashboard")

#: Seconds between two samples of the message counters (one chart point each).
SAMPLE_INTERVAL = 1.0
#: Seconds the dashboard waits for an actor's own ``info`` before showing without it.
INFO_TIMEOUT = 2.0
#: Event types shown as the restart history.
HISTORY_TYPES = ("exited", "restarted", "hung", "failed", "gave_up")

STATIC_FILES = {
    "/": ("index.html", "text/html; charset=utf-8"),
    "/index.html": ("index.html", "text/html; charset=utf-8"),
    "/static/app.js": ("app.js", "text/javascript; charset=utf-8"),
    "/static/style.css": ("style.css", "text/css; charset=utf-8"),
}


def summary_dict(summary) -> dict:
    """An ActorSummary as JSON, with the state's name at the top level too."""
    data = summary_json(summary)
    data["state"] = data["actor"]["state"]
    return data


def event_dict(event) -> dict:
    actor = event.actor.actor
    return {"type": event_name(event.type), "time": event.time.ToNanoseconds() / 1e9,
            "detail": event.detail,
            "aid": actor.aid, "name": actor.name, "restarts": event.actor.restarts,
            "monitor": event.actor.monitor}


class DashboardPlugin:
    """Serves the dashboard for one arbiter; pass it in ``Arbiter(plugins=[...])``."""

    def __init__(self, port: int = 0, host: str = "127.0.0.1"):
        self.http = HttpServer(self.handle, host, port)
        self.rates = RateTracker()
        self.arbiter = None
        self._sampler: asyncio.Task | None = None
        self._static: dict[str, bytes] = {}

    @property
    def url(self) -> str:
        return f"{self.http.url}/"

    async def start(self, arbiter) -> None:
        self.arbiter = arbiter
        folder = resources.files(__package__) / "static"
        self._static = {name: (folder / name).read_bytes()
                        for name, _ in STATIC_FILES.values()}
        self._sampler = asyncio.ensure_future(self._sample_forever())
        await self.http.start()
        arbiter.extra["dashboard_url"] = self.url
        logger.info("dashboard on %s", self.url)

    async def stop(self) -> None:
        if self._sampler is not None:
            self._sampler.cancel()
        await self.http.stop()

    async def _sample_forever(self) -> None:
        while True:
            self.rates.sample(list(self.arbiter.registry.live.values()))
            await asyncio.sleep(SAMPLE_INTERVAL)

    # -- routes -------------------------------------------------------------------

    async def handle(self, request: Request) -> Response:
        if request.path in STATIC_FILES:
            name, content_type = STATIC_FILES[request.path]
            return Response(self._static[name], 200, content_type)
        parts = [p for p in request.path.split("/") if p]
        if parts[:1] != ["api"]:
            return Response.error(404, f"no page {request.path!r}")
        route = parts[1:]
        if route == ["overview"]:
            return Response.json(self.overview())
        if route == ["actors"]:
            return Response.json(self.actors(include_exited=request.arg("all") == "1"))
        if route == ["events"]:
            return Response.json(self.events(request.arg("types"), _int(request.arg("n"), 200)))
        if route == ["rates"]:
            return Response.json({"interval": SAMPLE_INTERVAL, "window": self.rates.window,
                                  "points": self.rates.points()})
        if len(route) == 2 and route[0] == "actors":
            return await self.actor(route[1], _int(request.arg("n"), 50))
        if len(route) == 3 and route[0] == "actors" and route[2] == "logs":
            return self.logs(route[1], _int(request.arg("n"), 100))
        return Response.error(404, f"no endpoint {request.path!r}")

    def overview(self) -> dict:
        arbiter = self.arbiter
        live = list(arbiter.registry.live.values())
        states: dict[str, int] = {}
        for record in live:
            name = ACTOR_STATES.DESCRIPTION.get(record.state, "unknown")
            states[name] = states.get(name, 0) + 1
        points = self.rates.points()
        return {"name": arbiter.name, "address": arbiter.address, "pid": _pid(),
                "uptime": time.time() - arbiter.started_at if arbiter.started_at else 0.0,
                "actors": len(live), "states": states,
                "monitors": {name: {"num_workers": m.num_workers, "workers": len(m.workers)}
                             for name, m in arbiter.monitors.items()},
                "messages_per_second": points[-1][1] if points else 0.0,
                "time": time.time()}

    def actors(self, include_exited: bool = False) -> list:
        registry = self.arbiter.registry
        records = list(registry.live.values())
        if include_exited:
            records += list(registry.exited.values())
        rows = []
        for record in sorted(records, key=lambda r: (r.name, r.created_at)):
            row = summary_dict(summary_of(record))
            row["rate"] = round(self.rates.actor_rates.get(record.aid, 0.0), 3)
            rows.append(row)
        return rows

    def events(self, types: str = "", limit: int = 200) -> list:
        wanted = set(filter(None, types.split(","))) if types else None
        selected = [event_dict(e) for e in self.arbiter.events.history
                    if wanted is None or event_name(e.type) in wanted]
        return selected[-limit:][::-1] if limit > 0 else []

    async def actor(self, target: str, lines: int) -> Response:
        try:
            record = self.arbiter.registry.find_any(target)
        except ActorNotFound as exc:
            return Response.error(404, str(exc))
        if not isinstance(record, ActorProxyMonitor):
            # The arbiter and its monitors: their info is local and cheap.
            return Response.json({"summary": None, "info": record.info(), "logs": [],
                                  "events": [], "info_error": ""})
        info, info_error = {}, ""
        if record.is_alive() and record.state == ACTOR_STATES.RUN:
            try:
                info = await self.arbiter.router.send(record.proxy, "info",
                                                      timeout=INFO_TIMEOUT)
            except ActorError as exc:
                info_error = f"{type(exc).__name__}: {exc}"
        history = [event_dict(e) for e in self.arbiter.events.history
                   if e.actor.actor.name == record.name]
        return Response.json({"summary": summary_dict(summary_of(record)), "info": info,
                              "info_error": info_error,
                              "logs": log_files.tail(record.log_path, lines)
                              if record.kind in OWN_PROCESS_KINDS else [],
                              "events": history[::-1]})

    def logs(self, target: str, lines: int) -> Response:
        try:
            record = self.arbiter.registry.find_any(target)
        except ActorNotFound as exc:
            return Response.error(404, str(exc))
        path = getattr(record, "log_path", None) \
            if getattr(record, "kind", "") in OWN_PROCESS_KINDS \
            else None
        return Response.json({"lines": log_files.tail(path, lines) if path else []})


def _int(text: str, default: int) -> int:
    try:
        return int(text)
    except (TypeError, ValueError):
        return default


def _pid() -> int:
    import os

    return os.getpid()
