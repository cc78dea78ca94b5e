"""Errors of the cluster layer's etcd access. The tree::

    EtcdError                 base of everything below
    ├── EtcdUnavailable       no member could serve the call (unreachable, refusing,
    │                         or cut off from its leader)
    ├── EtcdTimeout           the call's deadline passed (also a ``TimeoutError``);
    │                         for a write, whether it was applied is UNKNOWN: read back
    ├── EtcdAuthError         bad credentials, or a user without the permission
    ├── LeaseNotFound         etcd does not have the lease: expired or revoked
    ├── LeaseLost             our lease can no longer be trusted (see lease.py): stop
    │                         using what it holds
    └── WatchCompacted        the revision a watch needed was compacted: events were
                              lost; read the state again and watch from there
"""

from __future__ import annotations

__all__ = [
    "EtcdAuthError",
    "EtcdError",
    "EtcdTimeout",
    "EtcdUnavailable",
    "LeaseLost",
    "LeaseNotFound",
    "WatchCompacted",
]


class EtcdError(Exception):
    """Base of every error of the cluster layer's etcd access."""


class EtcdUnavailable(EtcdError):
    """No member could serve the call: unreachable, refusing, or without a leader."""


class EtcdTimeout(EtcdError, TimeoutError):
    """The call's deadline passed. For a write, whether it was applied is unknown."""


class EtcdAuthError(EtcdError):
    """Authentication failed, or the user lacks the permission for the call."""


class LeaseNotFound(EtcdError):
    """The lease does not exist (any more): it expired or was revoked."""


class LeaseLost(EtcdError):
    """Our lease expired, was revoked, or could not be renewed in time."""


class WatchCompacted(EtcdError):
    """The revision a watch had to resume from was compacted: events were lost."""

    def __init__(self, compact_revision: int) -> None:
        super().__init__(f"revision compacted up to {compact_revision}: read again and "
                         f"watch from the read's revision + 1")
        self.compact_revision = compact_revision
