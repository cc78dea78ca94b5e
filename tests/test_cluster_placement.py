"""Placement without etcd: how a host's load is measured and rounded, and which host the
``least-loaded`` and ``local`` policies choose from what the members published."""

from __future__ import annotations

import os
from types import SimpleNamespace

import psutil
import pytest

from actorgrpc.contract.consts import KIND_EXEC, KIND_PROCESS, KIND_THREAD
from actorgrpc.supervisor import services
from actorgrpc.supervisor.cluster_placement import HostLoad, LoadMeter, choose_host
from actorgrpc.v1 import monitor_pb2

A, B, C = "10.0.0.1:7070", "10.0.0.2:7070", "10.0.0.3:7070"


def _member(step: object = 0) -> dict:
    return {"host": "?", "lease": 1, "load": {"cpu_step": step}}


def _names(**hosts: int) -> dict:
    """``count`` names owned by each host (keyword: a, b or c)."""
    by_key = {"a": A, "b": B, "c": C}
    return {f"{key}{i}": {"host": by_key[key]} for key, count in hosts.items()
            for i in range(count)}


@pytest.mark.parametrize(("cpu_percent", "cpus", "step"), [
    (0.0, 2, 0), (19.9, 2, 0), (20.0, 2, 1), (100.0, 2, 5), (199.0, 2, 9), (200.0, 2, 10),
    (450.0, 2, 10),  # more than the host has (a reading's rounding): capped
    (50.0, 1, 5), (-1.0, 4, 0),
])
def test_the_cpu_step_is_tenths_of_the_host_in_use(cpu_percent, cpus, step) -> None:
    assert HostLoad(cpu_percent=cpu_percent, cpus=cpus).cpu_step == step


def test_least_loaded_ranks_by_cpu_step_then_by_actors_then_this_host() -> None:
    members = {A: _member(), B: _member(), C: _member()}
    # Equal steps: the fewest actors; then the host that received the spawn; then by name.
    assert choose_host(members, _names(a=2, b=1, c=1), A, "least-loaded") == B
    assert choose_host(members, _names(a=1, b=1, c=1), C, "least-loaded") == C
    assert choose_host(members, {}, "10.0.0.9:7070", "least-loaded") == A
    # A busy host loses to idle ones with more actors; a busier one to a less busy one.
    members[A] = _member(step=3)
    assert choose_host(members, _names(b=5, c=4), A, "least-loaded") == C
    members[B], members[C] = _member(step=9), _member(step=5)
    assert choose_host(members, _names(b=0, c=9), B, "least-loaded") == A
    # Names of hosts that are no longer members are not counted anywhere.
    assert choose_host({B: _member()}, _names(a=3), A, "least-loaded") == B


@pytest.mark.parametrize("published", [None, "7", 7.5, -1, 11, "x", {"a": 1}])
def test_a_load_that_is_missing_or_malformed_counts_as_idle(published) -> None:
    members = {A: {"host": A, "load": {"cpu_step": published}}, B: {"host": B},
               C: {"host": C, "load": published}}
    assert choose_host(members, _names(a=0, b=1, c=1), B, "least-loaded") == A


def test_local_places_on_the_receiving_host_when_it_is_a_member() -> None:
    members = {A: _member(step=10), B: _member()}
    assert choose_host(members, _names(a=50), A, "local") == A
    assert choose_host(members, {}, C, "local") == A  # not a member: the first by name
    assert choose_host({}, {}, C, "least-loaded") == C  # no members read: here


def test_the_meter_adds_the_arbiters_cpu_to_its_process_actors_heartbeats() -> None:
    meter = LoadMeter(psutil.Process())
    assert meter.cpus == len(os.sched_getaffinity(0))

    def record(kind: str, cpu: float) -> SimpleNamespace:
        return SimpleNamespace(kind=kind, load=SimpleNamespace(cpu_percent=cpu))

    records = {"p": record(KIND_PROCESS, 40.0), "e": record(KIND_EXEC, 25.5),
               # A thread actor's beat reads the arbiter's own process: counted once, there.
               "t": record(KIND_THREAD, 99.0)}
    load = meter.measure(records)
    assert 65.5 <= load.cpu_percent < 65.5 + 100 * meter.cpus
    assert load.cpus == meter.cpus


@pytest.mark.parametrize(("reported", "kept"), [
    (float("nan"), 0.0), (float("inf"), 0.0), (float("-inf"), 0.0), (-5.0, 0.0),
    (1e12, services.MAX_CPU_PERCENT), (37.5, 37.5),
])
def test_a_heartbeats_cpu_is_bounded_at_intake(reported, kept) -> None:
    # Any program that speaks the protocol may beat: what it reports becomes its host's
    # published load, so NaN or 1e12 must not reach the placement (nor fail a step).
    _state, load = services._beat_of(monitor_pb2.Beat(cpu_percent=reported))
    assert load.cpu_percent == kept
    assert 0 <= HostLoad(cpu_percent=load.cpu_percent, cpus=1).cpu_step <= 10


@pytest.mark.parametrize("cpu_percent", [float("nan"), float("inf"), float("-inf")])
def test_a_step_of_a_load_that_is_not_finite_is_zero(cpu_percent) -> None:
    assert HostLoad(cpu_percent=cpu_percent, cpus=2).cpu_step == 0
