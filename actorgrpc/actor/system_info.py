"""Process measurements (psutil) for info dictionaries and heartbeats."""

from __future__ import annotations

import os
import threading

import psutil

_process: psutil.Process | None = None


def current_process() -> psutil.Process:
    """The psutil handle of this process (created once; fork-safe)."""
    global _process
    if _process is None or _process.pid != os.getpid():
        _process = psutil.Process()
    return _process


def load() -> tuple[int, float]:
    """(resident memory in bytes, CPU percent of one core since the previous call)."""
    process = current_process()
    with process.oneshot():
        return process.memory_info().rss, process.cpu_percent(None)


def system_info() -> dict:
    """The ``system`` part of an actor's info."""
    process = current_process()
    with process.oneshot():
        memory = process.memory_info()
        info = {
            "process_id": process.pid,
            "memory_rss": memory.rss,
            "memory_vms": memory.vms,
            "cpu_percent": process.cpu_percent(None),
            "num_threads": process.num_threads(),
            "num_fds": process.num_fds(),
            "cpu_user_seconds": process.cpu_times().user,
            "cpu_system_seconds": process.cpu_times().system,
        }
    info["active_python_threads"] = threading.active_count()
    return info
