"""A fork server: a process forked from the arbiter before gRPC starts any thread.

gRPC does not survive ``fork()`` once it runs, so the arbiter cannot fork actors
itself; starting a fresh interpreter costs ~0.1 s just to import grpc. The fork
server is forked while the arbiter is still single-threaded (grpc, protobuf,
actorgrpc and the operator's modules imported, nothing started), and forks each new
actor from there: the child starts with everything imported and shares those pages.

It also keeps a few *standby* processes: forked in advance, each has already bound
its mailbox server and connected to the arbiter, and waits to be told which actor to
be. The arbiter holds the other end of each standby's assignment socket (passed to
it over a second socket pair), so a spawn costs one message from the arbiter
straight to a standby: no fork, no boot, no hop through the fork server.

Protocol on a Unix socket pair, one JSON object per line:
  arbiter → server  {"op": "configure", "common": {...}, "standby": N}
                    {"op": "spawn", "aid": ..., "spec": {...}, "log_path": ...}
                    {"op": "taken", "pid": ...}    (the arbiter used that standby)
  server → arbiter  {"op": "spawned", "aid": ..., "pid": ...}
                    {"op": "error", "aid": ..., "message": ...}
                    {"op": "exited", "pid": ..., "code": ...}   (code < 0: -signal)
and on the standby socket pair, for each new standby, "PID\n" with the arbiter's
end of its assignment socket attached (SCM_RIGHTS). A standby reads one JSON line
(its spawn specification and ``log_path``) and becomes that actor; end of file
dismisses it.
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
from collections import deque

from actorgrpc.actor.process_control import die_with_parent

logger = logging.getLogger("actorgrpc.supervisor.forkserver")

#: Seconds between taking a standby and forking its replacement.
REFILL_DELAY = 0.05


#: Modules every actor process uses (beyond what the arbiter already imported).
PRELOADED_MODULES = (
    "concurrent.futures.thread",  # asyncio's default executor
    "uvloop",
    "actorgrpc.actor.process",
    "actorgrpc.actor.heartbeat",
    "actorgrpc.actor.logs",
    "actorgrpc.client.mailbox",
    "actorgrpc.actor.system_info",
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

    def __init__(self, sock: socket.socket, standby_sock: socket.socket, parent_pid: int):
        self.sock = sock
        #: Where the arbiter's ends of standby assignment sockets are sent.
        self.standby_sock = standby_sock
        self.parent_pid = parent_pid
        self.buffer = b""
        self.children: set[int] = set()
        #: Settings shared by every actor (arbiter address, modules, ...), once known.
        self.common: dict | None = None
        self.standby_target = 0
        #: Warm processes waiting for an actor (the arbiter holds their sockets).
        self.standby: set[int] = set()
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
            elif request.get("op") == "taken":
                self.standby.discard(request["pid"])
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
        try:
            log_fd = os.open(request["log_path"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        except OSError as exc:
            self._send({"op": "error", "aid": request["aid"], "message": str(exc)})
            return
        pid = os.fork()
        if pid == 0:
            self.standby_sock.close()
            _child_main(request["spec"], log_fd, self.sock)
        os.close(log_fd)
        self.children.add(pid)
        self._send({"op": "spawned", "aid": request["aid"], "pid": pid})

    def _refill(self) -> None:
        """Fork standby processes up to the target; hand their sockets to the arbiter."""
        while self.common is not None and len(self.standby) < self.standby_target:
            parent_end, child_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
            pid = os.fork()
            if pid == 0:
                parent_end.close()
                self.standby_sock.close()
                null = os.open(os.devnull, os.O_WRONLY)
                _child_main(self.common, null, self.sock, standby_socket=child_end)
            child_end.close()
            self.children.add(pid)
            self.standby.add(pid)
            try:
                socket.send_fds(self.standby_sock, [f"{pid}\n".encode()], [parent_end.fileno()])
            except OSError:
                pass  # the arbiter is going away; the standby gets end of file
            parent_end.close()

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
        from actorgrpc.actor.process import run_in_this_process

        code = run_in_this_process(spec, standby_socket)
    except BaseException:
        import traceback

        traceback.print_exc()
        code = 1
    os._exit(code)


class ForkServer:
    """The arbiter's handle on its fork server."""

    def __init__(self, pid: int, sock: socket.socket, standby_sock: socket.socket):
        self.pid = pid
        self.sock = sock
        self.standby_sock = standby_sock
        #: Standby processes ready to be assigned: pid → our end of its socket.
        self.standbys: dict[int, socket.socket] = {}
        self._standby_buffer = b""
        self._standby_fds: deque = deque()
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
        parent_standby, child_standby = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        parent_pid = os.getpid()
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            parent_sock.close()
            parent_standby.close()
            try:
                ForkServerProcess(child_sock, child_standby, parent_pid).run()
            finally:
                os._exit(1)
        child_sock.close()
        child_standby.close()
        return cls(pid, parent_sock, parent_standby)

    async def attach(self) -> None:
        """Start talking to the server from the arbiter's event loop."""
        self.sock.setblocking(False)
        self.reader, self.writer = await asyncio.open_connection(sock=self.sock)
        self._task = asyncio.ensure_future(self._read())
        self.standby_sock.setblocking(False)
        asyncio.get_running_loop().add_reader(self.standby_sock, self._receive_standbys)

    def _receive_standbys(self) -> None:
        """Take the sockets of new standby processes (one "PID\\n" line and fd each)."""
        try:
            data, fds, _flags, _address = socket.recv_fds(self.standby_sock, 4096, 64)
        except BlockingIOError:
            return
        except OSError:
            data, fds = b"", []
        self._standby_fds.extend(fds)
        if not data:
            asyncio.get_running_loop().remove_reader(self.standby_sock)
            return
        self._standby_buffer += data
        while b"\n" in self._standby_buffer:
            line, _, self._standby_buffer = self._standby_buffer.partition(b"\n")
            assign = socket.socket(fileno=self._standby_fds.popleft())
            assign.setblocking(False)
            self.standbys[int(line)] = assign

    def assign_standby(self, spec: dict) -> int | None:
        """Make a standby process the actor of ``spec`` (with ``log_path``): its pid,
        or None when no standby is ready (the caller forks one with ``spawn``)."""
        line = json.dumps(spec).encode() + b"\n"
        while self.standbys:
            pid, assign = self.standbys.popitem()
            try:
                # A few kilobytes into an empty socket buffer: sent at once, whole.
                sent = assign.send(line)
            except OSError:
                sent = 0  # that standby died: try the next
            finally:
                assign.close()
            self.writer.write(json.dumps({"op": "taken", "pid": pid}).encode() + b"\n")
            if sent == len(line):
                return pid
        return None

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
                elif op == "exited":
                    standby = self.standbys.pop(message["pid"], None)
                    if standby is not None:
                        standby.close()  # a standby that died before being used
                    elif self.on_exit is not None:
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
        """Stop the server (it exits when its socket closes) and reap it.

        Standby processes are dismissed: their sockets close, they read end of file.
        """
        for assign in self.standbys.values():
            assign.close()
        self.standbys.clear()
        try:
            asyncio.get_running_loop().remove_reader(self.standby_sock)
        except (RuntimeError, ValueError):
            pass
        self.standby_sock.close()
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
