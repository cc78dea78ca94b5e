"""A fork server: a process forked from the arbiter before gRPC starts any thread.

gRPC does not survive ``fork()`` once it runs, so the arbiter cannot fork actors
itself; starting a fresh interpreter costs ~0.1 s just to import grpc. The fork
server is forked while the arbiter is still single-threaded (grpc, protobuf,
actorgrpc and the operator's modules imported, nothing started), and forks each new
actor from there: the child starts with everything imported and shares those pages.

It also keeps a few *standby* processes: forked in advance, each has already bound
its mailbox server and connected to the arbiter, and waits to be told which actor to
be; a spawn then costs one message instead of a fork and a boot.

Protocol on a Unix socket pair, one JSON object per line:
  arbiter → server  {"op": "configure", "common": {...}, "standby": N}
                    {"op": "spawn", "aid": ..., "spec": {...}, "log_path": ...}
  server → arbiter  {"op": "spawned", "aid": ..., "pid": ...}
                    {"op": "error", "aid": ..., "message": ...}
                    {"op": "exited", "pid": ..., "code": ...}   (code < 0: -signal)
"""

from __future__ import annotations

import asyncio
import gc
import importlib
import json
import logging
import os
import selectors
import signal
import socket
import sys
import threading
import time

from .process_control import die_with_parent

logger = logging.getLogger("actorgrpc.forkserver")

#: Seconds between taking a standby and forking its replacement.
REFILL_DELAY = 0.05


#: Modules every actor process uses (beyond what the arbiter already imported).
PRELOADED_MODULES = (
    "concurrent.futures.thread",  # asyncio's default executor
    "uvloop",
    "actorgrpc.child",
    "actorgrpc.heartbeat",
    "actorgrpc.logs",
    "actorgrpc.mailbox_client",
    "actorgrpc.process_actor",
    "actorgrpc.system_info",
)


def _preload() -> None:
    """Import what every actor process needs, once, here.

    A child then shares these modules with the fork server (copy-on-write) instead
    of importing its own copy: each fork starts sooner and uses less memory.
    """
    for name in PRELOADED_MODULES:
        importlib.import_module(name)


def _exit_code(status: int) -> int:
    if os.WIFSIGNALED(status):
        return -os.WTERMSIG(status)
    return os.WEXITSTATUS(status)


