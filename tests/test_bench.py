"""`actorgrpc bench --quick --json` runs and reports every figure (no timing asserted)."""

import json
import subprocess
import sys

import psutil

from .support import ROOT, assert_all_gone

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
        "spawn_50_ratio"]
#: Ratios of two of the run's medians (no spread of their own).
RATIOS = ["actor_to_actor_ratio", "idle_actor_uss_ratio"]


def _ours() -> dict:
    """Processes of actorgrpc on this machine (arbiters, fork servers, actors)."""
    found = {}
    for process in psutil.process_iter(["pid", "name", "cmdline"]):
        cmdline = " ".join(process.info["cmdline"] or [])
        if (process.info["name"] or "").startswith("actor:") or "actorgrpc" in cmdline:
            found[process.pid] = process
    return found


def test_quick_benchmark_reports_every_figure():
    before = _ours()
    # 300 s bound: the quick mode takes ~40 s here; it also checks that asks and
    # tells come back complete and in order, and stops every process it started.
    result = subprocess.run([sys.executable, "-m", "actorgrpc", "bench", "--quick", "--json"],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    figures = json.loads(result.stdout)
    for key in KEYS:
        assert isinstance(figures[key], (int, float)) and figures[key] > 0, key
        assert len(figures[f"{key}_spread"]) == 2, key
    for key in RATIOS:
        assert isinstance(figures[key], (int, float)) and figures[key] > 0, key
    assert figures["machine"]["quick"] is True
    assert_all_gone([p for pid, p in _ours().items() if pid not in before])
