"""How actors are started, one launcher per kind.

* process: forked by the fork server (``forkserver``), or a fresh interpreter
  (``python_process``) when there is none;
* exec: a program the operator registered (``exec``);
* thread: a thread of the arbiter (``thread``).
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING

from actorgrpc.contract.consts import KIND_EXEC, KIND_PROCESS, KIND_THREAD

if TYPE_CHECKING:
    from actorgrpc.supervisor.arbiter import Arbiter
    from actorgrpc.supervisor.launchers.forkserver import ForkServerLauncher
    from actorgrpc.supervisor.protocols import Launcher, LaunchRecord

__all__ = ["Launchers"]

logger = logging.getLogger("actorgrpc.supervision")


class Launchers:
    """The launchers of one arbiter; ``start(record)`` starts its actor."""

    def __init__(self, arbiter: Arbiter, *, fork_server: bool | None = None,
                 standby_actors: int | None = None) -> None:
        from actorgrpc.supervisor.launchers.exec import ExecLauncher
        from actorgrpc.supervisor.launchers.python_process import ProcessLauncher
        from actorgrpc.supervisor.launchers.thread import ThreadLauncher

        if fork_server is None:
            # ACTORGRPC_FORK_SERVER=0 starts every actor as a fresh interpreter
            # (slower; for debugging and for tests of that path).
            fork_server = os.environ.get("ACTORGRPC_FORK_SERVER", "1") != "0"
        if standby_actors is None:
            # Warm processes kept by the fork server so that a spawn takes a message,
            # not a fork and a boot (ACTORGRPC_STANDBY=0 turns them off).
            standby_actors = int(os.environ.get("ACTORGRPC_STANDBY", "2"))
        self.arbiter = arbiter
        self.use_fork_server = fork_server
        self.standby_actors = standby_actors
        self.by_kind: dict[str, Launcher] = {KIND_PROCESS: ProcessLauncher(arbiter),
                                             KIND_EXEC: ExecLauncher(arbiter),
                                             KIND_THREAD: ThreadLauncher(arbiter)}

    @property
    def fork_server(self) -> ForkServerLauncher | None:
        """The ForkServerLauncher, if process actors are forked."""
        from actorgrpc.supervisor.launchers.forkserver import ForkServerLauncher

        launcher = self.by_kind[KIND_PROCESS]
        return launcher if isinstance(launcher, ForkServerLauncher) else None

    async def open(self) -> None:
        """Start the fork server (once the arbiter's address is known)."""
        if not self.use_fork_server:
            return
        from actorgrpc.supervisor.launchers.forkserver import ForkServerLauncher

        launcher = ForkServerLauncher(self.arbiter, self.standby_actors)
        try:
            await launcher.open()
        except Exception as exc:  # noqa: BLE001 - degrade to fork+exec, loudly
            logger.warning("no fork server (%s); actors start with fork+exec", exc)
            return
        self.by_kind[KIND_PROCESS] = launcher

    async def start(self, record: LaunchRecord) -> None:
        await self.by_kind[record.kind].start(record)

    async def close(self) -> None:
        for launcher in self.by_kind.values():
            await launcher.close()
