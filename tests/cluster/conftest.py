"""Fixtures of the cluster tests: real etcd members, and the figures the tests measured.

These tests need etcd (scripts/cluster/install-etcd.sh) and, for the network
namespaces, root: they run through ``make test-cluster``, not with the rest of the
suite. A plain ``pytest`` (``make test``) does not collect them; naming this folder or
one of its files on the command line, or ACTORGRPC_CLUSTER_TESTS=1, does.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from .etcd_server import EtcdCluster
from .netns import MARKER, list_namespaces

HERE = Path(__file__).resolve().parent


def _asked_for(config: pytest.Config) -> bool:
    if os.environ.get("ACTORGRPC_CLUSTER_TESTS") == "1":
        return True
    for arg in config.args:
        path = Path(arg.split("::")[0]).resolve()
        if path == HERE or HERE in path.parents:
            return True
    return False


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    if collection_path.name.startswith("test_") and not _asked_for(config):
        return True
    return None


# ------------------------------------------------------------------ measured figures

_TIMINGS: list[tuple[str, str]] = []


class Timings:
    """Figures a test measured, printed together at the end of the run."""

    def __init__(self, test: str) -> None:
        self._test = test

    def record(self, what: str, seconds: float, note: str = "") -> None:
        suffix = f"  ({note})" if note else ""
        _TIMINGS.append((self._test, f"{what}: {seconds:.3f} s{suffix}"))


@pytest.fixture
def timings(request: pytest.FixtureRequest) -> Timings:
    return Timings(request.node.name)


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:  # noqa: ARG001
    if _TIMINGS:
        terminalreporter.section("cluster timings (measured in this run)")
        for test, line in _TIMINGS:
            terminalreporter.write_line(f"{test}: {line}")


# ----------------------------------------------------------------------- etcd members


def _require_etcd() -> None:
    if shutil.which("etcd") is None or shutil.which("etcdctl") is None:
        pytest.fail("etcd is not installed: run scripts/cluster/install-etcd.sh "
                    "(make test-cluster does)")


def _cluster(tmp_path: Path, size: int) -> Iterator[EtcdCluster]:
    _require_etcd()
    cluster = EtcdCluster.start_local(tmp_path / "etcd", size)
    try:
        yield cluster
    finally:
        cluster.close()
        cluster.assert_no_process_left(cluster.started_pids)


@pytest.fixture
def etcd1(tmp_path: Path) -> Iterator[EtcdCluster]:
    """A one-member etcd on 127.0.0.1, data in the test's temp folder; gone afterwards."""
    yield from _cluster(tmp_path, 1)


@pytest.fixture
def etcd3(tmp_path: Path) -> Iterator[EtcdCluster]:
    """A three-member etcd on 127.0.0.1 (one port pair each); gone afterwards."""
    yield from _cluster(tmp_path, 3)


@pytest.fixture(autouse=True)
def no_stray_children(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every test: fail if it leaves a process or a namespace of this run behind.

    Children of pytest (etcd members, ``ip netns exec`` processes, probes), alive or
    zombie, and network namespaces named after this pytest process. Tests on the
    module-wide cluster of test_arbiters.py (``shared``) are exempt: its processes
    outlive each of them, and its last test stops it and asserts that none is left.
    """
    if "shared" in request.fixturenames:
        yield
        return
    me = psutil.Process()
    before = {p.pid for p in me.children(recursive=True)}
    yield
    left = [p for p in me.children(recursive=True) if p.pid not in before]
    assert not left, f"processes left behind: {[(p.pid, p.name()) for p in left]}"
    mine = f"{MARKER}{os.getpid()}-"
    namespaces = [name for name in list_namespaces() if name.startswith(mine)]
    assert not namespaces, f"network namespaces left behind: {namespaces}"
