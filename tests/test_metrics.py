"""The Prometheus endpoint (``serve --metrics-port``), scraped over HTTP from a real arbiter."""

import urllib.error
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

import actorgrpc
import actorgrpc.ops.metrics
import actorgrpc.supervisor.services

from .support import ArbiterProcess, logged_url, wait_for_async

#: Seconds a heartbeat-fed figure may take to show: beats every 0.2 s here (flag
#: below); the margin covers a loaded 2-core machine.
BEAT_DEADLINE = 15.0


@pytest.fixture(scope="module")
def metrics_arbiter(tmp_path_factory):
    arbiter = ArbiterProcess("--metrics-port", "0", "--monitor", "mpool=1",
                             "--heartbeat-interval", "0.2",
                             run_dir=str(tmp_path_factory.mktemp("run")))
    arbiter.metrics_url = logged_url(arbiter, "metrics endpoint on", r"(http://\S+/metrics)")
    yield arbiter
    arbiter.stop_and_check()


def scrape(url: str) -> dict:
    """{(sample name, sorted label items): value} of one scrape."""
    # 10 s bound: the endpoint answers from the arbiter's loop in milliseconds.
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.headers["Content-Type"].startswith("text/plain")
        text = response.read().decode()
    samples = {}
    for family in text_string_to_metric_families(text):
        assert family.name.startswith("actorgrpc_"), family.name
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: dict, name: str, **labels) -> float | None:
    return samples.get((name, tuple(sorted(labels.items()))))


async def wait_metric(url, name, expected, timeout=BEAT_DEADLINE, **labels):
    """Poll the endpoint until ``name{labels}`` satisfies ``expected(value)``."""
    def check():
        found = value(scrape(url), name, **labels)
        return found is not None and expected(found)
    await wait_for_async(check, timeout, f"{name}{labels}")
    return value(scrape(url), name, **labels)


async def test_actor_gauges_and_messages_per_action(metrics_arbiter):
    url = metrics_arbiter.metrics_url
    async with actorgrpc.connect(metrics_arbiter.address) as client:
        await client.spawn(name="m1")
        for number in range(5):
            assert await client.send("m1", "add", number, 1) == number + 1
        await client.send("m1", "echo", "x")
        await wait_metric(url, "actorgrpc_messages_processed_total", lambda v: v == 5,
                          actor="m1", monitor="arbiter", action="add")
        samples = scrape(url)
        assert value(samples, "actorgrpc_messages_processed_total", actor="m1",
                     monitor="arbiter", action="echo") == 1
        assert value(samples, "actorgrpc_actors", state="running") >= 2  # m1 and mpool-0
        assert value(samples, "actorgrpc_actors", state="terminated") is not None
        assert value(samples, "actorgrpc_mailbox_depth", actor="m1", monitor="arbiter") == 0
        # Heartbeats come every 0.2 s; 10 s would mean the actor is close to hung.
        age = value(samples, "actorgrpc_heartbeat_age_seconds", actor="m1", monitor="arbiter")
        assert 0 <= age < 10
        assert value(samples, "actorgrpc_actor_memory_rss_bytes", actor="m1",
                     monitor="arbiter") > 1e6
        assert value(samples, "actorgrpc_heartbeat_age_seconds", actor="mpool-0",
                     monitor="mpool") is not None
        await client.stop("m1")
        samples = scrape(url)
        assert value(samples, "actorgrpc_mailbox_depth", actor="m1", monitor="arbiter") is None
        assert value(samples, "actorgrpc_exits_total", monitor="arbiter") >= 1


async def test_event_counters_spawns_crashes_restarts_failures(metrics_arbiter):
    url = metrics_arbiter.metrics_url
    # The pool's first worker is spawned while the arbiter starts: count from after
    # it (this test may run first). 30 s: a spawn takes milliseconds; margin for a
    # loaded machine.
    await wait_for_async(
        lambda: (value(scrape(url), "actorgrpc_spawns_total", monitor="mpool") or 0) >= 1,
        30, "the pool's first worker counted")
    before = scrape(url)

    def delta(samples, name, monitor):
        return value(samples, name, monitor=monitor) - value(before, name, monitor=monitor)

    async with actorgrpc.connect(metrics_arbiter.address) as client:
        with pytest.raises(actorgrpc.SpawnError):
            await client.spawn(name="m-bad", start="tests.sample_actors:failing_start")
        old = await client.get_actor("mpool-0")
        with pytest.raises(actorgrpc.ActorUnavailable):
            await client.send("mpool-0", "crash", 3)
        # The monitor replaces the worker under the same name: wait for the new aid.
        # 30 s: a restart takes well under a second; margin for a loaded machine.
        await wait_for_async(lambda: _restarted(client, old.aid), 30, "mpool-0 restarted")
    samples = scrape(url)
    assert delta(samples, "actorgrpc_spawn_failures_total", "arbiter") == 1
    assert delta(samples, "actorgrpc_crashes_total", "mpool") == 1
    assert delta(samples, "actorgrpc_restarts_total", "mpool") == 1
    assert delta(samples, "actorgrpc_spawns_total", "mpool") == 1
    assert delta(samples, "actorgrpc_spawns_total", "arbiter") == 1  # m-bad started, failed
    assert delta(samples, "actorgrpc_crashes_total", "arbiter") == 0
    assert value(samples, "actorgrpc_actor_restarts", actor="mpool-0", monitor="mpool") == 1


