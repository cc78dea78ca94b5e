"""Hosts as network namespaces on one bridge: run processes "on" them, cut them off, heal.

Needs root and iproute2. The layout of a :class:`Network`::

    namespace PREFIX-br:  bridge br0 ── v-h1 ── v-h2 ── v-driver ...   (no address)
                                         │       │       │
    namespace PREFIX-h1:           eth0 10.213.47.11      │
    namespace PREFIX-h2:                  eth0 10.213.47.12
    namespace PREFIX-driver:                       eth0 10.213.47.2

Every interface lives inside one of the run's namespaces (the veth pairs are created
in the bridge namespace with their peer sent straight into the host's), so deleting
the namespaces removes every interface: the root namespace is never touched, except
for one route that makes the subnet *unreachable* from it. That guard matters: the root
namespace knows nothing of the bridge and would send packets for these addresses out
of the machine's real interface; with the guard they fail at once (EHOSTUNREACH).
Tests must therefore talk to the hosts from inside a namespace (the ``driver`` one).

A partition is the host's bridge port set down: the host sees NO-CARRIER, and its
packets (and the others' packets to it) vanish silently, as on a real cut: TCP
connects and calls time out rather than being refused. There is no ``tc netem`` here.

Cleanup always happens: ``with Network(...)`` tears down on exit, whatever the
exit; a SIGTERM during the ``with`` is turned into KeyboardInterrupt so that it
unwinds too; a finalizer runs at interpreter exit if the ``with`` never ended. Names
carry a per-run prefix with the owner's pid (``agc<pid>-``), so a run killed with
SIGKILL leaves namespaces that the next run recognizes (their pid is dead) and
removes, with their processes, before it builds its own (:func:`clean_stale`).
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import re
import signal
import subprocess
import threading
import time
import weakref
from collections.abc import Iterator, Sequence
from typing import IO, Any

import psutil

#: Every namespace of this harness starts with this marker, then the owner's pid.
MARKER = "agc"
_NAME = re.compile(rf"^{MARKER}(\d+)-")
#: The subnet of the hosts. Private, and unreachable from the root namespace while a
#: network exists (the guard route).
SUBNET = "10.213.47.0/24"
IP = "/usr/sbin/ip" if os.path.exists("/usr/sbin/ip") else "ip"


class NetnsError(RuntimeError):
    """An ip(8) command failed."""


def _ip(*args: str, check: bool = True, timeout: float = 10.0) -> subprocess.CompletedProcess[str]:
    # 10 s: ip(8) answers in milliseconds; the bound only stops a hang from hiding.
    result = subprocess.run([IP, *args], capture_output=True, text=True, timeout=timeout,
                            stdin=subprocess.DEVNULL)
    if check and result.returncode != 0:
        raise NetnsError(f"ip {' '.join(args)}: {result.stderr.strip()}")
    return result


def list_namespaces() -> list[str]:
    """Every network namespace name known to ip(8) (``ip netns list``)."""
    out = _ip("netns", "list").stdout
    return [line.split()[0] for line in out.splitlines() if line.strip()]


def namespace_pids(namespace: str) -> list[int]:
    """The processes inside ``namespace`` (``ip netns pids``)."""
    result = _ip("netns", "pids", namespace, check=False)
    return [int(pid) for pid in result.stdout.split()]


def _kill_and_reap(pids: Sequence[int], timeout: float = 5.0) -> None:
    """SIGKILL ``pids`` and wait until they are gone (reaped if they are our children)."""
    procs = []
    for pid in pids:
        try:
            proc = psutil.Process(pid)
            proc.kill()
            procs.append(proc)
        except psutil.NoSuchProcess:
            pass
    # psutil.wait_procs reaps our own children and polls the others.
    _, alive = psutil.wait_procs(procs, timeout=timeout)
    if alive:
        raise NetnsError(f"processes survived SIGKILL: {[p.pid for p in alive]}")


def _route_guard(subnet: str, present: bool) -> None:
    if present:
        _ip("route", "replace", "unreachable", subnet)
    else:
        _ip("route", "del", "unreachable", subnet, check=False)


def _live_owners(exclude: int | None = None) -> set[int]:
    owners = set()
    for name in list_namespaces():
        match = _NAME.match(name)
        if match and int(match.group(1)) != exclude and psutil.pid_exists(int(match.group(1))):
            owners.add(int(match.group(1)))
    return owners


def clean_stale(*, everything: bool = False) -> list[str]:
    """Remove the namespaces (and their processes) of runs whose owner is dead.

    Returns the names removed. Runs of live processes are left alone, so two test
    runs at once do not break each other; ``everything`` removes those too (by hand,
    for a run that hangs).
    """
    removed = []
    for name in list_namespaces():
        match = _NAME.match(name)
        if match and (everything or not psutil.pid_exists(int(match.group(1)))):
            _kill_and_reap(namespace_pids(name))
            _ip("netns", "del", name, check=False)
            removed.append(name)
    if removed and not _live_owners():
        _route_guard(SUBNET, False)
    return removed


@dataclasses.dataclass(frozen=True)
class Host:
    """One "host": a namespace with one address on the bridge."""

    name: str        # short name: "h1", "driver"
    namespace: str   # ip netns name: "agc1234-h1"
    ip: str          # its address on the bridge
    port: str        # its bridge port (veth) in the bridge namespace


class Network:
    """A bridge and hosts as network namespaces; a context manager that always cleans up.

    ``hosts`` are named in order and get .11, .12, ...; ``driver`` (if not None) names
    one more namespace on the bridge, .2, from which tests reach the hosts.
    """

    def __init__(self, hosts: Sequence[str] = ("h1", "h2", "h3"), *,
                 driver: str | None = "driver", subnet: str = SUBNET) -> None:
        if os.geteuid() != 0:
            raise PermissionError("network namespaces need root")
        names = list(hosts) + ([driver] if driver else [])
        if len(set(names)) != len(names):
            raise ValueError(f"host names must be unique: {names}")
        for name in names:
            if not re.fullmatch(r"[a-z][a-z0-9]{0,9}", name):
                raise ValueError(f"host name {name!r}: 1-10 of [a-z0-9], a letter first")
        network = ipaddress.IPv4Network(subnet)
        self.subnet = str(network)
        self.prefix = f"{MARKER}{os.getpid()}-"
        self.bridge_namespace = f"{self.prefix}br"
        addresses = {name: str(network[11 + i]) for i, name in enumerate(hosts)}
        if driver:
            addresses[driver] = str(network[2])
        self.hosts: dict[str, Host] = {
            name: Host(name, f"{self.prefix}{name}", addresses[name], f"v-{name}")
            for name in names}
        self.driver = self.hosts[driver] if driver else None
        self._processes: list[subprocess.Popen[Any]] = []
        self._lock = threading.Lock()
        self._built = False
        self._previous_sigterm: Any = None
        # At interpreter exit, if teardown never ran (no `with`, or a crash in it).
        self._finalizer = weakref.finalize(self, _teardown_names, self.prefix,
                                           list(self._namespaces()), self.subnet)

    # ----------------------------------------------------------------- building

    def _namespaces(self) -> Iterator[str]:
        yield self.bridge_namespace
        for host in self.hosts.values():
            yield host.namespace

    def __enter__(self) -> Network:
        self._trap_sigterm()
        try:
            self.build()
        except BaseException:
            self.teardown()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.teardown()

    def build(self) -> None:
        """Create the namespaces, the bridge, a veth pair and an address per host."""
        clean_stale()
        _route_guard(self.subnet, True)
        self._built = True
        br = self.bridge_namespace
        _ip("netns", "add", br)
        _ip("-n", br, "link", "set", "lo", "up")
        _ip("-n", br, "link", "add", "br0", "type", "bridge")
        _ip("-n", br, "link", "set", "br0", "up")
        length = ipaddress.IPv4Network(self.subnet).prefixlen
        for host in self.hosts.values():
            _ip("netns", "add", host.namespace)
            _ip("-n", host.namespace, "link", "set", "lo", "up")
            _ip("-n", br, "link", "add", host.port, "type", "veth",
                "peer", "name", "eth0", "netns", host.namespace)
            _ip("-n", br, "link", "set", host.port, "master", "br0", "up")
            _ip("-n", host.namespace, "addr", "add", f"{host.ip}/{length}", "dev", "eth0")
            _ip("-n", host.namespace, "link", "set", "eth0", "up")

    def _trap_sigterm(self) -> None:
        # A SIGTERM (a CI runner giving up, `kill`) would end Python without running
        # `finally` blocks; as KeyboardInterrupt it unwinds through __exit__.
        if threading.current_thread() is threading.main_thread() and \
                signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
            def interrupt(signum: int, frame: object) -> None:
                raise KeyboardInterrupt(f"signal {signum}")
            self._previous_sigterm = signal.signal(signal.SIGTERM, interrupt)

    # ---------------------------------------------------------------- processes

    def host(self, name: str) -> Host:
        return self.hosts[name]

    def _argv(self, host: str, argv: Sequence[str]) -> list[str]:
        return [IP, "netns", "exec", self.hosts[host].namespace, *map(str, argv)]

    def popen(self, host: str, argv: Sequence[str], *, stdout: IO[Any] | int | None = None,
              stderr: IO[Any] | int | None = subprocess.STDOUT,
              env: dict[str, str] | None = None, cwd: str | None = None,
              text: bool = False) -> subprocess.Popen[Any]:
        """Start ``argv`` inside ``host`` in its own session; stopped at teardown.

        ``ip netns exec`` execs the command, so the Popen's pid is the command's and
        signals reach it directly (:meth:`stop`). Output goes to ``stdout`` (a file
        is better than a pipe for long-running processes: a full pipe blocks them).
        """
        process = subprocess.Popen(self._argv(host, argv), stdin=subprocess.DEVNULL,
                                   stdout=stdout, stderr=stderr, env=env, cwd=cwd,
                                   start_new_session=True, text=text)
        with self._lock:
            self._processes.append(process)
        return process

    def run(self, host: str, argv: Sequence[str], *, timeout: float,
            env: dict[str, str] | None = None,
            check: bool = False) -> subprocess.CompletedProcess[str]:
        """Run ``argv`` inside ``host`` to completion (killed after ``timeout`` s)."""
        process = self.popen(host, argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             env=env, text=True)
        try:
            out, err = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.stop(process, sig=signal.SIGKILL)
            raise
        result = subprocess.CompletedProcess(process.args, process.returncode, out, err)
        if check and result.returncode != 0:
            raise subprocess.CalledProcessError(result.returncode, process.args, out, err)
        return result

    def stop(self, process: subprocess.Popen[Any], *, sig: int = signal.SIGTERM,
             timeout: float = 5.0) -> int:
        """Signal the process's group, SIGKILL after ``timeout`` s, always wait. Exit code."""
        if process.poll() is None:
            try:
                os.killpg(process.pid, sig)
            except ProcessLookupError:
                pass
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                process.wait(10)  # SIGKILL cannot be refused; 10 s only guards a hang
        return process.returncode

    def pids(self, host: str | None = None) -> list[int]:
        """Processes inside ``host``'s namespace, or inside any of this network's."""
        names = [self.hosts[host].namespace] if host else list(self._namespaces())
        return [pid for name in names for pid in namespace_pids(name)]

    # --------------------------------------------------------------- partitions

    def cut(self, host: str) -> None:
        """Cut ``host`` off: its bridge port goes down; its traffic vanishes silently."""
        _ip("-n", self.bridge_namespace, "link", "set", self.hosts[host].port, "down")

    def heal(self, host: str) -> None:
        """Reconnect ``host`` (its bridge port up again)."""
        _ip("-n", self.bridge_namespace, "link", "set", self.hosts[host].port, "up")

    def is_cut(self, host: str) -> bool:
        out = _ip("-n", self.bridge_namespace, "-o", "link", "show", self.hosts[host].port).stdout
        return "state DOWN" in out or ",UP" not in out.split(">")[0]

    # ----------------------------------------------------------------- teardown

    def teardown(self) -> None:
        """Stop every process, delete every namespace, drop the guard route. Idempotent."""
        errors: list[str] = []
        with self._lock:
            processes, self._processes = self._processes, []
        for process in processes:
            try:
                self.stop(process, timeout=3.0)  # 3 s to exit cleanly, then SIGKILL
            except Exception as exc:  # noqa: BLE001 - keep going: the namespaces must go
                errors.append(f"stopping {process.args}: {exc}")
        try:
            _teardown_names(self.prefix, list(self._namespaces()), self.subnet)
        except Exception as exc:  # noqa: BLE001 - reported below with the others
            errors.append(str(exc))
        self._finalizer.detach()
        self._built = False
        if self._previous_sigterm is not None:
            signal.signal(signal.SIGTERM, self._previous_sigterm)
            self._previous_sigterm = None
        if errors:
            raise NetnsError("teardown: " + "; ".join(errors))

    def leftovers(self) -> dict[str, list[Any]]:
        """What of this network still exists (all empty after teardown)."""
        namespaces = [n for n in list_namespaces() if n.startswith(self.prefix)]
        # Nothing is ever created in the root namespace; this checks that it stayed so.
        links = [line for line in _ip("-o", "link", "show").stdout.splitlines()
                 if any(f" {h.port}@" in line or f" {h.port}:" in line
                        for h in self.hosts.values())]
        return {"namespaces": namespaces, "root_links": links,
                "processes": [pid for n in namespaces for pid in namespace_pids(n)]}


