"""Print actorgrpc's benchmark figures beside its peers' in one table.

``python3 bench/peers/compare.py DIR --out bench/peers/last-run.json`` reads
DIR/<column>.json (one JSON object each, as printed by the peer scripts and
``actorgrpc bench --json``) and DIR/<column>.status (why a column is missing),
prints the table and writes every figure to --out. Standard library only.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

COLUMNS = [
    ("actorgrpc", "actorgrpc"),
    ("ray", "Ray"),
    ("thespian", "Thespian"),
    ("mp", "multiprocessing"),
]
PEERS = COLUMNS[1:]

# key, unit shown, True when higher is better
ROWS = [
    ("spawn_p50_ms", "ms", False),
    ("spawn_50_s", "s", False),
    ("send_rtt_p50_us", "µs", False),
    ("send_rtt_p99_us", "µs", False),
    ("ask_throughput", "/s", True),
    ("tell_throughput", "/s", True),
    ("actor_to_actor_rtt_p50_us", "µs", False),
    ("restart_after_kill_ms", "ms", False),
    ("idle_actor_uss_mb", "MB", False),
]


def fmt(x) -> str:
    """Three significant figures, k for thousands: 0.542, 16.5, 1.51k, 42.1k."""
    if x is None:
        return "-"
    if abs(x) >= 1000:
        return f"{x / 1000:.3g}k"
    return f"{x:.3g}"


def cell(result, key) -> str:
    if result is None or result.get(key) is None:
        return "-"
    spread = result.get(key + "_spread")
    if spread:
        return f"{fmt(result[key])} [{fmt(spread[0])}–{fmt(spread[1])}]"
    return fmt(result[key])


def verdict(results, key, higher_better):
    """(text, details) comparing actorgrpc with the best peer on one row."""
    ours = (results.get("actorgrpc") or {}).get(key)
    peers = [(label, (results.get(col) or {}).get(key)) for col, label in PEERS]
    peers = [(label, v) for label, v in peers if v is not None]
    if ours is None or not peers:
        return "n/a", None
    pick = max if higher_better else min
    best_label, best = pick(peers, key=lambda p: p[1])
    if ours == 0 or best == 0:
        return "n/a", None
    factor = ours / best if higher_better else best / ours  # > 1: actorgrpc is ahead
    text = f"{'yes' if factor > 1 else 'no'} ({factor:.2f}× vs {best_label})"
    return text, {
        "ahead": factor > 1,
        "factor": round(factor, 3),
        "best_peer": best_label,
        "best_peer_value": best,
    }


def load(directory: Path, col: str):
    path = directory / f"{col}.json"
    status_path = directory / f"{col}.status"
    status = status_path.read_text().strip() if status_path.exists() else "not run"
    result = None
    if path.exists():
        # The last line that parses is the result; anything before it is noise.
        for line in reversed(path.read_text().splitlines()):
            line = line.strip()
            if line.startswith("{"):
                try:
                    result = json.loads(line)
                    break
                except json.JSONDecodeError:
                    continue
    if result is None and status == "ok":
        status = "no JSON object in output"
    return result, status


def table(results, statuses) -> tuple[str, dict]:
    header = ["metric"] + [label for _, label in COLUMNS] + ["actorgrpc ahead of best peer?"]
    lines, verdicts = [], {}
    for key, unit, higher in ROWS:
        text, details = verdict(results, key, higher)
        verdicts[key] = details
        name = f"{key} ({unit}, {'higher' if higher else 'lower'} is better)"
        lines.append([name] + [cell(results.get(col), key) for col, _ in COLUMNS] + [text])
    widths = [max(len(r[i]) for r in [header] + lines) for i in range(len(header))]

    def row(r):
        return "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=False)).rstrip()

    out = [row(header), row(["-" * w for w in widths])] + [row(r) for r in lines]
    out.append("")
    out.append("value = median [min–max over repetitions]")
    ours = results.get("actorgrpc") or {}
    if ours.get("raw_grpc_process_50_s") is not None:
        # What any gRPC-Python process costs here, measured in actorgrpc's run.
        out.append("floor of the gRPC contract (a bare grpc.aio process, same actorgrpc run): "
                   f"50 at once {cell(ours, 'raw_grpc_process_50_s')} s, "
                   f"idle USS {cell(ours, 'raw_grpc_process_uss_mb')} MB")
    for col, label in COLUMNS:
        r = results.get(col)
        version = f" {r.get('version')}" if r and r.get("version") else ""
        errors = r.get("errors") if r else None
        note = f"; workload errors: {errors}" if errors else ""
        out.append(f"{label}{version}: {statuses[col]}{note}")
    return "\n".join(out), verdicts


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir", type=Path, help="folder with <column>.json and <column>.status")
    parser.add_argument("--out", type=Path, help="write the combined JSON here")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()

    results, statuses = {}, {}
    for col, _ in COLUMNS:
        results[col], statuses[col] = load(args.dir, col)
    text, verdicts = table(results, statuses)
    print(text)

    if args.out:
        load_start = args.dir / "loadavg.start"
        combined = {
            "generated": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "quick": args.quick,
            "machine": {
                "cpus": os.cpu_count(),
                "loadavg_start": (load_start.read_text().split()[:3]
                                  if load_start.exists() else None),
                "loadavg_end": [f"{x:.2f}" for x in os.getloadavg()],
            },
            "status": statuses,
            "results": results,
            "actorgrpc_vs_best_peer": verdicts,
        }
        args.out.write_text(json.dumps(combined, indent=2, ensure_ascii=False) + "\n")
        print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
