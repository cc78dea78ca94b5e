"""Process measurements (psutil) for info dictionaries and heartbeats."""

from __future__ import annotations

import os
import threading
from typing import TypedDict

import psutil

_process: psutil.Process | None = None


def current_process() -> psutil.Process:
    """The psutil handle of this process (created once; fork-safe)."""
    global _process
    if _process is None or _process.pid != os.getpid():
        _process = psutil.Process()
    return _process


class SystemInfo(TypedDict):
    """The ``system`` part of an actor's info."""

    process_id: int
    memory_rss: int
    memory_vms: int
    cpu_percent: float
    num_threads: int
    num_fds: int
    cpu_user_seconds: float
    cpu_system_seconds: float
    active_python_threads: int


def load() -> tuple[int, float]:
    """(resident memory in bytes, CPU percent of one core since the previous call)."""
    process = current_process()
    with process.oneshot():
        return process.memory_info().rss, process.cpu_percent(None)


def system_info() -> SystemInfo:
    """The ``system`` part of an actor's info."""
    process = current_process()
    with process.oneshot():
        memory = process.memory_info()
        return {
            "process_id": process.pid,
            "memory_rss": memory.rss,
            "memory_vms": memory.vms,
            "cpu_percent": process.cpu_percent(None),
            "num_threads": process.num_threads(),
            "num_fds": process.num_fds(),
            "cpu_user_seconds": process.cpu_times().user,
            "cpu_system_seconds": process.cpu_times().system,
            "active_python_threads": threading.active_count(),
        }
