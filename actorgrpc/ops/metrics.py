"""The Prometheus endpoint of an arbiter (``actorgrpc serve --metrics-port PORT``).

An arbiter plugin: counters are fed by the event bus (spawns, restarts, crashes,
hung actors, ...), per-actor figures are read from the registry's last heartbeats
at scrape time (so an idle arbiter does no work), and the send latency histogram
is fed by the arbiter's ``send_observers`` hook when the arbiter has it. The
endpoint is served in the arbiter's own loop (see web.py: Host check, tokens) on
127.0.0.1 unless told otherwise. Every metric name starts with ``actorgrpc_``.
"""

from __future__ import annotations

import logging
from collections import Counter as Tally
from collections.abc import Iterator
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.aiohttp import make_aiohttp_handler
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from actorgrpc.contract.consts import ACTOR_STATES, OWN_PROCESS_KINDS
from actorgrpc.ops.web import WebSite
from actorgrpc.supervisor import events

if TYPE_CHECKING:
    from prometheus_client.metrics_core import Metric

    from actorgrpc.supervisor.arbiter import Arbiter
    from actorgrpc.supervisor.record import ActorRecord
    from actorgrpc.v1 import arbiter_pb2

__all__ = ["MetricsPlugin", "ArbiterCollector", "ActionLabels", "SEND_BUCKETS",
           "MAX_ACTION_LABELS"]

logger = logging.getLogger("actorgrpc.ops.metrics")

#: Seconds; ArbiterService.Send costs ~1 ms on loopback (DESIGN.md §4), commands
#: may take up to their deadline (5 s by default).
SEND_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
                2.5, 5.0, 10.0)

#: Most distinct ``action`` label values per metric; beyond, actions count as OTHER.
#: Labels come from requests, so their number must be bounded (each label value is
#: a time series held in memory and written out on every scrape).
MAX_ACTION_LABELS = 100
#: The label of actions beyond MAX_ACTION_LABELS, or that no actor ran.
OTHER = "other"
#: Outcomes of a Send that prove nothing ran the action (unknown target or command,
#: arguments refused, refused by the arbiter before forwarding): labelled OTHER.
_NOT_RUN = frozenset({"NOT_FOUND", "UNIMPLEMENTED", "INVALID_ARGUMENT", "UNAUTHENTICATED",
                      "PERMISSION_DENIED", "RESOURCE_EXHAUSTED"})

#: Event type → (counter name, help). Names get ``_total`` from prometheus_client.
EVENT_COUNTERS = {
    events.SPAWNED: ("actorgrpc_spawns", "Actor processes or threads started."),
    events.FAILED: ("actorgrpc_spawn_failures", "Actors that could not start."),
    events.RESTARTED: ("actorgrpc_restarts", "Workers a monitor restarted."),
    events.HUNG: ("actorgrpc_hung_detections", "Actors that missed heartbeats."),
    events.GAVE_UP: ("actorgrpc_gave_up", "Times a monitor exceeded its restart intensity."),
}


def monitor_label(record: ActorRecord) -> str:
    """The supervising monitor's name, "arbiter" for actors spawned directly."""
    monitor = getattr(record, "monitor", None)
    return monitor.name if monitor is not None else "arbiter"


class ActionLabels:
    """A bounded set of ``action`` label values: the first MAX_ACTION_LABELS actions
    that an actor ran keep their names; the rest, and actions nothing ran, are OTHER."""

    def __init__(self, limit: int = MAX_ACTION_LABELS):
        self.limit = limit
        self.seen: set[str] = set()

    def label(self, action: str, ran: bool = True) -> str:
        if action in self.seen:
            return action
        if not ran or len(self.seen) >= self.limit:
            return OTHER
        self.seen.add(action)
        return action


