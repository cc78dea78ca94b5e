"""Real arbiters on "hosts" (network namespaces), joined through a real etcd.

``ClusterRun`` starts an arbiter per host (``actorgrpc serve --etcd ... --cluster ...``
on the host's address), waits for each to say it serves, and runs the test client
(tests/cluster/cluster_driver.py) inside the driver namespace. ``close()`` stops every
arbiter (SIGTERM, then SIGKILL) and waits; the Network's teardown catches anything
left, and tests assert with psutil that nothing is.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import psutil

from actorgrpc.contract.consts import READY_LINE_PREFIX

from .etcd_server import EtcdCluster
from .netns import Network, wait_until

ROOT = Path(__file__).resolve().parents[2]
PORT = 7070
CLUSTER = "t"
FENCED = re.compile(r"cluster: fenced at monotonic ([0-9.]+)")


class ClusterRun:
    """Arbiters on ``hosts`` of ``network``, coordinated by ``etcd``."""

    def __init__(self, network: Network, etcd: EtcdCluster, hosts: list[str], tmp: Path, *,
                 ttl: int = 3, secure: bool = False, etcd_password: str = "") -> None:
        self.network, self.etcd, self.hosts, self.tmp, self.ttl = network, etcd, hosts, tmp, ttl
        self.processes: dict[str, subprocess.Popen] = {}
        #: Secure: every arbiter serves TLS and wants a token (the same files on every
        #: host, as docs/cluster.md tells operators), the driver presents them.
        self.secrets = tmp / "secrets" if secure else None
        self.etcd_password = etcd_password
        if self.secrets is not None:
            from actorgrpc.ops.provision import init_secrets

            init_secrets(str(self.secrets), [network.host(h).ip for h in hosts])
        self.journal = tmp / "journal.jsonl"  # start hooks of cluster_actors append here
        self.journal.touch()
        os.chmod(tmp, 0o755)

    def address(self, host: str) -> str:
        return f"{self.network.host(host).ip}:{PORT}"

    def log(self, host: str) -> Path:
        return self.tmp / f"arbiter-{host}.log"

    def start(self, host: str) -> None:
        argv = [sys.executable, "-m", "actorgrpc", "serve", "--bind", self.address(host),
                "--advertise", self.address(host),
                "--etcd", ",".join(self.etcd.endpoints), "--cluster", CLUSTER,
                "--lease-ttl", str(self.ttl), "-m", "tests.cluster.cluster_actors",
                "--run-dir", str(self.tmp / f"run-{host}"), *self._security_args()]
        with open(self.log(host), "a") as out:
            self.processes[host] = self.network.popen(host, argv, stdout=out, cwd=str(ROOT))

    def _security_args(self) -> list[str]:
        args = ["--insecure"] if self.secrets is None else [
            "--tls-cert", str(self.secrets / "tls.crt"), "--tls-key", str(self.secrets / "tls.key"),
            "--auth-token-file", str(self.secrets / "tokens")]
        if self.etcd_password:
            password = self.tmp / "etcd-password"
            password.write_text(self.etcd_password + "\n")
            args += ["--etcd-user", "root", "--etcd-password-file", str(password)]
        return args

    def driver_env(self) -> dict[str, str]:
        """The driver's environment: the admin token and CA of a secure cluster."""
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        if self.secrets is not None:
            tokens = (self.secrets / "tokens").read_text().split()
            env["ACTORGRPC_TOKEN"] = tokens[tokens.index("admin") + 1]
            env["CLUSTER_TLS_CA"] = str(self.secrets / "tls.crt")
        return env

    def start_all(self) -> None:
        for host in self.hosts:
            self.start(host)
        for host in self.hosts:
            self.wait_ready(host)

    def wait_ready(self, host: str) -> None:
        # 60 s: a Python start-up, the fork server, an etcd lease; three at once on two
        # loaded cores.
        wait_until(lambda: READY_LINE_PREFIX in self.log(host).read_text()
                   or self.processes[host].poll() is not None, 60, f"arbiter on {host}")
        assert self.processes[host].poll() is None, self.log(host).read_text()[-3000:]

    def drive(self, *args: str, timeout: float = 60) -> dict:
        """Run one cluster_driver command inside the driver namespace; its JSON line."""
        result = self.network.run("driver", [sys.executable, "-m", "tests.cluster.cluster_driver",
                                             *args], timeout=timeout,
                                  env=self.driver_env())
        lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
        assert lines, f"driver {args}: {result.returncode}\n{result.stderr[-3000:]}"
        return json.loads(lines[-1])

    def spawn(self, via: str, name: str, *, host: str | None = None, restart: str = "",
              journal: bool = False) -> dict:
        args = ["spawn", self.address(via), name]
        if host:
            args += ["--host", self.address(host)]
        if restart:
            args += ["--restart", restart]
        if journal:
            args += ["--start", "tests.cluster.cluster_actors:journal_start",
                     "--extra", json.dumps({"journal": str(self.journal)})]
        return self.drive(*args)

    def starts(self, name: str) -> list[dict]:
        """Incarnations of ``name`` that ran their start hook, in order."""
        lines = self.journal.read_text().splitlines()
        return [e for e in map(json.loads, lines) if e["name"] == name]

    def fenced_at(self, host: str) -> list[float]:
        return [float(m) for m in FENCED.findall(self.log(host).read_text())]

    def host_of(self, address: str) -> str:
        ip = address.rpartition(":")[0]
        return next(h for h in self.network.hosts if self.network.host(h).ip == ip)

    def stop(self, host: str) -> int | None:
        """SIGTERM the arbiter (it stops its actors), SIGKILL after 20 s; wait."""
        process = self.processes.get(host)
        if process is None:
            return None
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(20)  # a graceful stop takes ~1 s; 20 s bounds a hang
            except subprocess.TimeoutExpired:
                self.network.stop(process, sig=signal.SIGKILL)
        return process.returncode

    def kill_host(self, host: str) -> list[int]:
        """SIGKILL every process inside ``host``'s namespace; their pids."""
        pids = self.network.pids(host)
        procs = []
        for pid in pids:
            try:
                proc = psutil.Process(pid)
                proc.kill()
                procs.append(proc)
            except psutil.NoSuchProcess:
                pass
        psutil.wait_procs(procs, timeout=10)
        for process in self.processes.values():
            if process.pid in pids:
                process.wait(10)  # reap our child (the arbiter)
        return pids

    def close(self) -> None:
        for host in list(self.processes):
            self.stop(host)