class ForkServerProcess:
    """The fork server's own loop (runs in the forked process; never returns)."""

    def __init__(self, sock: socket.socket, parent_pid: int):
        self.sock = sock
        self.parent_pid = parent_pid
        self.buffer = b""
        self.children: set[int] = set()
        #: Settings shared by every actor (arbiter address, modules, ...), once known.
        self.common: dict | None = None
        self.standby_target = 0
        #: Warm processes waiting for an actor: (pid, socket to assign it).
        self.standby: list[tuple[int, socket.socket]] = []
        #: When to fork replacements for standbys taken (monotonic), if due.
        self.refill_at: float | None = None

    def run(self) -> None:
        die_with_parent()
        if os.getppid() != self.parent_pid:
            os._exit(1)
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
        _preload()
        # Objects that exist now are shared with every actor: keep the collector off
        # them so it does not copy their pages into each child.
        gc.collect()
        gc.freeze()
        selector = selectors.DefaultSelector()
        selector.register(self.sock, selectors.EVENT_READ, "requests")
        selector.register(wake_read, selectors.EVENT_READ, "signals")
        while True:
            timeout = None
            if self.refill_at is not None:
                timeout = max(0.0, self.refill_at - time.monotonic())
            for key, _ in selector.select(timeout):
                if key.data == "signals":
                    os.read(wake_read, 4096)
                    self._reap()
                else:
                    data = self.sock.recv(65536)
                    if not data:
                        os._exit(0)  # the arbiter is gone; PDEATHSIG ends our children
                    self._feed(data)
            self._reap()
            if self.refill_at is not None and time.monotonic() >= self.refill_at:
                self.refill_at = None
                self._refill()

    def _feed(self, data: bytes) -> None:
        self.buffer += data
        while b"\n" in self.buffer:
            line, _, self.buffer = self.buffer.partition(b"\n")
            request = json.loads(line)
            if request.get("op") == "spawn":
                self._spawn(request)
                # Refill a little later: a new standby's boot would compete for the
                # CPU with the actor that just took the last one.
                if self.refill_at is None:
                    self.refill_at = time.monotonic() + REFILL_DELAY
            elif request.get("op") == "configure":
                self.common = request["common"]
                self.standby_target = int(request.get("standby", 0))
                self._refill()

    def _send(self, message: dict) -> None:
        self.sock.sendall(json.dumps(message).encode() + b"\n")

    def _spawn(self, request: dict) -> None:
        while self.standby:
            pid, assign = self.standby.pop(0)
            try:
                spec = dict(request["spec"], log_path=request["log_path"])
                assign.sendall(json.dumps(spec).encode() + b"\n")
            except OSError:
                continue  # that standby died: take the next, or fork
            finally:
                assign.close()
            self._send({"op": "spawned", "aid": request["aid"], "pid": pid})
            return
        try:
            log_fd = os.open(request["log_path"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        except OSError as exc:
            self._send({"op": "error", "aid": request["aid"], "message": str(exc)})
            return
        pid = os.fork()
        if pid == 0:
            _child_main(request["spec"], log_fd, self.sock)
        os.close(log_fd)
        self.children.add(pid)
        self._send({"op": "spawned", "aid": request["aid"], "pid": pid})

    def _refill(self) -> None:
        """Fork standby processes up to the target."""
        while self.common is not None and len(self.standby) < self.standby_target:
            parent_end, child_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
            pid = os.fork()
            if pid == 0:
                parent_end.close()
                for _, other in self.standby:
                    other.close()
                null = os.open(os.devnull, os.O_WRONLY)
                _child_main(self.common, null, self.sock, standby_socket=child_end)
            child_end.close()
            self.children.add(pid)
            self.standby.append((pid, parent_end))

    def _reap(self) -> None:
        while self.children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            self.children.discard(pid)
            for entry in [e for e in self.standby if e[0] == pid]:
                self.standby.remove(entry)  # a standby died before being used
                entry[1].close()
            self._send({"op": "exited", "pid": pid, "code": _exit_code(status)})


def _child_main(spec: dict, log_fd: int, server_sock: socket.socket,
                standby_socket: socket.socket | None = None) -> None:
    """A new actor process (or standby), just forked from the fork server."""
    try:
        server_sock.close()
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
        from .child import run_in_this_process

        code = run_in_this_process(spec, standby_socket)
    except BaseException:
        import traceback

        traceback.print_exc()
        code = 1
    os._exit(code)


class ForkServer:
    """The arbiter's handle on its fork server."""

    def __init__(self, pid: int, sock: socket.socket):
        self.pid = pid
        self.sock = sock
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.pending: dict[str, asyncio.Future] = {}
        self.on_exit = None  # callable(pid, code)
        self.alive = True
        self._task: asyncio.Task | None = None

    @classmethod
    def start(cls) -> "ForkServer":
        """Fork the server now. Call only while this process has a single thread."""
        if threading.active_count() != 1:
            raise RuntimeError("the fork server must be started before any thread")
        parent_sock, child_sock = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        parent_pid = os.getpid()
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            parent_sock.close()
            try:
                ForkServerProcess(child_sock, parent_pid).run()
            finally:
                os._exit(1)
        child_sock.close()
        return cls(pid, parent_sock)

    async def attach(self) -> None:
        """Start talking to the server from the arbiter's event loop."""
        self.sock.setblocking(False)
        self.reader, self.writer = await asyncio.open_connection(sock=self.sock)
        self._task = asyncio.ensure_future(self._read())

    def configure(self, common: dict, standby: int) -> None:
        """Tell the server the settings every actor shares; keep ``standby`` warm."""
        self.writer.write(json.dumps({"op": "configure", "common": common,
                                      "standby": standby}).encode() + b"\n")

    async def spawn(self, aid: str, spec: dict, log_path: str) -> int:
        """Fork an actor; return its pid."""
        if not self.alive:
            raise RuntimeError("the fork server is not running")
        future = asyncio.get_running_loop().create_future()
        self.pending[aid] = future
        self.writer.write(json.dumps({"op": "spawn", "aid": aid, "spec": spec,
                                      "log_path": log_path}).encode() + b"\n")
        try:
            return await future
        finally:
            self.pending.pop(aid, None)

    async def _read(self) -> None:
        try:
            while True:
                line = await self.reader.readline()
                if not line:
                    break
                message = json.loads(line)
                op = message["op"]
                if op == "spawned" or op == "error":
                    future = self.pending.get(message["aid"])
                    if future is not None and not future.done():
                        if op == "spawned":
                            future.set_result(message["pid"])
                        else:
                            future.set_exception(RuntimeError(message["message"]))
                elif op == "exited" and self.on_exit is not None:
                    self.on_exit(message["pid"], message["code"])
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            self.alive = False
            for future in self.pending.values():
                if not future.done():
                    future.set_exception(RuntimeError("the fork server died"))
            logger.info("fork server stopped")

    async def close(self) -> None:
        """Stop the server (it exits when its socket closes) and reap it."""
        if self.writer is not None:
            self.writer.close()
        else:
            self.sock.close()
        if self._task is not None:
            self._task.cancel()
        for _ in range(100):
            pid, _status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                break
            await asyncio.sleep(0.02)
        else:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