class ArbiterCollector:
    """Per-actor gauges and counters, read from the registry at scrape time."""

    def __init__(self, arbiter: Arbiter) -> None:
        self.arbiter = arbiter

    def collect(self) -> Iterator[Metric]:
        import time

        live = list(self.arbiter.registry.live.values())
        by_state = GaugeMetricFamily("actorgrpc_actors", "Supervised actors, by state.",
                                     labels=["state"])
        tally = Tally(ACTOR_STATES.DESCRIPTION.get(r.state, str(r.state)) for r in live)
        for description in ACTOR_STATES.DESCRIPTION.values():
            by_state.add_metric([description], tally.get(description, 0))
        yield by_state

        labels = ["actor", "monitor"]
        processed = CounterMetricFamily(
            "actorgrpc_messages_processed",
            "Commands an actor processed since it started, by action (from heartbeats; "
            "resets when the actor restarts).", labels=labels + ["action"])
        depth = GaugeMetricFamily("actorgrpc_mailbox_depth",
                                  "Commands received and not yet finished.", labels=labels)
        age = GaugeMetricFamily("actorgrpc_heartbeat_age_seconds",
                                "Seconds since the actor's last heartbeat.", labels=labels)
        rss = GaugeMetricFamily("actorgrpc_actor_memory_rss_bytes",
                                "Resident memory of the actor's process.", labels=labels)
        cpu = GaugeMetricFamily("actorgrpc_actor_cpu_percent",
                                "CPU use of the actor's process, percent of one core.",
                                labels=labels)
        restarts = GaugeMetricFamily("actorgrpc_actor_restarts",
                                     "Times the actor was restarted under this name.",
                                     labels=labels)
        now = time.monotonic()
        for record in live:
            values = [record.name, monitor_label(record)]
            beat = record.load
            # An actor's own tally (bounded at intake); ours are the first commands
            # of each actor, at most MAX_ACTION_LABELS of them.
            for action, count in sorted(beat.processed_by_action.items()):
                processed.add_metric(values + [action], count)
            depth.add_metric(values, beat.mailbox_depth)
            restarts.add_metric(values, record.restarts)
            if record.kind in OWN_PROCESS_KINDS:
                age.add_metric(values, max(0.0, now - record.last_beat))
                rss.add_metric(values, beat.memory_rss_bytes)
                cpu.add_metric(values, beat.cpu_percent)
        yield from (processed, depth, age, rss, cpu, restarts)


class MetricsPlugin:
    """Serves ``/metrics`` for one arbiter; pass it in ``Arbiter(plugins=[...])``."""

    def __init__(self, port: int = 0, host: str = "127.0.0.1"):
        self.registry = CollectorRegistry(auto_describe=True)
        self.http = WebSite(host, port)
        handler = make_aiohttp_handler(self.registry)
        self.http.app.router.add_get("/metrics", handler)
        self.http.app.router.add_get("/", handler)
        self.event_counters = {
            event_type: Counter(name, help_text, ["monitor"], registry=self.registry)
            for event_type, (name, help_text) in EVENT_COUNTERS.items()}
        self.crashes = Counter("actorgrpc_crashes", "Actors that exited without being "
                               "asked to stop.", ["monitor"], registry=self.registry)
        self.exits = Counter("actorgrpc_exits", "Actors that exited, for any reason.",
                             ["monitor"], registry=self.registry)
        self.send_latency = Histogram(
            "actorgrpc_send_duration_seconds",
            "Time the arbiter took to forward ArbiterService.Send and get the result.",
            ["action", "code"], buckets=SEND_BUCKETS, registry=self.registry)
        self.send_actions = ActionLabels()
        self.arbiter: Arbiter | None = None

    @property
    def url(self) -> str:
        return f"{self.http.url}/metrics"

    async def start(self, arbiter: Arbiter) -> None:
        self.arbiter = arbiter
        self.registry.register(ArbiterCollector(arbiter))
        # Zero-valued series from the start, so rate() works from the first scrape.
        for monitor in ["arbiter", *arbiter.monitors]:
            for counter in [*self.event_counters.values(), self.crashes, self.exits]:
                counter.labels(monitor)
        arbiter.events.add_listener(self.on_event)
        observers = getattr(arbiter, "send_observers", None)
        if observers is not None:
            observers.append(self.observe_send)
        else:
            logger.warning("this arbiter has no send_observers hook: "
                           "actorgrpc_send_duration_seconds stays empty")
        await self.http.start(arbiter.security)
        arbiter.extra["metrics_url"] = self.url
        logger.info("metrics endpoint on %s", self.url)

    async def stop(self) -> None:
        await self.http.stop()

    def on_event(self, event: arbiter_pb2.WatchActorsResponse, record: ActorRecord) -> None:
        monitor = monitor_label(record)
        counter = self.event_counters.get(event.type)
        if counter is not None:
            counter.labels(monitor).inc()
        if event.type == events.EXITED:
            self.exits.labels(monitor).inc()
            if not record.stop_requested:
                self.crashes.labels(monitor).inc()

    def observe_send(self, action: str, seconds: float, code: str) -> None:
        """The ``send_observers`` hook: one forwarded ArbiterService.Send."""
        label = self.send_actions.label(action, ran=code not in _NOT_RUN)
        self.send_latency.labels(label, code).observe(seconds)
