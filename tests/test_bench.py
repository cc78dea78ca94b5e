"""`actorgrpc bench --quick --json` runs and reports every figure (no timing asserted).

Minutes of CPU on two cores: not part of `make test`. Run with `make test-bench`
(which sets ACTORGRPC_BENCH_TEST=1 and installs the Node.js client's packages).
"""

import json
import os
import shutil
import subprocess
import sys

import psutil
import pytest

from .support import ROOT, assert_all_gone

pytestmark = pytest.mark.skipif(
    os.environ.get("ACTORGRPC_BENCH_TEST") != "1",
    reason="the benchmark takes minutes: run it with `make test-bench` "
           "(or ACTORGRPC_BENCH_TEST=1 pytest tests/test_bench.py)")

KEYS = ["send_rtt_p50_us", "send_rtt_p99_us", "send_rtt_ratio", "arbiter_send_rtt_p50_us",
        "arbiter_send_ratio", "ask_throughput", "tell_throughput",
        "actor_to_actor_rtt_p50_us", "spawn_p50_ms", "spawn_50_s", "idle_actor_uss_mb",
        "idle_actor_rss_mb", "arbiter_idle_cpu_pct_50_actors", "restart_after_kill_ms",
        "raw_grpc_bidi_rtt_p50_us", "raw_grpc_unary_rtt_p50_us", "raw_tcp_rtt_p50_us",
        # Where the time goes: CPU per message or per spawn, in each process.
        "send_client_cpu_us", "raw_grpc_bidi_client_cpu_us", "ask_client_cpu_us",
        "ask_actor_cpu_us", "tell_client_cpu_us", "tell_actor_cpu_us",
        "spawn_50_client_cpu_ms", "spawn_50_arbiter_cpu_ms", "spawn_50_fork_server_cpu_ms",
        "spawn_50_actor_cpu_ms",
        # The floor of a bare gRPC process, measured in the same run.
        "raw_grpc_process_50_s", "raw_grpc_process_cpu_ms", "raw_grpc_process_uss_mb",
        "spawn_50_ratio",
        # ArbiterService.Send from Python with many in flight, and the arbiter's CPU
        # per call; the polyglot phases' own baselines.
        "arbiter_send_throughput", "arbiter_send_arbiter_cpu_us", "raw_grpc_unary_throughput",
        "raw_grpc_unary_server_cpu_us", "arbiter_send_throughput_ratio",
        "polyglot_baseline_bidi_rtt_p50_us", "polyglot_baseline_ask_throughput"]
#: Ratios of two of the run's medians (no spread of their own).
RATIOS = ["actor_to_actor_ratio", "idle_actor_uss_ratio"]
#: Keys that need a language's toolchain (issue 18), by the program that needs it.
POLYGLOT_KEYS = {
    "go": ["go_send_rtt_p50_us", "go_send_rtt_ratio", "go_ask_throughput", "go_ask_ratio",
           "go_tell_throughput", "go_arbiter_send_throughput", "go_actor_send_rtt_p50_us",
           "go_actor_send_rtt_ratio", "go_actor_ask_throughput",
           "exec_actor_baseline_bidi_rtt_p50_us"],
    "node": ["js_send_rtt_p50_us", "js_send_rtt_ratio", "js_ask_throughput", "js_ask_ratio",
             "js_tell_throughput", "js_arbiter_send_throughput",
             "node_actor_send_rtt_p50_us", "node_actor_send_rtt_ratio",
             "node_actor_ask_throughput", "exec_actor_baseline_bidi_rtt_p50_us"],
}
#: Words in the command line of a process the benchmark starts, beside "actorgrpc"
#: (the Node.js programs run from the checkout, whose path need not say it).
MARKERS = ("actorgrpc", "demo-actor.js", "jsbench.js", "gobench", "demoactor")


def _ours() -> dict:
    """Processes of actorgrpc on this machine (arbiters, fork servers, actors, and
    the Go and Node.js programs)."""
    found = {}
    for process in psutil.process_iter(["pid", "name", "cmdline"]):
        cmdline = " ".join(process.info["cmdline"] or [])
        if ((process.info["name"] or "").startswith("actor:")
                or any(marker in cmdline for marker in MARKERS)):
            found[process.pid] = process
    return found


def _run_quick_benchmark(*flags: str) -> dict:
    before = _ours()
    # 540 s bound: the quick mode takes ~60 s here (plus a cold Go build, up to a
    # few minutes); it also checks that asks and tells come back complete and in
    # order, and stops every process it started.
    result = subprocess.run(
        [sys.executable, "-m", "actorgrpc", "bench", "--quick", "--json", *flags],
        cwd=ROOT, capture_output=True, text=True, timeout=540)
    assert result.returncode == 0, result.stderr[-3000:]
    assert_all_gone([p for pid, p in _ours().items() if pid not in before])
    return json.loads(result.stdout)


def _positive_with_spread(figures: dict, key: str) -> None:
    assert isinstance(figures.get(key), (int, float)) and figures[key] > 0, key
    assert len(figures[f"{key}_spread"]) == 2, key


def _check_polyglot(figures: dict) -> None:
    """Every polyglot key is there, unless its toolchain is missing here (then the
    benchmark must say so in ``polyglot_skipped``, and so does this test)."""
    skipped = figures.get("polyglot_skipped", {})
    missing = []
    for tool, keys in POLYGLOT_KEYS.items():
        if shutil.which(tool) is None:
            language = "go" if tool == "go" else "js"
            assert language in skipped, f"{tool} is missing but nothing says it was skipped"
            missing.append(f"{tool} ({skipped[language]})")
            continue
        assert not skipped.get("go" if tool == "go" else "js"), skipped
        for key in keys:
            _positive_with_spread(figures, key)
    if missing:
        # Said, not hidden: the figures of these languages were not checked.
        print(f"!!! polyglot figures NOT checked, toolchain missing: {', '.join(missing)} !!!")


@pytest.mark.timeout(600)
def test_quick_benchmark_reports_every_figure():
    figures = _run_quick_benchmark()
    for key in KEYS:
        _positive_with_spread(figures, key)
    for key in RATIOS:
        assert isinstance(figures[key], (int, float)) and figures[key] > 0, key
    _check_polyglot(figures)
    assert figures["machine"]["quick"] is True


@pytest.mark.timeout(600)
def test_quick_benchmark_with_tls_and_tokens_runs_the_polyglot_programs_too():
    # The Go and Node.js programs get the run's CA and token: with either missing
    # they could not talk to this arbiter at all, and the run would fail.
    figures = _run_quick_benchmark("--tls", "--auth")
    _positive_with_spread(figures, "arbiter_send_throughput")
    _check_polyglot(figures)
    assert figures["machine"]["tls"] is True and figures["machine"]["auth"] is True
