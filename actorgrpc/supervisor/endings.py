"""What happens when an actor ends: its name released, its supervisor told, the end
of its heartbeat stream judged, a hung thread actor abandoned."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, cast

from actorgrpc.contract.consts import ACTOR_STATES, OWN_PROCESS_KINDS
from actorgrpc.supervisor import events
from actorgrpc.supervisor.record import ActorRecord, describe_exit

if TYPE_CHECKING:
    from actorgrpc.supervisor.arbiter import Arbiter
    from actorgrpc.supervisor.handles import ThreadHandle

logger = logging.getLogger("actorgrpc.arbiter")

#: Seconds an actor whose heartbeat stream ended has to exit by itself before it is
#: stopped: its exit report follows the end of its stream within milliseconds.
STREAM_END_GRACE = 1.0


class Endings:
    """The arbiter's handling of actors that end (by exit, lost stream or hang)."""

    def __init__(self, arbiter: Arbiter) -> None:
        self.arbiter = arbiter

    def on_actor_exit(self, record: ActorRecord) -> None:
        """Called when an actor's process or thread is gone (once per record)."""
        if record.aid not in self.arbiter.registry.live:
            return
        self.arbiter.registry.release(record)
        if record.running.done() and not record.running.exception():
            record.publish(events.EXITED, describe_exit(record.exit_code))
        (record.monitor or self.arbiter.root).child_exited(record)
        if self.arbiter.cluster is not None:
            # Freed once no restart is coming (the supervisor said so just above).
            self.arbiter.cluster.name_maybe_free(record.name)
        # Logged once a restart has started: the replacement does not wait for it.
        asyncio.get_running_loop().call_soon(_log_exit, record)

    def on_stream_closed(self, record: ActorRecord) -> None:
        """An actor's heartbeat stream ended. For an actor with a process of its own
        that is its death: whatever is left of it (a process that lost its way) is
        stopped now, as a failure, so no record stays RUNNING for a dead process."""
        record.on_stream_closed()
        if record.kind in OWN_PROCESS_KINDS and record.exit_code is None \
                and not record.stop_requested and not self.arbiter.after_run():
            self.arbiter.keep_task(asyncio.ensure_future(self._end_streamless(record)),
                           "stop an actor whose stream ended")

    async def _end_streamless(self, record: ActorRecord) -> None:
        # Usually its process just exited and its exit is on the way: wait for it
        # before calling it a failure and stopping what is left. One that said it was
        # stopping (a stop command) gets the time a stop may take.
        stopping = record.state >= ACTOR_STATES.STOPPING
        if await record.join(self.arbiter.action_timeout if stopping else STREAM_END_GRACE):
            return
        record.failure = record.failure or "its heartbeat stream ended"
        await record.stop("heartbeat stream ended", requested=False)

    def abandon_thread(self, record: ActorRecord, why: str = "") -> None:
        """A hung thread actor: a thread cannot be killed, so it is left behind, its
        mailbox closed, its record exited (its restart policy applies)."""
        # A thread actor's record holds a ThreadHandle.
        handle = cast("ThreadHandle | None", record.handle)
        actor = handle.actor if handle is not None else None
        if actor is not None:
            self.arbiter.mailbox_host.remove(actor)
            if why:
                record.failure = record.failure or why
            try:
                actor.stop_soon("hung: abandoned by its supervisor")
            except RuntimeError:
                pass  # its loop is closed: the thread is ending
        record.on_exit(1)
        self.on_actor_exit(record)


def _log_exit(record: ActorRecord) -> None:
    if record.stop_requested:
        logger.info("%s(%s) stopped (%s)", record.name, record.aid, record.exit_code,
                    extra={"actor": record})
    else:
        logger.warning("%s(%s) exited unexpectedly with %s", record.name, record.aid,
                       record.exit_code, extra={"actor": record})
