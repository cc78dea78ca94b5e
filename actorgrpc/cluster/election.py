"""Leader election on etcd, after etcd's own recipe (clientv3/concurrency.Election).

Each candidate creates ``{prefix}/{lease id}`` bound to its lease; the candidate whose
key has the lowest create revision leads. The others each wait for the deletion of the
next older key (not the leader's: no thundering herd), then check again. A leader's key
goes away when it resigns or when its lease is revoked or expires, so leadership moves
to the next candidate in creation order and there is never more than one leader in
etcd's view. A leader that cannot reach etcd learns it from its lease (lease.py): it
reports loss before etcd can expire the lease, so before anyone else can lead.

The leader's create revision (:attr:`Election.revision`) is a fencing token: a write
made "as the leader" can be guarded in a transaction by comparing the create revision
of :attr:`Election.key` with it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from .errors import LeaseLost
from .etcd import EtcdClient, EventType, KeyValue
from .lease import Lease

__all__ = ["Election"]


def _oldest(kvs: list[KeyValue]) -> KeyValue | None:
    return min(kvs, key=lambda kv: kv.create_revision, default=None)


class Election:
    """One candidate (this process) in the election ``name``.

    Made by :meth:`EtcdClient.election`.
    """

    def __init__(self, client: EtcdClient, name: str, lease: Lease,
                 value: str | bytes = b"") -> None:
        self._client = client
        self._lease = lease
        self.prefix = name.rstrip("/") + "/"
        #: Our candidate key: unique per lease, so it is ours alone.
        self.key = f"{self.prefix}{lease.id:016x}"
        self.value = value.encode() if isinstance(value, str) else bytes(value)
        #: Create revision of our key once campaigning (the fencing token), else 0.
        self.revision = 0

    async def campaign(self) -> None:
        """Become a candidate and return once we lead.

        Raises :class:`LeaseLost` if our lease is lost meanwhile (or our key vanished).
        Bound it with ``asyncio.timeout``: when cancelled, the candidacy is withdrawn.
        """
        if self._lease.lost:
            raise LeaseLost(f"cannot campaign: {self._lease.lost_reason}")
        client = self._client
        result = await client.create_if_absent(self.key, self.value, lease=self._lease)
        if not result.won:
            # Our key from an earlier campaign under the same lease: keep its place in
            # line, update its value.
            assert result.current is not None
            await client.put(self.key, self.value, lease=self._lease)
        assert result.current is not None
        self.revision = result.current.create_revision
        waiting = asyncio.ensure_future(self._wait_for_older_candidates())
        lost = asyncio.ensure_future(self._lease.wait_lost())
        try:
            await asyncio.wait([waiting, lost], return_when=asyncio.FIRST_COMPLETED)
            if waiting.done():
                waiting.result()  # raises what the wait raised
                return
            raise LeaseLost(f"lease lost while campaigning: {self._lease.lost_reason}")
        except BaseException:
            if not self._lease.lost:
                # Withdraw, as etcd's client does, so that a cancelled campaign does
                # not leave a candidate that nobody will ever resign; bounded.
                with contextlib.suppress(Exception):
                    await asyncio.shield(client.delete(self.key))
            self.revision = 0
            raise
        finally:
            for task in (waiting, lost):
                task.cancel()
            await asyncio.gather(waiting, lost, return_exceptions=True)

    async def _wait_for_older_candidates(self) -> None:
        client = self._client
        while True:
            candidates = await client.get_prefix(self.prefix)
            if not any(kv.key == self.key for kv in candidates.kvs):
                raise LeaseLost("our candidate key is gone (lease expired or revoked)")
            older = [kv for kv in candidates.kvs if kv.create_revision < self.revision]
            if not older:
                return
            # Wait for the next older candidate only; then look at the line again.
            previous = max(older, key=lambda kv: kv.create_revision)
            async with client.watch(previous.key,
                                    start_revision=candidates.revision + 1) as watch:
                async for events in watch:
                    if any(event.type is EventType.DELETE for event in events):
                        break

    async def is_leader(self) -> bool:
        """Whether our key is the oldest candidate now (a linearizable read)."""
        if not self.revision or self._lease.lost:
            return False
        leader = await self.leader()
        return leader is not None and leader.key == self.key

    async def leader(self) -> KeyValue | None:
        """The current leader's key (its value says who it is), or None."""
        return _oldest((await self._client.get_prefix(self.prefix)).kvs)

    async def resign(self) -> None:
        """Give up leadership or candidacy: the next candidate leads."""
        if self.revision:
            await self._client.delete(self.key)
            self.revision = 0

    async def observe(self) -> AsyncIterator[KeyValue | None]:
        """Yield the leader now, then each time it changes (None: no candidate)."""
        client = self._client
        snapshot = await client.get_prefix(self.prefix)
        candidates = {kv.key: kv for kv in snapshot.kvs}
        current = _oldest(list(candidates.values()))
        yield current
        async with client.watch_prefix(self.prefix,
                                       start_revision=snapshot.revision + 1) as watch:
            async for events in watch:
                for event in events:
                    if event.type is EventType.DELETE:
                        candidates.pop(event.key, None)
                    else:
                        candidates[event.key] = KeyValue(
                            key=event.key, value=event.value,
                            create_revision=event.create_revision,
                            mod_revision=event.revision, version=event.version,
                            lease=event.lease)
                leader = _oldest(list(candidates.values()))
                if leader != current:
                    current = leader
                    yield current
