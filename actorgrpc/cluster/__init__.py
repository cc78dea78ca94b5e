"""The cluster layer's infrastructure: etcd access for arbiters on several hosts.

Self-contained on purpose: it imports nothing from the rest of actorgrpc (only the
standard library, grpc and the etcd client library of the ``cluster`` extra), so the
arbiter's cluster logic can be built on it while the rest of the package moves.
"""

from .election import Election
from .errors import (
    EtcdAuthError,
    EtcdError,
    EtcdTimeout,
    EtcdUnavailable,
    LeaseLost,
    LeaseNotFound,
    WatchCompacted,
)
from .etcd import (
    DEFAULT_TIMEOUT,
    EtcdClient,
    Event,
    EventType,
    KeyValue,
    Range,
    TxnResult,
    Watch,
)
from .lease import Lease

__all__ = [
    "DEFAULT_TIMEOUT",
    "Election",
    "EtcdAuthError",
    "EtcdClient",
    "EtcdError",
    "EtcdTimeout",
    "EtcdUnavailable",
    "Event",
    "EventType",
    "KeyValue",
    "Lease",
    "LeaseLost",
    "LeaseNotFound",
    "Range",
    "TxnResult",
    "Watch",
    "WatchCompacted",
]
