"""The supervisor side: the arbiter, its supervision tree, registry, launchers and
services. Only the process that runs an arbiter imports it."""

import os

# The arbiter starts actor processes with fork+exec while gRPC runs. gRPC core's
# fork handlers are for fork without exec; run in the child between fork and exec
# they crash it now and then (SIGSEGV seen in 1 of 10 spawns of a program). Off,
# before gRPC initializes (at its first channel or server), here and, through the
# environment, in every child.
os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "0")
