"""Starts EXEC actors: programs in any language that speak the actor protocol.

The program is one the operator registered (``actorgrpc.supervisor.programs``). It learns who
it is from an ``ActorBoot`` message (protobuf JSON) on an inherited file descriptor
named by ``ACTORGRPC_BOOT_FD``; its stdin is a pipe the arbiter holds, so end of file
tells it the arbiter is gone; its output goes to its log file. See
docs/actor-protocol.md, section 3.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from typing import TYPE_CHECKING

from google.protobuf import json_format

from actorgrpc.actor.process import MAX_PAYLOAD_BYTES
from actorgrpc.contract.errors import InvalidArgument, SpawnError
from actorgrpc.contract.values import to_struct
from actorgrpc.supervisor.handles import SubprocessHandle
from actorgrpc.supervisor.launchers.payload import output_path
from actorgrpc.supervisor.launchers.python_process import ExitWatchers, start_child
from actorgrpc.v1 import monitor_pb2

if TYPE_CHECKING:
    from actorgrpc.supervisor.arbiter import Arbiter
    from actorgrpc.supervisor.protocols import LaunchRecord

__all__ = ["ExecLauncher", "BOOT_FD_VARIABLE", "actor_boot"]

BOOT_FD_VARIABLE = "ACTORGRPC_BOOT_FD"


def actor_boot(arbiter: Arbiter, record: LaunchRecord) -> monitor_pb2.ActorBoot:
    """What the program of ``record`` is told at start."""
    security = arbiter.security
    boot = monitor_pb2.ActorBoot(
        aid=record.aid, name=record.name, monitor_address=arbiter.address,
        secret=record.secret, mailbox_host=arbiter.actor_host,
        credential=security.credential, max_message_bytes=arbiter.max_message_bytes,
        monitor=record.monitor.aid if record.monitor else "arbiter",
        extra=to_struct(record.spec.extra, "extra"))
    if security.operator_auth:
        for digest, role in security.tokens.entries:
            boot.accepted_tokens.add(sha256_hex=digest.hex(), role=int(role))
    tls = security.tls
    if tls is not None:
        boot.tls.CopyFrom(monitor_pb2.TlsFiles(
            cert_file=tls.cert_file, key_file=tls.key_file,
            ca_file=tls.ca_file or tls.cert_file, client_ca_file=tls.client_ca_file,
            server_name=tls.server_name))
    return boot


class ExecLauncher:
    """Starts the registered program of an EXEC actor and reports its exit."""

    def __init__(self, arbiter: Arbiter) -> None:
        self.arbiter = arbiter
        self.exits = ExitWatchers()

    async def start(self, record: LaunchRecord) -> None:
        program = self.arbiter.programs.get(record.spec.program)
        boot = json_format.MessageToJson(actor_boot(self.arbiter, record),
                                         preserving_proto_field_name=True, indent=None)
        if len(boot) > MAX_PAYLOAD_BYTES:
            raise InvalidArgument(f"the boot message is {len(boot)} bytes, more than the "
                                  f"{MAX_PAYLOAD_BYTES} an actor may be started with (its "
                                  "`extra` is too large)")
        # The boot message holds secrets: on an unlinked file only the child inherits.
        with tempfile.TemporaryFile() as boot_file:
            boot_file.write(boot.encode())
            boot_file.seek(0)
            env = dict(os.environ, **program.env,
                       **{BOOT_FD_VARIABLE: str(boot_file.fileno())})
            # A local file opened for appending: microseconds, cheaper than a thread hop.
            with open(output_path(record), "ab") as log:  # noqa: ASYNC230
                try:
                    process, exited = await start_child(
                        *program.command, stdin=subprocess.PIPE, stdout=log,
                        stderr=subprocess.STDOUT, env=env, cwd=program.cwd, close_fds=True,
                        pass_fds=(boot_file.fileno(),), start_new_session=True)
                except OSError as exc:
                    # The operator's program table names something that cannot run.
                    raise SpawnError(f"program {program.name!r} cannot be started: "
                                     f"{program.command[0]}: {exc.strerror or exc}") from None
        # Its stdin stays open in the handle until it exits: end of file tells the
        # program the arbiter is gone.
        record.launched(process.pid, SubprocessHandle(process))
        self.exits.watch(self.arbiter, record, exited)

    async def close(self) -> None:
        """Each actor is stopped through its record; then its exit watchers end."""
        await self.exits.close()
