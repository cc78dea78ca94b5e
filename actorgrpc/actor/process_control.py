"""Linux process controls (prctl) that every actorgrpc process uses.

The C library is loaded once, at import: the fork server imports this module
before it forks, so its children share it instead of loading it again.
"""

from __future__ import annotations

import ctypes
import signal

_PR_SET_PDEATHSIG = 1
_PR_SET_NAME = 15

_LIBC: ctypes.CDLL | None
try:
    _LIBC = ctypes.CDLL(None, use_errno=True)
except OSError:  # pragma: no cover - not a glibc system
    _LIBC = None


def _prctl(option: int, *args: int | bytes) -> None:
    """prctl(2), where the C library has it (Linux); nothing elsewhere."""
    prctl = getattr(_LIBC, "prctl", None)
    if prctl is not None:  # pragma: no branch - Linux only feature
        prctl(option, *args)


def die_with_parent() -> None:
    """Ask Linux to SIGKILL this process when its parent dies, even by SIGKILL."""
    _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def set_process_name(name: str, title: str | None = None) -> None:
    """Name the process twice: ``title`` (default ``name``) for its command line, as
    ``ps -ef``, ``pgrep -f`` and psutil's ``cmdline()`` show it; ``name`` (15 bytes at
    most) for ``ps -o comm``, ``pgrep`` and psutil's ``name()``.
    """
    # Imported here, not at the top: a client that imports actorgrpc never needs it,
    # and the fork server's first call loads it once for all its children.
    import setproctitle

    setproctitle.setproctitle(title or name)
    # setproctitle also sets the kernel's name to the title's first 15 bytes; the
    # short name is set after it so that it wins.
    _prctl(_PR_SET_NAME, name.encode()[:15], 0, 0, 0)


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` exists and has not exited (a zombie has)."""
    import psutil  # imported when needed: actor processes never call this

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
