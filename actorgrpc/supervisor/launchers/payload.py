"""What a Python actor process is told at start: its spawn specification, as JSON.

Sent over a pipe-like channel it inherits (never pickled, never in its environment
or command line). Without a record: only the settings every actor shares (what the
fork server's standby processes are prepared with).
"""

from __future__ import annotations

import json
import os
import sys
from typing import TYPE_CHECKING, Any

from actorgrpc.actor.process import MAX_PAYLOAD_BYTES
from actorgrpc.contract.errors import InvalidArgument

if TYPE_CHECKING:
    from actorgrpc.supervisor.arbiter import Arbiter
    from actorgrpc.supervisor.protocols import LaunchRecord

__all__ = ["spawn_payload", "encode_payload", "output_path", "MAX_PAYLOAD_BYTES"]


def output_path(record: LaunchRecord) -> str:
    """Where the actor's output goes: its log file; for a record without one (the
    spawner always gives one), nowhere, as for a standby's."""
    return os.devnull if record.log_path is None else record.log_path


def spawn_payload(arbiter: Arbiter, record: LaunchRecord | None = None) -> dict[str, Any]:
    """The payload of ``record`` (without one: what every actor shares), as a JSON
    object: its values are of any JSON type, as json.loads gives them back."""
    payload = {
        "arbiter_address": arbiter.address, "host": arbiter.actor_host,
        "modules": list(arbiter.hooks.modules),
        "max_message_bytes": arbiter.max_message_bytes,
        "max_pending_calls": arbiter.limits.max_pending_calls,
        "parent_pid": os.getpid(), "sys_path": [p for p in sys.path if p],
        "log_level": arbiter.log_level, "log_format": arbiter.log_format,
        **arbiter.security.to_spec(),
    }
    if record is not None:
        spec = record.spec
        payload.update({
            "aid": record.aid, "name": record.name, "secret": record.secret,
            "monitor": record.monitor.aid if record.monitor else "arbiter",
            "start": spec.start, "stopping": spec.stopping,
            "periodic_task": spec.periodic_task,
            "periodic_interval": spec.periodic_interval, "timeout": spec.timeout,
            "extra": spec.extra, "log_path": output_path(record),
        })
    return payload


def encode_payload(payload: dict[str, Any]) -> bytes:
    """The payload as one line of JSON; INVALID_ARGUMENT beyond MAX_PAYLOAD_BYTES."""
    data = json.dumps(payload, separators=(",", ":")).encode()
    if len(data) > MAX_PAYLOAD_BYTES:
        raise InvalidArgument(f"the spawn specification is {len(data)} bytes, more than the "
                              f"{MAX_PAYLOAD_BYTES} an actor may be started with (its "
                              "`extra` is too large)")
    return data
