"""ActorSummary and CrashReport messages built from what the arbiter knows.

The arbiter's records hold plain Python values; this is where they become
protobuf (for ListActors, GetActor, WatchActors) and where a summary becomes the
JSON that the CLI and the dashboard print, with the same state and kind names as
every client (see ``actorgrpc.contract.enums``).
"""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING, Any

from google.protobuf import json_format
from google.protobuf.timestamp_pb2 import Timestamp

from actorgrpc.contract.consts import (
    ACTOR_STATES,
    ARBITER_TARGET,
    KIND_ARBITER,
    OWN_PROCESS_KINDS,
    PERMANENT,
    TEMPORARY,
)
from actorgrpc.contract.enums import kind_to_wire, restart_to_wire, state_to_wire, wire_state_name
from actorgrpc.v1 import actor_pb2

if TYPE_CHECKING:
    from actorgrpc.actor.core import Actor
    from actorgrpc.contract.proxy import ActorProxy
    from actorgrpc.supervisor.cluster_routing import RemoteActor
    from actorgrpc.supervisor.record import ActorRecord

__all__ = ["summary_of", "crash_report_of", "summary_json", "timestamp"]


def timestamp(seconds: float) -> Timestamp:
    """A Timestamp for ``seconds`` since the epoch (unset for 0)."""
    stamp = Timestamp()
    if seconds:
        stamp.FromNanoseconds(int(seconds * 1e9))
    return stamp


def _ref(proxy: ActorProxy) -> actor_pb2.ActorRef:
    return actor_pb2.ActorRef(aid=proxy.aid, name=proxy.name, address=proxy.address,
                              state=state_to_wire(proxy.state))


def crash_report_of(record: ActorRecord) -> actor_pb2.CrashReport:
    """How a record's incarnation ended (call only once it has exited)."""
    from actorgrpc.supervisor.record import describe_exit

    return actor_pb2.CrashReport(
        exit_code=record.exit_code or 0, exit_description=describe_exit(record.exit_code),
        exited_at=timestamp(record.exited_at), stop_requested=record.stop_requested,
        failure=record.failure, output_tail=record.output_tail())


def summary_of(found: ActorRecord | Actor | RemoteActor) -> actor_pb2.ActorSummary:
    """The ActorSummary of a supervised record, or of an actor living in the arbiter."""
    from actorgrpc.supervisor.cluster_routing import RemoteActor
    from actorgrpc.supervisor.record import ActorRecord

    if isinstance(found, ActorRecord):
        return _record_summary(found)
    if isinstance(found, RemoteActor):
        return found.summary()
    return actor_pb2.ActorSummary(
        actor=_ref(found.proxy), kind=kind_to_wire(found.kind), pid=os.getpid(),
        monitor="" if found.kind == KIND_ARBITER else found.monitor_name,
        created_at=timestamp(found.created_at),
        uptime_seconds=round(time.time() - found.started_at, 3) if found.started_at else 0.0,
        processed=found.processed, mailbox_depth=found.mailbox_depth)


def _record_summary(record: ActorRecord) -> actor_pb2.ActorSummary:
    running = record.state == ACTOR_STATES.RUN
    load = record.load
    summary = actor_pb2.ActorSummary(
        actor=_ref(record.proxy), kind=kind_to_wire(record.kind), pid=record.pid,
        monitor=record.monitor.name if record.monitor else ARBITER_TARGET,
        created_at=timestamp(record.created_at),
        uptime_seconds=round(time.time() - record.started_at, 3)
        if running and record.started_at else 0.0,
        restarts=record.restarts,
        # As given, or its supervisor's default (OTP's: permanent workers, temporary
        # children of the arbiter).
        restart=restart_to_wire(record.spec.restart
                                or (PERMANENT if record.monitor else TEMPORARY)),
        backoff_seconds=round(record.backoff, 3),
        heartbeat_age_seconds=round(time.monotonic() - record.last_beat, 3)
        if record.kind in OWN_PROCESS_KINDS and record.is_alive() else 0.0,
        memory_rss_bytes=load.memory_rss_bytes, cpu_percent=load.cpu_percent,
        mailbox_depth=load.mailbox_depth, processed=load.processed,
        gave_up=record.gave_up, program=getattr(record.spec, "program", "") or "")
    if record.exit_code is not None:
        summary.crash_report.CopyFrom(crash_report_of(record))
    return summary


_INT64_FIELDS = ("memory_rss_bytes", "mailbox_depth", "processed")


def summary_json(summary: actor_pb2.ActorSummary) -> dict[str, Any]:
    """A summary as JSON for people and scripts: protobuf's JSON mapping with the
    field names of the .proto, and states, kinds and restart types by short name."""
    data = json_format.MessageToDict(summary, preserving_proto_field_name=True,
                                     always_print_fields_with_no_presence=True)
    data["actor"]["state"] = wire_state_name(summary.actor.state)
    # protobuf's JSON writes 64-bit integers as strings; these counts are numbers.
    for key in _INT64_FIELDS:
        data[key] = int(data[key])
    data["kind"] = data["kind"].removeprefix("ACTOR_KIND_").lower()
    data["restart"] = data["restart"].removeprefix("RESTART_TYPE_").lower()
    return data
