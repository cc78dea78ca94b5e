"""The cluster layer's infrastructure: etcd access for arbiters on several hosts.

Self-contained on purpose: it imports nothing from the rest of actorgrpc (only the
standard library, grpc and the etcd client library of the ``cluster`` extra), so the
arbiter's cluster logic can be built on it while the rest of the package moves.
Importing it needs that extra (``pip install 'actorgrpc[cluster]'``).

Modules: etcd.py (EtcdClient: connection, deadlines, KV, transactions, leases),
watch.py (resuming watches), lease.py (keep-alive and loss), election.py (leader
election), model.py (the data), errors.py (the exception tree), _wire.py (etcd's
protos from the client library, and the mapping of gRPC errors).
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
from .etcd import DEFAULT_TIMEOUT, EtcdClient
from .lease import Lease
from .model import Event, EventType, KeyValue, Range, TxnResult
from .watch import Watch

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
