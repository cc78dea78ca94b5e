"""Real etcd servers for the cluster tests: one member or several, local or in namespaces.

:class:`EtcdCluster` builds etcd's command lines, starts the members, waits until they
serve, finds the leader, stops, kills and restarts members, and always leaves no
process behind (``close()``, asserted by the fixtures with psutil). How a process is
started is a parameter: on this host by default, or through the network-namespace
harness (``EtcdCluster(..., popen=harness.popen_in(ns), run=harness.run_in(driver))``),
where readiness is probed with ``etcdctl`` from inside a namespace, since a namespace's
addresses must never be dialled from the root namespace.

etcd cannot listen on port 0 (it must advertise the port to its peers before it
listens), so local members get ports chosen at random below Linux's ephemeral range
(32768+, where the kernel picks ports for outgoing connections) and checked free with a
bind; a member that still loses the race exits with "address already in use", and
:meth:`EtcdCluster.start_local` tries again with other ports.
"""

from __future__ import annotations

import dataclasses
import json
import os
import pwd
import random
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING

import psutil

if TYPE_CHECKING:
    from .netns import Network

ETCD = shutil.which("etcd") or "/usr/bin/etcd"
ETCDCTL = shutil.which("etcdctl") or "/usr/bin/etcdctl"

# Starts a member's long-running process, its output to the open log file.
Popen = Callable[["EtcdMember", Sequence[str], IO[bytes]], "subprocess.Popen[bytes]"]
# Runs a short command to completion within a timeout (seconds).
Run = Callable[[Sequence[str], float], "subprocess.CompletedProcess[str]"]

# etcd's defaults (100 ms heartbeat, 1 s election timeout): the cluster layer will run
# with them, so the tests measure what production gets.
HEARTBEAT_MS = 100
ELECTION_TIMEOUT_MS = 1000

# A local member's client and peer ports come from here: below the ephemeral range.
_PORT_RANGE = (20000, 32000)


def local_popen(member: EtcdMember, argv: Sequence[str],
                log: IO[bytes]) -> subprocess.Popen[bytes]:
    """Start ``argv`` on this host in its own session (so it can be signalled as a group)."""
    return subprocess.Popen(list(argv), stdin=subprocess.DEVNULL, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)


def local_run(argv: Sequence[str], timeout: float) -> subprocess.CompletedProcess[str]:
    """Run ``argv`` on this host to completion."""
    return subprocess.run(list(argv), stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=timeout)


class PortInUse(RuntimeError):
    """A member could not bind its port: someone took it between the check and etcd."""


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_ports(count: int) -> list[int]:
    """``count`` distinct ports free on 127.0.0.1 now (etcd needs them fixed in advance)."""
    ports: list[int] = []
    while len(ports) < count:
        port = random.randrange(*_PORT_RANGE)
        if port not in ports and _port_is_free(port):
            ports.append(port)
    return ports


@dataclasses.dataclass
class EtcdMember:
    """One etcd member: where it listens, its data dir and log, its process when running."""

    name: str
    host: str
    client_port: int
    peer_port: int
    data_dir: Path
    log_path: Path
    scheme: str = "http"
    process: subprocess.Popen[bytes] | None = None
    member_id: int = 0  # etcd's id, known once it answered a status probe

    @property
    def endpoint(self) -> str:
        """``host:port`` of the client API (what EtcdClient takes)."""
        return f"{self.host}:{self.client_port}"

    @property
    def client_url(self) -> str:
        return f"{self.scheme}://{self.host}:{self.client_port}"

    @property
    def peer_url(self) -> str:
        return f"http://{self.host}:{self.peer_port}"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


