"""The fork server's own process: ``python -m actorgrpc.supervisor.launchers.forkserver_process``.

gRPC does not survive ``fork()`` once it runs, so the arbiter cannot fork actors
itself, and a fresh interpreter costs ~0.1 s just to import grpc. The arbiter starts
this small process instead (with fork+exec, like any child): it imports grpc,
protobuf, actorgrpc and the operator's modules, starts no thread, and forks each new
actor from there; a child starts with everything imported and shares those pages.
Started this way it can be started again: if it dies, the arbiter starts another.

It also keeps a few *standby* processes: forked in advance, each has bound its
mailbox server and connected to the arbiter, and waits to be told which actor to be.
The arbiter holds the other end of each standby's assignment socket, so a spawn is
one message from the arbiter straight to a standby.

Two sockets, inherited as file descriptors named on the command line:
  commands (stream; arbiter → server, one JSON object per line):
      {"op": "configure", "common": {...}, "standby": N}
      {"op": "spawn", "aid": ..., "spec": {...}}      (spec has its log_path)
      {"op": "taken", "pid": ...}                      (the arbiter used that standby)
  reports (seqpacket; server → arbiter, one JSON object per message, with fds):
      {"op": "spawned", "aid": ..., "pid": ...}        + [pidfd]
      {"op": "standby", "pid": ...}                    + [assignment socket, pidfd]
      {"op": "error", "aid": ..., "message": ...}
      {"op": "exited", "pid": ..., "code": ...}        (code < 0: -signal)
A pidfd is opened right after each fork, before the child can be reaped: the arbiter
signals its actors through them, so a signal can never reach a reused pid.
"""

from __future__ import annotations

import gc
import importlib
import json
import os
import selectors
import signal
import socket
import sys
import time
from typing import TYPE_CHECKING, Any

from actorgrpc.actor.process_control import die_with_parent, set_process_name

if TYPE_CHECKING:
    from collections.abc import Sequence

#: Seconds between taking a standby and forking its replacement: a new standby's
#: boot would compete for the CPU with the actor that just took the last one.
REFILL_DELAY = 0.05
#: Largest command line accepted (a spawn specification is at most 1 MiB).
MAX_COMMAND_BYTES = 2 * 1024 * 1024

#: Modules every actor process uses (beyond what the arbiter's modules import).
PRELOADED_MODULES = (
    "concurrent.futures.thread",  # asyncio's default executor
    "uvloop",
    "actorgrpc.actor.process",
    "actorgrpc.actor.heartbeat",
    "actorgrpc.actor.logs",
    "actorgrpc.client.mailbox",
    "actorgrpc.actor.system_info",
)


def _exit_code(status: int) -> int:
    if os.WIFSIGNALED(status):
        return -os.WTERMSIG(status)
    return os.WEXITSTATUS(status)


