"""An etcd lease kept alive by a task that says, in time, when it can no longer be trusted.

The point is fencing: a host holds names through its lease, and must stop using them
*before* etcd can expire the lease and let another host claim them. etcd expires a
lease TTL seconds after it *processed* the last renewal, and it can only have
processed it after we *sent* it; so "sent time of the last renewal that etcd
acknowledged + TTL" is a moment before which etcd cannot have expired the lease.
(A new etcd leader resets every lease to its full TTL, which only moves the real
expiry later.) :attr:`Lease.expires_at` is that moment on this host's monotonic clock;
the lease is declared lost ``loss_margin`` seconds before it, or as soon as etcd
answers that the lease is gone.

Renewals go every TTL/3 (etcd's own client does the same); one that fails is retried
quickly, each attempt bounded so that a member that swallows requests cannot make us
miss the moment of loss.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from .errors import LeaseLost

if TYPE_CHECKING:
    from .etcd import EtcdClient

__all__ = ["Lease", "LeaseLost"]

log = logging.getLogger(__name__)

# After a failed renewal, try again after this pause (doubled up to the cap): fast
# enough that two or three more tries fit in TTL/3 on a 5 s lease.
_RETRY_PAUSE = 0.1
_RETRY_PAUSE_MAX = 0.5


class Lease:
    """A granted lease (made by :meth:`EtcdClient.grant`), and its keep-alive task.

    ``id`` and ``ttl`` (the TTL etcd granted) identify it. ``lost`` turns True once,
    with ``lost_reason``; ``on_lost(lease)`` is then called and ``wait_lost()``
    returns. After a loss the keep-alive stops for good: get a new lease.
    """

    def __init__(self, client: EtcdClient, lease_id: int, ttl: int, *, granted_at: float,
                 loss_margin: float = 0.0,
                 on_lost: Callable[[Lease], None] | None = None) -> None:
        if not 0 <= loss_margin < ttl:
            raise ValueError(f"loss_margin must be in [0, ttl={ttl}), got {loss_margin}")
        self._client = client
        self.id = lease_id
        self.ttl = ttl
        self.loss_margin = loss_margin
        #: Monotonic time before which etcd cannot have expired the lease.
        self.expires_at = granted_at + ttl
        #: Successful renewals so far (for tests and metrics).
        self.renewals = 0
        self.lost_reason: str | None = None
        self._on_lost = on_lost
        self._lost_event = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def __repr__(self) -> str:
        state = f"lost: {self.lost_reason}" if self.lost else f"{self.remaining():.1f}s left"
        return f"<Lease {self.id:x} ttl={self.ttl} {state}>"

    @property
    def lost(self) -> bool:
        """True once the lease can no longer be trusted."""
        return self._lost_event.is_set()

    def remaining(self) -> float:
        """Seconds before which etcd cannot expire the lease (<= 0: it may be gone)."""
        return self.expires_at - time.monotonic()

    async def wait_lost(self) -> str:
        """Wait until the lease is lost; returns the reason."""
        await self._lost_event.wait()
        assert self.lost_reason is not None
        return self.lost_reason

    def start_keep_alive(self) -> None:
        """Renew every TTL/3 in a task until stopped or lost (grant() calls this)."""
        if self._task is None and not self.lost:
            self._client._track_lease(self, True)
            self._task = asyncio.get_running_loop().create_task(
                self._keep_alive(), name=f"etcd-lease-{self.id:x}")

    async def stop_keep_alive(self) -> None:
        """Stop renewing (the lease then expires after its TTL); not a loss."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass
        self._client._track_lease(self, False)

    async def revoke(self, *, timeout: float | None = None) -> bool:
        """Stop renewing and revoke: etcd deletes the lease's keys in one revision.

        Returns False if etcd no longer had the lease. Marks the lease lost
        ("revoked") either way, so that a fenced owner stops at once.
        """
        await self.stop_keep_alive()
        try:
            return await self._client.revoke(self.id, timeout=timeout)
        finally:
            self._declare_lost("revoked")

    def _declare_lost(self, reason: str) -> None:
        if self.lost:
            return
        self.lost_reason = reason
        self._lost_event.set()
        log.warning("etcd lease %x lost: %s", self.id, reason)
        if self._on_lost is not None:
            try:
                self._on_lost(self)
            except Exception:  # a callback's bug must not hide the loss from waiters
                log.exception("etcd lease %x: on_lost callback failed", self.id)

    def _loss_at(self) -> float:
        return self.expires_at - self.loss_margin

    async def _keep_alive(self) -> None:
        interval = self.ttl / 3
        next_renewal = self.expires_at - self.ttl + interval
        pause = _RETRY_PAUSE
        try:
            while True:
                now = time.monotonic()
                if now >= self._loss_at():
                    self._declare_lost(f"not renewed for {self.ttl} s (the lease's TTL)"
                                       if self.loss_margin == 0 else
                                       f"not renewed within {self.ttl - self.loss_margin:.2f} s "
                                       f"(TTL {self.ttl} s less the loss margin)")
                    return
                # Sleep until the next renewal, but wake for the moment of loss.
                await asyncio.sleep(max(0.0, min(next_renewal, self._loss_at()) - now))
                now = time.monotonic()
                if now >= self._loss_at():
                    continue
                sent = now
                # Bounded so that a swallowed request leaves time for another try.
                attempt = max(0.05, min(interval, self._loss_at() - now))
                try:
                    ttl = await self._client.keep_alive_once(self.id, timeout=attempt)
                except Exception as exc:  # noqa: BLE001 - EtcdError or a closed client: retried
                    log.info("etcd lease %x: renewal failed (%s), %.1f s left",
                             self.id, exc, self.remaining())
                    next_renewal = time.monotonic() + pause
                    pause = min(pause * 2, _RETRY_PAUSE_MAX)
                    continue
                if ttl <= 0:
                    self._declare_lost("expired (etcd no longer has it)")
                    return
                self.expires_at = sent + ttl
                self.renewals += 1
                pause = _RETRY_PAUSE
                next_renewal = sent + interval
        finally:
            if self._task is asyncio.current_task():
                self._task = None
                self._client._track_lease(self, False)
