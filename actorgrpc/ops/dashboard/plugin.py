"""The dashboard's HTTP routes and its once-a-second sampling of message rates."""

from __future__ import annotations

import asyncio
import logging
import time
from importlib import resources
from typing import TYPE_CHECKING, Any

from aiohttp import web

from actorgrpc.contract.consts import ACTOR_STATES, OWN_PROCESS_KINDS
from actorgrpc.contract.errors import ActorError, ActorNotFound
from actorgrpc.ops.dashboard.rates import RateTracker
from actorgrpc.ops.web import WebSite
from actorgrpc.supervisor import log_files
from actorgrpc.supervisor.events import event_name
from actorgrpc.supervisor.record import ActorRecord
from actorgrpc.supervisor.summaries import summary_json, summary_of

if TYPE_CHECKING:
    from actorgrpc.supervisor.arbiter import Arbiter
    from actorgrpc.v1 import arbiter_pb2
    from actorgrpc.v1.actor_pb2 import ActorSummary

logger = logging.getLogger("actorgrpc.ops.dashboard")

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


def summary_dict(summary: ActorSummary) -> dict[str, Any]:
    """An ActorSummary as JSON, with the state's name at the top level too."""
    data = summary_json(summary)
    data["state"] = data["actor"]["state"]
    return data


def event_dict(event: arbiter_pb2.WatchActorsResponse) -> dict[str, Any]:
    actor = event.actor.actor
    return {"type": event_name(event.type), "time": event.time.ToNanoseconds() / 1e9,
            "detail": event.detail,
            "aid": actor.aid, "name": actor.name, "restarts": event.actor.restarts,
            "monitor": event.actor.monitor}