async def _restarted(client, old_aid):
    try:
        proxy = await client.get_actor("mpool-0")
    except actorgrpc.ActorNotFound:
        return False
    return proxy.aid != old_aid and proxy.state == actorgrpc.ACTOR_STATES.RUN


async def test_hung_detection_is_counted(metrics_arbiter):
    url = metrics_arbiter.metrics_url
    before = value(scrape(url), "actorgrpc_hung_detections_total", monitor="arbiter")
    async with actorgrpc.connect(metrics_arbiter.address) as client:
        # timeout=1: declared hung after 1 s without a beat (checked every 1 s).
        await client.spawn(name="m-hung", timeout=1.0)
        await client.tell("m-hung", "block", 60)
        # 20 s: detection takes ~2 s; margin for a loaded machine.
        await wait_metric(url, "actorgrpc_hung_detections_total", lambda v: v == before + 1,
                          timeout=20, monitor="arbiter")
        # The arbiter stops it (stop order, SIGTERM, then SIGKILL, 1 s apart).
        await wait_for_async(lambda: _gone(client, "m-hung"), 30, "m-hung gone")


async def _gone(client, name):
    try:
        await client.get_actor(name)
    except actorgrpc.ActorNotFound:
        return True
    return False


async def test_send_latency_histogram(metrics_arbiter):
    url = metrics_arbiter.metrics_url
    async with actorgrpc.connect(metrics_arbiter.address) as client:
        await client.spawn(name="m-lat")
        for _ in range(4):
            await client.send_via_arbiter("m-lat", "ping")
        with pytest.raises(actorgrpc.CommandNotFound):
            await client.send_via_arbiter("m-lat", "fly")
        await client.stop("m-lat")
    samples = scrape(url)
    count = value(samples, "actorgrpc_send_duration_seconds_count", action="ping", code="OK")
    assert count == 4
    total = value(samples, "actorgrpc_send_duration_seconds_sum", action="ping", code="OK")
    # Each forwarded call takes ~1 ms here; 5 s (the default deadline) would be a hang.
    assert 0 < total < 4 * 5
    assert value(samples, "actorgrpc_send_duration_seconds_bucket", action="ping", code="OK",
                 le="+Inf") == 4
    # An action that no actor ran is not a label of its own.
    assert value(samples, "actorgrpc_send_duration_seconds_count", action="fly",
                 code="UNIMPLEMENTED") is None
    assert value(samples, "actorgrpc_send_duration_seconds_count", action="other",
                 code="UNIMPLEMENTED") >= 1


async def test_send_labels_are_bounded_whatever_the_requests(metrics_arbiter):
    # Junk actions and targets (the attack: 20,000 of them made /metrics 370 MB):
    # labels only for actions an actor ran, at most MAX_ACTION_LABELS of them.
    url = metrics_arbiter.metrics_url
    async with actorgrpc.connect(metrics_arbiter.address) as client:
        await client.spawn(name="m-junk")
        for number in range(300):
            with pytest.raises((actorgrpc.CommandNotFound, actorgrpc.ActorNotFound)):
                target = "m-junk" if number % 2 else f"nobody-{number}"
                await client.send_via_arbiter(target, f"junk-{number}")
        await client.stop("m-junk")
    actions = {dict(labels).get("action") for (name, labels) in scrape(url)
               if name == "actorgrpc_send_duration_seconds_count"}
    assert not any(action.startswith("junk-") for action in actions), actions
    assert "other" in actions
    assert len(actions) <= actorgrpc.ops.metrics.MAX_ACTION_LABELS + 1


def test_endpoint_is_read_only_and_on_loopback(metrics_arbiter):
    url = metrics_arbiter.metrics_url
    assert url.startswith("http://127.0.0.1:")
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(url.replace("/metrics", "/other"), timeout=10)
    assert caught.value.code == 404
    request = urllib.request.Request(url, data=b"x", method="POST")
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=10)
    assert caught.value.code == 405


def test_an_actors_tally_is_bounded_at_intake():
    # A Go or Node actor reports its own tally: at most MAX_BEAT_ACTIONS labels, the
    # busiest kept, the rest summed under "other", names cut.
    services = actorgrpc.supervisor.services
    reported = {f"a{n}" * 100: n for n in range(1, 501)}
    tally = services._bounded_tally(reported)
    assert len(tally) == services.MAX_BEAT_ACTIONS
    assert all(len(name) <= services.MAX_ACTION_NAME for name in tally)
    assert sum(tally.values()) == sum(reported.values())
    assert tally[("a500" * 100)[:services.MAX_ACTION_NAME]] == 500