class EtcdCluster:
    """Start, probe, break and stop a real etcd cluster (1 or more members)."""

    def __init__(self, members: Sequence[EtcdMember], *, popen: Popen = local_popen,
                 run: Run = local_run, tls: tuple[Path, Path, Path] | None = None,
                 client_cert: tuple[Path, Path] | None = None,
                 run_as: str | None = None, token: str = "actorgrpc-test",
                 extra_args: Sequence[str] = ()) -> None:
        """``tls``: (CA, server certificate, server key) files for the client API.
        ``client_cert``: (certificate, key) that clients must present (mutual TLS,
        signed by the same CA); etcdctl probes use it. ``run_as``: a user to run etcd
        as (the data dirs are given to it). ``extra_args``: more etcd flags."""
        self.members = list(members)
        self._popen, self._run = popen, run
        self.tls = tls
        self.client_cert = client_cert
        self.run_as = run_as
        self.token = token
        self.extra_args = list(extra_args)
        self.etcdctl_user: str | None = None  # "user:password" once auth is on
        #: Every etcd process this cluster ever started (restarts included).
        self.started_pids: list[int] = []

    @classmethod
    def start_local(cls, base_dir: Path, size: int = 1, *, attempts: int = 3,
                    ready_timeout: float = 30.0, **kwargs: object) -> EtcdCluster:
        """A cluster of ``size`` members on 127.0.0.1 with data under ``base_dir``, ready."""
        last: Exception | None = None
        for attempt in range(attempts):
            ports = free_ports(2 * size)
            scheme = "https" if kwargs.get("tls") else "http"
            members = [EtcdMember(
                name=f"m{i}", host="127.0.0.1", client_port=ports[2 * i],
                peer_port=ports[2 * i + 1], data_dir=base_dir / f"try{attempt}" / f"m{i}",
                log_path=base_dir / f"try{attempt}" / f"m{i}.log", scheme=scheme)
                for i in range(size)]
            cluster = cls(members, **kwargs)  # type: ignore[arg-type]
            try:
                cluster.start(ready_timeout=ready_timeout)
                return cluster
            except PortInUse as exc:
                cluster.close()
                last = exc
        raise RuntimeError(f"etcd could not get free ports in {attempts} attempts: {last}")

    @classmethod
    def in_network(cls, network: Network, hosts: Sequence[str], base_dir: Path,
                   **kwargs: object) -> EtcdCluster:
        """A member on each of ``hosts`` (named after it, ports 2379/2380 on its address),
        probed with etcdctl from the network's driver namespace. Not started yet."""
        assert network.driver is not None, "probes run in the driver namespace"
        driver = network.driver.name
        members = [EtcdMember(name=host, host=network.host(host).ip, client_port=2379,
                              peer_port=2380, data_dir=base_dir / host,
                              log_path=base_dir / f"{host}.log") for host in hosts]
        return cls(members,
                   popen=lambda member, argv, log: network.popen(member.name, argv, stdout=log),
                   run=lambda argv, timeout: network.run(driver, argv, timeout=timeout),
                   **kwargs)  # type: ignore[arg-type]

    # ------------------------------------------------------------------ starting

    @property
    def endpoints(self) -> list[str]:
        return [m.endpoint for m in self.members]

    def argv(self, member: EtcdMember) -> list[str]:
        """etcd's command line for ``member`` (initial flags are ignored on a restart)."""
        initial = ",".join(f"{m.name}={m.peer_url}" for m in self.members)
        argv = [
            ETCD, "--name", member.name, "--data-dir", str(member.data_dir),
            "--listen-client-urls", member.client_url,
            "--advertise-client-urls", member.client_url,
            "--listen-peer-urls", member.peer_url,
            "--initial-advertise-peer-urls", member.peer_url,
            "--initial-cluster", initial, "--initial-cluster-state", "new",
            "--initial-cluster-token", self.token,
            "--heartbeat-interval", str(HEARTBEAT_MS),
            "--election-timeout", str(ELECTION_TIMEOUT_MS),
            "--logger", "zap", "--log-outputs", "stderr",
        ]
        if self.tls is not None:
            _, cert, key = self.tls
            argv += ["--cert-file", str(cert), "--key-file", str(key)]
            if self.client_cert is not None:
                argv += ["--client-cert-auth", "--trusted-ca-file", str(self.tls[0])]
        argv += self.extra_args
        if self.run_as is not None:
            account = pwd.getpwnam(self.run_as)
            argv = ["setpriv", f"--reuid={account.pw_uid}", f"--regid={account.pw_gid}",
                    "--clear-groups", *argv]
        return argv

    def start_member(self, member: EtcdMember) -> None:
        """Start (or restart, on its existing data dir) one member; does not wait."""
        assert not member.running, f"{member.name} is already running"
        member.data_dir.parent.mkdir(parents=True, exist_ok=True)
        if self.run_as is not None:
            member.data_dir.mkdir(mode=0o700, exist_ok=True)
            account = pwd.getpwnam(self.run_as)
            os.chown(member.data_dir, account.pw_uid, account.pw_gid)
        with open(member.log_path, "ab") as log:
            member.process = self._popen(member, self.argv(member), log)
        self.started_pids.append(member.process.pid)

    def start(self, *, ready_timeout: float = 30.0) -> None:
        """Start every member and wait until each serves (raises, stopping them, if not)."""
        try:
            for member in self.members:
                self.start_member(member)
            self.wait_ready(self.members, timeout=ready_timeout)
        except BaseException:
            self.close()
            raise

    # ------------------------------------------------------------------- probing

    def etcdctl(self, *args: str, endpoints: Sequence[str] | None = None,
                timeout: float = 10.0) -> subprocess.CompletedProcess[str]:
        """Run etcdctl (v3 API) against ``endpoints`` (default: every member)."""
        argv = [ETCDCTL, "--endpoints", ",".join(endpoints or self.endpoints),
                "--dial-timeout", "1s", "--command-timeout", "2s"]
        if self.tls is not None:
            argv += ["--cacert", str(self.tls[0])]
        if self.client_cert is not None:
            argv += ["--cert", str(self.client_cert[0]), "--key", str(self.client_cert[1])]
        if self.etcdctl_user is not None:
            argv += ["--user", self.etcdctl_user]
        return self._run([*argv, *args], timeout)

    def _check_alive(self, members: Sequence[EtcdMember]) -> None:
        for member in members:
            if member.process is not None and member.process.poll() is not None:
                tail = member.log_tail()
                if "address already in use" in tail:
                    raise PortInUse(f"{member.name}: {tail.splitlines()[-1]}")
                raise RuntimeError(f"etcd {member.name} exited with {member.process.returncode}:"
                                   f"\n{tail}")

    def wait_ready(self, members: Sequence[EtcdMember] | None = None, *,
                   timeout: float = 30.0) -> None:
        """Poll until each of ``members`` reports healthy (it has a leader and serves)."""
        members = list(members or [m for m in self.members if m.running])
        deadline = time.monotonic() + timeout
        pending = list(members)
        while True:
            self._check_alive(members)
            still = []
            for member in pending:
                try:
                    result = self.etcdctl("endpoint", "health", endpoints=[member.endpoint],
                                          timeout=5.0)
                    healthy = result.returncode == 0
                except subprocess.TimeoutExpired:
                    healthy = False
                if not healthy:
                    still.append(member)
            pending = still
            if not pending:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"etcd not ready after {timeout} s: "
                                   + "; ".join(f"{m.name}: {m.log_tail(5)}" for m in pending))
            time.sleep(0.1)  # polling interval of a bounded wait, not a timing assumption

    def status(self, member: EtcdMember) -> dict[str, int]:
        """``member_id``, ``leader`` (0: none), ``raft_term``, ``revision`` of one member."""
        result = self.etcdctl("endpoint", "status", "-w", "json", endpoints=[member.endpoint])
        if result.returncode != 0:
            raise RuntimeError(f"etcdctl endpoint status {member.name}: {result.stderr}")
        status = json.loads(result.stdout)[0]["Status"]
        member.member_id = int(status["header"]["member_id"])
        return {"member_id": member.member_id, "leader": int(status.get("leader", 0)),
                "raft_term": int(status.get("raftTerm", 0)),
                "revision": int(status["header"].get("revision", 0))}

    def leader(self, *, timeout: float = 15.0) -> EtcdMember:
        """The member that leads now, once a running member names a running leader."""
        deadline = time.monotonic() + timeout
        while True:
            running = [m for m in self.members if m.running]
            views = {}
            for member in running:
                try:
                    views[member.name] = self.status(member)
                except (RuntimeError, subprocess.TimeoutExpired, ValueError, KeyError):
                    continue
            for member in running:
                view = views.get(member.name)
                if view and view["leader"] and view["leader"] == view["member_id"]:
                    return member
            if time.monotonic() > deadline:
                raise TimeoutError(f"no etcd leader among {[m.name for m in running]} "
                                   f"after {timeout} s: {views}")
            time.sleep(0.1)  # polling interval of a bounded wait

    def enable_auth(self, password: str) -> None:
        """Create the root user with ``password`` and turn authentication on."""
        for args in (("user", "add", f"root:{password}"), ("auth", "enable")):
            result = self.etcdctl(*args)
            if result.returncode != 0:
                raise RuntimeError(f"etcdctl {' '.join(args)}: {result.stderr}")
        self.etcdctl_user = f"root:{password}"

    # ------------------------------------------------------------------ stopping

    def pids(self) -> list[int]:
        return [m.process.pid for m in self.members if m.process is not None]

    def stop_member(self, member: EtcdMember, *, sig: int = signal.SIGTERM,
                    timeout: float = 10.0) -> None:
        """Signal ``member`` and wait for it to exit (SIGKILL if it outlives ``timeout``)."""
        process = member.process
        if process is None:
            return
        if process.poll() is None:
            try:
                os.killpg(process.pid, sig)
            except ProcessLookupError:
                pass
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)  # SIGKILL cannot be refused; 10 s is only a guard
        member.process = None

    def kill_member(self, member: EtcdMember) -> None:
        """SIGKILL: the member vanishes without a word, as when its host dies."""
        self.stop_member(member, sig=signal.SIGKILL)

    def restart_member(self, member: EtcdMember, *, ready_timeout: float = 30.0) -> None:
        """Start a stopped member again on its data dir, and wait until it serves."""
        self.start_member(member)
        self.wait_ready([member], timeout=ready_timeout)

    def close(self) -> None:
        """Stop every member (SIGTERM, then SIGKILL), and wait for each: no process left."""
        for member in self.members:
            self.stop_member(member)

    def assert_no_process_left(self, pids: Sequence[int]) -> None:
        """Fail if any of ``pids`` still exists (zombies count: they were not waited for)."""
        alive = [pid for pid in pids if psutil.pid_exists(pid)]
        assert not alive, f"etcd processes left behind: {alive}"
