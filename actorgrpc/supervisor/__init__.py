"""The supervisor side: the arbiter, its supervision tree, registry, launchers and
services. Only the process that runs an arbiter imports it."""

import logging
import os
import sys

# The arbiter starts processes with fork+exec while gRPC runs. gRPC core's fork
# handlers are for fork without exec; run in the child between fork and exec they
# crash it now and then (SIGSEGV in about 1 spawn of 10 of an EXEC program, seen
# here). gRPC reads the setting when it is imported: the command line sets it first
# thing; a program that embeds an arbiter must set it before it imports grpc.
if "grpc" in sys.modules and os.environ.get("GRPC_ENABLE_FORK_SUPPORT") is None:
    logging.getLogger("actorgrpc.arbiter").warning(
        "grpc was imported before GRPC_ENABLE_FORK_SUPPORT=0 was set: the processes this "
        "arbiter starts may crash between fork and exec; set it before importing grpc")
os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "0")  # for the processes it starts