class DashboardPlugin:
    """Serves the dashboard for one arbiter; pass it in ``Arbiter(plugins=[...])``."""

    def __init__(self, port: int = 0, host: str = "127.0.0.1") -> None:
        self.http = WebSite(host, port)
        self.rates = RateTracker()
        self.arbiter: Arbiter | None = None
        self._sampler: asyncio.Task[None] | None = None
        self._static: dict[str, bytes] = {}
        add = self.http.app.router.add_get
        for path in STATIC_FILES:
            add(path, self._static_file)
        add("/api/overview", self._overview)
        add("/api/actors", self._actors)
        add("/api/events", self._events)
        add("/api/rates", self._rates)
        add("/api/actors/{target}", self._actor)
        add("/api/actors/{target}/logs", self._logs)

    @property
    def url(self) -> str:
        return f"{self.http.url}/"

    @property
    def served(self) -> Arbiter:
        """The arbiter, once started (its routes are added before it runs)."""
        if self.arbiter is None:
            raise RuntimeError("the dashboard has not been started")
        return self.arbiter

    async def start(self, arbiter: Arbiter) -> None:
        self.arbiter = arbiter
        folder = resources.files(__package__) / "static"
        self._static = {name: (folder / name).read_bytes()
                        for name, _ in STATIC_FILES.values()}
        self._sampler = asyncio.ensure_future(self._sample_forever())
        await self.http.start(arbiter.security)
        arbiter.extra["dashboard_url"] = self.url
        logger.info("dashboard on %s", self.url)

    async def stop(self) -> None:
        if self._sampler is not None:
            self._sampler.cancel()
        await self.http.stop()

    async def _sample_forever(self) -> None:
        while True:
            self.rates.sample(list(self.served.registry.live.values()))
            await asyncio.sleep(SAMPLE_INTERVAL)

    # -- routes -------------------------------------------------------------------

    async def _static_file(self, request: web.Request) -> web.Response:
        name, content_type = STATIC_FILES[request.path]
        return web.Response(body=self._static[name], content_type=content_type.split(";")[0],
                            charset="utf-8", headers=NO_STORE)

    async def _overview(self, request: web.Request) -> web.Response:
        return _json(self.overview())

    async def _actors(self, request: web.Request) -> web.Response:
        return _json(self.actors(include_exited=request.query.get("all") == "1"))

    async def _events(self, request: web.Request) -> web.Response:
        return _json(self.events(request.query.get("types", ""),
                                 _count(request, "n", 200)))

    async def _rates(self, request: web.Request) -> web.Response:
        return _json({"interval": SAMPLE_INTERVAL, "window": self.rates.window,
                      "points": self.rates.points()})

    async def _actor(self, request: web.Request) -> web.Response:
        return await self.actor(request.match_info["target"], _count(request, "n", 50))

    async def _logs(self, request: web.Request) -> web.Response:
        return self.logs(request.match_info["target"], _count(request, "n", 100))

    def overview(self) -> dict[str, Any]:
        arbiter = self.served
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

    def actors(self, include_exited: bool = False) -> list[dict[str, Any]]:
        registry = self.served.registry
        records = list(registry.live.values())
        if include_exited:
            records += list(registry.exited.values())
        rows = []
        for record in sorted(records, key=lambda r: (r.name, r.created_at)):
            row = summary_dict(summary_of(record))
            row["rate"] = round(self.rates.actor_rates.get(record.aid, 0.0), 3)
            rows.append(row)
        return rows

    def events(self, types: str = "", limit: int = 200) -> list[dict[str, Any]]:
        wanted = set(filter(None, types.split(","))) if types else None
        selected = [event_dict(e) for e in self.served.events.history
                    if wanted is None or event_name(e.type) in wanted]
        return selected[-limit:][::-1] if limit > 0 else []

    async def actor(self, target: str, lines: int) -> web.Response:
        arbiter = self.served
        try:
            record = arbiter.registry.find_any(target)
        except ActorNotFound as exc:
            return _json({"error": str(exc)}, 404)
        if not isinstance(record, ActorRecord):
            # The arbiter and its monitors: their info is local and cheap.
            return _json({"summary": None, "info": record.info(), "logs": [],
                          "events": [], "info_error": ""})
        info: Any = {}
        info_error = ""
        if record.is_alive() and record.state == ACTOR_STATES.RUN and arbiter.router:
            try:
                info = await arbiter.router.send(record.proxy, "info", timeout=INFO_TIMEOUT)
            except ActorError as exc:
                info_error = f"{type(exc).__name__}: {exc}"
        history = [event_dict(e) for e in arbiter.events.history
                   if e.actor.actor.name == record.name]
        return _json({"summary": summary_dict(summary_of(record)), "info": info,
                      "info_error": info_error,
                      "logs": log_files.tail(record.log_path, lines)
                      if record.kind in OWN_PROCESS_KINDS and record.log_path else [],
                      "events": history[::-1]})

    def logs(self, target: str, lines: int) -> web.Response:
        try:
            record = self.served.registry.find_any(target)
        except ActorNotFound as exc:
            return _json({"error": str(exc)}, 404)
        path = getattr(record, "log_path", None) \
            if getattr(record, "kind", "") in OWN_PROCESS_KINDS \
            else None
        return _json({"lines": log_files.tail(path, lines) if path else []})


#: Dashboard data is live: never cached.
NO_STORE = {"Cache-Control": "no-store"}
#: The most lines or events one request may ask for.
MAX_COUNT = 10_000


def _json(data: object, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, headers=NO_STORE)


def _count(request: web.Request, name: str, default: int) -> int:
    """A count from the query string: a whole number in [0, MAX_COUNT], else 400."""
    text = request.query.get(name)
    if text is None:
        return default
    if not text.isdigit() or int(text) > MAX_COUNT:
        raise web.HTTPBadRequest(text=f'{{"error": "{name} must be a whole number from 0 '
                                      f'to {MAX_COUNT}"}}', content_type="application/json")
    return int(text)


def _pid() -> int:
    import os

    return os.getpid()
