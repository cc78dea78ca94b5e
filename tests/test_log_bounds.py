"""What clients can write into logs is bounded and cannot pass for the service's own
lines (issue 16, item 6): a command's failures are logged in full only up to a
budget per actor, messages are cut, and a message's line breaks continue on
indented lines."""

import glob
import os

import pytest

import actorgrpc
from actorgrpc.actor.logs import CONTINUATION, MAX_LOGGED_MESSAGE, ErrorLogBudget

from .support import ArbiterProcess, wait_for

#: A line that a client would like the log to show as the service's own.
FORGED = "2026-12-04 00:00:00,000 ERROR   arbiter(arbiter) pid=1 actorgrpc.arbiter: FORGED"
#: Tells of a failing command, each with a long message: 100 MB of log without a bound.
FLOOD = 5000
MESSAGE = "x" * 20_000


@pytest.fixture(scope="module")
def logging_arbiter(tmp_path_factory):
    run_dir = str(tmp_path_factory.mktemp("run"))
    arbiter = ArbiterProcess(run_dir=run_dir)
    arbiter.run_dir = run_dir
    yield arbiter
    arbiter.stop_and_check()


def _log_of(arbiter, proxy) -> str:
    [path] = glob.glob(os.path.join(arbiter.run_dir, "logs", f"*.{proxy.aid}.log"))
    return path


async def test_a_message_cannot_forge_a_log_line(logging_arbiter):
    async with actorgrpc.connect(logging_arbiter.address) as client:
        proxy = await client.spawn(name="forger")
        try:
            client.tell(proxy, "boom", "innocent\n" + FORGED)
            assert await client.send(proxy, "ping") == "pong"  # the tell ran before
            path = _log_of(logging_arbiter, proxy)
            # The actor's log is written by its own process: 10 s for the write to land.
            wait_for(lambda: "FORGED" in open(path).read(), 10, "the error in the log")
            lines = [line for line in open(path).read().splitlines() if "FORGED" in line]
            assert lines and all(line.startswith(CONTINUATION) for line in lines), lines
        finally:
            await client.stop(proxy)


async def test_a_flood_of_failing_tells_writes_a_bounded_log(logging_arbiter):
    async with actorgrpc.connect(logging_arbiter.address) as client:
        proxy = await client.spawn(name="flooded")
        try:
            for _ in range(FLOOD):
                client.tell(proxy, "boom", MESSAGE)
            # Per-sender order: the answer to ping comes after every tell ran (60 s:
            # 5,000 tells take well under a second here).
            assert await client.send(proxy, "ping", _timeout=60) == "pong"
            path = _log_of(logging_arbiter, proxy)
            size = sum(os.path.getsize(p) for p in glob.glob(path + "*"))
            # The budget's 20 entries, each with a message cut to MAX_LOGGED_MESSAGE
            # and a short traceback (~2 kB); the start-up lines besides.
            assert size < 20 * (MAX_LOGGED_MESSAGE + 4000) + 20_000, size
        finally:
            await client.stop(proxy)


def test_the_error_budget_counts_what_it_does_not_log():
    now = [0.0]
    budget = ErrorLogBudget(burst=3, window=10.0, clock=lambda: now[0])
    assert [budget.allow() for _ in range(5)] == [(True, 0)] * 3 + [(False, 0)] * 2
    now[0] = 10.0  # the next window: the 2 not logged are reported once
    assert budget.allow() == (True, 2)
    assert budget.allow() == (True, 0)