def _teardown_names(prefix: str, namespaces: list[str], subnet: str) -> None:
    """Kill what runs in ``namespaces``, delete them, drop the guard if no run is left."""
    present = set(list_namespaces())
    for name in namespaces:
        if name in present:
            _kill_and_reap(namespace_pids(name))
            _ip("netns", "del", name)
    owner = int(_NAME.match(prefix).group(1))  # type: ignore[union-attr]
    if not _live_owners(exclude=owner):
        _route_guard(subnet, False)


def wait_until(predicate: Any, timeout: float, what: str, interval: float = 0.05) -> None:
    """Poll ``predicate()`` until true, or raise TimeoutError after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"not within {timeout} s: {what}")
        time.sleep(interval)  # polling interval of a bounded wait


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m tests.cluster.netns clean [--all]``: remove what crashed runs left."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m tests.cluster.netns")
    parser.add_argument("command", choices=["clean", "list"])
    parser.add_argument("--all", action="store_true",
                        help="also the namespaces of runs that are still alive")
    args = parser.parse_args(argv)
    if args.command == "list":
        for name in list_namespaces():
            if _NAME.match(name):
                print(name, *namespace_pids(name))
        return 0
    removed = clean_stale(everything=args.all)
    if args.all:
        _route_guard(SUBNET, False)
    print(f"removed {len(removed)} namespace(s): {' '.join(removed) or '-'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
