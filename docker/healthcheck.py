"""Container health check: exit 0 when the arbiter's gRPC health service says SERVING.

Asks grpc.health.v1.Health/Check (the empty service name: the whole server) on the
port of ACTORGRPC_BIND, through loopback; ACTORGRPC_HEALTH_ADDRESS overrides it. The
health service needs no token; when the arbiter serves TLS (its certificate in
ACTORGRPC_SECRETS_DIR, default /app/secrets), the check trusts that certificate
under the name "localhost" (always in it). ACTORGRPC_INSECURE=1: plaintext.
"""

import os
import sys

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

#: Seconds the check may take; the HEALTHCHECK --timeout (5 s) is the outer bound.
CHECK_TIMEOUT = 3.0


def main() -> int:
    port = os.environ.get("ACTORGRPC_BIND", "0.0.0.0:7070").rpartition(":")[2]
    address = os.environ.get("ACTORGRPC_HEALTH_ADDRESS", f"127.0.0.1:{port}")
    certificate = os.path.join(os.environ.get("ACTORGRPC_SECRETS_DIR", "/app/secrets"),
                               "tls.crt")
    if os.environ.get("ACTORGRPC_INSECURE") != "1" and os.path.exists(certificate):
        with open(certificate, "rb") as handle:
            credentials = grpc.ssl_channel_credentials(handle.read())
        channel = grpc.secure_channel(address, credentials,
                                      options=[("grpc.ssl_target_name_override", "localhost")])
    else:
        channel = grpc.insecure_channel(address)
    try:
        with channel:
            reply = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=""), timeout=CHECK_TIMEOUT)
    except grpc.RpcError as exc:
        print(f"unhealthy: {address}: {exc.code().name}: {exc.details()}", file=sys.stderr)
        return 1
    status = health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)
    print(f"{address}: {status}")
    return 0 if reply.status == health_pb2.HealthCheckResponse.SERVING else 1


if __name__ == "__main__":
    sys.exit(main())