class ForkServerProcess:
    """The fork server's loop (never returns)."""

    def __init__(self, commands: socket.socket, reports: socket.socket, parent_pid: int):
        self.commands = commands
        self.reports = reports
        self.parent_pid = parent_pid
        self.buffer = b""
        self.children: set[int] = set()
        #: Settings shared by every actor (arbiter address, modules, ...), once known.
        self.common: dict[str, Any] | None = None
        self.standby_target = 0
        #: Warm processes waiting for an actor (the arbiter holds their sockets).
        self.standby: set[int] = set()
        #: When to fork replacements for standbys taken (monotonic), if due.
        self.refill_at: float | None = None

    def run(self) -> None:
        die_with_parent()
        if os.getppid() != self.parent_pid:
            os._exit(1)
        set_process_name("actor:forksrv", "actorgrpc: fork server")
        # A process group of our own: a signal sent to the arbiter's group (Ctrl-C in
        # a terminal, `timeout`, `tini -g`) reaches only the arbiter, which stops the
        # actors in order. We end with the arbiter anyway (parent-death signal, EOF).
        os.setpgid(0, 0)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        wake_read, wake_write = os.pipe()
        os.set_blocking(wake_write, False)
        signal.set_wakeup_fd(wake_write)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        selector = selectors.DefaultSelector()
        selector.register(self.commands, selectors.EVENT_READ, "commands")
        selector.register(wake_read, selectors.EVENT_READ, "signals")
        while True:
            timeout = None
            if self.refill_at is not None:
                timeout = max(0.0, self.refill_at - time.monotonic())
            for key, _ in selector.select(timeout):
                if key.data == "signals":
                    os.read(wake_read, 4096)
                else:
                    data = self.commands.recv(65536)
                    if not data:
                        os._exit(0)  # the arbiter is gone; PDEATHSIG ends our children
                    self._feed(data)
            self._reap()
            if self.refill_at is not None and time.monotonic() >= self.refill_at:
                self.refill_at = None
                self._refill()

    def _feed(self, data: bytes) -> None:
        self.buffer += data
        if len(self.buffer) > MAX_COMMAND_BYTES and b"\n" not in self.buffer:
            os._exit(2)  # not the arbiter's protocol: nothing sensible to do
        while b"\n" in self.buffer:
            line, _, self.buffer = self.buffer.partition(b"\n")
            request = json.loads(line)
            op = request.get("op")
            if op == "spawn":
                self._spawn(request)
            elif op == "taken":
                self.standby.discard(request["pid"])
                if self.refill_at is None:
                    self.refill_at = time.monotonic() + REFILL_DELAY
            elif op == "configure":
                self._configure(request["common"], int(request.get("standby", 0)))

    def _configure(self, common: dict[str, Any], standby: int) -> None:
        """Import what every actor needs, once, here: children share the pages."""
        self.common = common
        self.standby_target = standby
        for entry in reversed(common.get("sys_path", [])):
            if entry not in sys.path:
                sys.path.insert(0, entry)
        for name in PRELOADED_MODULES:
            importlib.import_module(name)
        for name in common.get("modules", []):
            try:
                importlib.import_module(name)
            except BaseException as exc:  # noqa: BLE001 - a module may even sys.exit()
                # Preloading only saves each child the import: the fork server goes on,
                # and every child that needs the module fails its own import, reported
                # at its hello (the spawn fails with the real traceback).
                print(f"fork server: could not preload {name}: {exc!r}", file=sys.stderr,
                      flush=True)
        # Objects that exist now are shared with every actor: keep the collector off
        # them so it does not copy their pages into each child.
        gc.collect()
        gc.freeze()
        self._refill()

    def _report(self, message: dict[str, Any], fds: Sequence[int] = ()) -> None:
        try:
            socket.send_fds(self.reports, [json.dumps(message).encode()], list(fds))
        except OSError:
            os._exit(0)  # the arbiter is gone

    def _fork(self) -> tuple[int, int]:
        """Fork; in the parent: (pid, a pidfd on the child). The child returns (0, -1)."""
        pid = os.fork()
        if pid == 0:
            return 0, -1
        self.children.add(pid)
        # Opened before this process can reap the child (it reaps only in _reap):
        # the pidfd surely names our child, not a reused pid.
        return pid, os.pidfd_open(pid)

    def _spawn(self, request: dict[str, Any]) -> None:
        spec = request["spec"]
        try:
            log_fd = os.open(spec["log_path"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        except OSError as exc:
            self._report({"op": "error", "aid": request["aid"], "message": str(exc)})
            return
        pid, pidfd = self._fork()
        if pid == 0:
            _child_main(spec, log_fd, self)
        os.close(log_fd)
        self._report({"op": "spawned", "aid": request["aid"], "pid": pid}, [pidfd])
        os.close(pidfd)

    def _refill(self) -> None:
        """Fork standby processes up to the target; hand them to the arbiter."""
        while self.common is not None and len(self.standby) < self.standby_target:
            parent_end, child_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
            pid, pidfd = self._fork()
            if pid == 0:
                parent_end.close()
                null = os.open(os.devnull, os.O_WRONLY)
                _child_main(self.common, null, self, standby_socket=child_end)
            child_end.close()
            self.standby.add(pid)
            self._report({"op": "standby", "pid": pid}, [parent_end.fileno(), pidfd])
            parent_end.close()
            os.close(pidfd)

    def _reap(self) -> None:
        while self.children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            self.children.discard(pid)
            self.standby.discard(pid)  # a standby that died before being used
            self._report({"op": "exited", "pid": pid, "code": _exit_code(status)})


def _child_main(spec: dict[str, Any], log_fd: int, server: ForkServerProcess,
                standby_socket: socket.socket | None = None) -> None:
    """A new actor process (or standby), just forked from the fork server."""
    try:
        server.commands.close()
        server.reports.close()
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(log_fd, 1)
        os.dup2(log_fd, 2)
        os.close(null)
        os.close(log_fd)
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        die_with_parent()
        from actorgrpc.actor.process import run_in_this_process

        code = run_in_this_process(spec, standby_socket)
    except BaseException:  # noqa: BLE001 - the child's last words, then it exits
        import traceback

        traceback.print_exc()
        code = 1
    os._exit(code)


def main() -> None:
    commands_fd, reports_fd, parent_pid = (int(arg) for arg in sys.argv[1:4])
    commands = socket.socket(fileno=commands_fd)
    reports = socket.socket(fileno=reports_fd)
    try:
        ForkServerProcess(commands, reports, parent_pid).run()
    finally:
        os._exit(1)


if __name__ == "__main__":
    main()
