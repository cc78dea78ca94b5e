"""Restart policies: which exits are restarted, how often, and after what delay.

Erlang/OTP's vocabulary, plus the backoff OTP lacks:

* restart type, per actor: ``permanent`` (always restarted), ``transient``
  (restarted only after an abnormal exit: non-zero code or a signal), ``temporary``
  (never restarted). An operator's Stop is never a crash: nothing is restarted.
* strategy, per monitor: ``one_for_one`` (restart the worker that died),
  ``one_for_all`` (stop and restart every worker), ``rest_for_one`` (restart the
  worker that died and the workers started after it, in order).
* intensity: at most ``max_restarts`` restarts within ``max_seconds``; one more and
  the supervisor gives up (GAVE_UP event, error logged, reported in info).
* backoff: the first restart of a worker that ran for at least ``stable_seconds``
  is immediate; each further quick crash doubles the delay from ``backoff_initial``
  up to ``backoff_max``, with ``±backoff_jitter`` (a fraction) of random jitter so
  that many crashing actors do not restart in lock step.
"""

from __future__ import annotations

import random
import time
from collections import deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass, fields
from typing import Any

from actorgrpc.contract.consts import TEMPORARY, TRANSIENT

ONE_FOR_ONE = "one_for_one"
ONE_FOR_ALL = "one_for_all"
REST_FOR_ONE = "rest_for_one"
STRATEGIES = (ONE_FOR_ONE, ONE_FOR_ALL, REST_FOR_ONE)


def should_restart(restart_type: str, exit_code: int | None, stop_requested: bool) -> bool:
    """Whether an actor that exited this way is restarted."""
    if stop_requested or restart_type == TEMPORARY:
        return False
    if restart_type == TRANSIENT:
        return exit_code != 0
    return True


@dataclass
class RestartPolicy:
    """How a supervisor (a monitor, or the arbiter for its own actors) restarts."""

    strategy: str = ONE_FOR_ONE
    max_restarts: int = 5
    max_seconds: float = 10.0
    backoff_initial: float = 0.1
    backoff_max: float = 10.0
    backoff_jitter: float = 0.2
    stable_seconds: float = 5.0

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> RestartPolicy:
        """Take this policy's keys out of ``params`` (validated by the schema:
        actorgrpc.contract.schema.RestartPolicyParams); leave the rest."""
        from pydantic import ValidationError

        from actorgrpc.contract.schema import RestartPolicyParams, invalid_argument

        names = {f.name for f in fields(cls)}
        values = {key: params.pop(key) for key in list(params) if key in names}
        try:
            model = RestartPolicyParams.model_validate(values)
        except ValidationError as error:
            raise invalid_argument(error, "restart policy") from None
        return cls(**model.model_dump())

    def as_dict(self) -> dict[str, str | float]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


class RestartTracker:
    """Counts restarts in the intensity window and computes backoff delays."""

    def __init__(self, policy: RestartPolicy, clock: Callable[[], float] = time.monotonic,
                 rng: Callable[[], float] = random.random) -> None:
        self.policy = policy
        self.clock = clock
        self.rng = rng
        self.recent: deque[float] = deque()
        #: Consecutive quick crashes, per worker key (slot or name).
        self.streaks: dict[Hashable, int] = {}
        self.total = 0

    def allow(self) -> bool:
        """Record one more restart; False when it would exceed the intensity."""
        now = self.clock()
        window = self.policy.max_seconds
        while self.recent and now - self.recent[0] > window:
            self.recent.popleft()
        if len(self.recent) >= self.policy.max_restarts:
            return False
        self.recent.append(now)
        self.total += 1
        return True

    def delay(self, key: Hashable, ran_for: float) -> float:
        """Seconds to wait before restarting ``key``, which ran ``ran_for`` seconds."""
        policy = self.policy
        if ran_for >= policy.stable_seconds:
            self.streaks[key] = 0
        streak = self.streaks.get(key, 0)
        self.streaks[key] = streak + 1
        if streak == 0:
            return 0.0
        base = min(policy.backoff_max, policy.backoff_initial * 2.0 ** (streak - 1))
        jitter = policy.backoff_jitter * (2 * self.rng() - 1)
        return max(0.0, base * (1 + jitter))
