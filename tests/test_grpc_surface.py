"""Health checking and server reflection are always on."""

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc


async def test_health_reports_serving(arbiter_process):
    async with grpc.aio.insecure_channel(arbiter_process.address) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        for service in ("", "actorgrpc.v1.ArbiterService", "actorgrpc.v1.MonitorService",
                        "actorgrpc.v1.MailboxService"):
            response = await stub.Check(health_pb2.HealthCheckRequest(service=service))
            assert response.status == health_pb2.HealthCheckResponse.SERVING, service


async def test_reflection_lists_and_describes(arbiter_process):
    async with grpc.aio.insecure_channel(arbiter_process.address) as channel:
        stub = reflection_pb2_grpc.ServerReflectionStub(channel)
        requests = [reflection_pb2.ServerReflectionRequest(list_services=""),
                    reflection_pb2.ServerReflectionRequest(
                        file_containing_symbol="actorgrpc.v1.ArbiterService")]
        responses = [r async for r in stub.ServerReflectionInfo(iter(requests))]
    names = {s.name for s in responses[0].list_services_response.service}
    assert {"actorgrpc.v1.ArbiterService", "actorgrpc.v1.MonitorService",
            "actorgrpc.v1.MailboxService", "grpc.health.v1.Health",
            "grpc.reflection.v1alpha.ServerReflection"} <= names
    assert responses[1].file_descriptor_response.file_descriptor_proto


async def test_actor_processes_serve_health_and_reflection_too(client):
    proxy = await client.spawn(name="reflected")
    async with grpc.aio.insecure_channel(proxy.address) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        response = await stub.Check(health_pb2.HealthCheckRequest())
        assert response.status == health_pb2.HealthCheckResponse.SERVING
    await client.stop(proxy)
