"""The smallest EXEC actor: docs/actor-protocol.md section 3 with raw gRPC stubs only.

It does not use actorgrpc's own actor code (as a Go or Node.js program would not):
it reads ActorBoot from ACTORGRPC_BOOT_FD, serves MailboxService.Call, says hello with
its secret, beats, and exits on a stop order, on SIGTERM, or when stdin ends.
Its only commands: ping, echo, boot_view (what it was told, minus secrets), freeze
(stop beating: a hung actor).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys

import grpc
from google.protobuf import json_format, struct_pb2

from actorgrpc.v1 import actor_pb2, mailbox_pb2, mailbox_pb2_grpc, monitor_pb2, monitor_pb2_grpc


def read_boot() -> monitor_pb2.ActorBoot:
    with os.fdopen(int(os.environ["ACTORGRPC_BOOT_FD"]), "rb") as handle:
        return json_format.Parse(handle.read(), monitor_pb2.ActorBoot())


class Mailbox(mailbox_pb2_grpc.MailboxServiceServicer):
    def __init__(self, boot, frozen: asyncio.Event):
        self.boot = boot
        self.frozen = frozen

    def run(self, action: str, args: list):
        """A command's result; KeyError for an unknown one."""
        if action == "ping":
            return "pong"
        if action == "echo":
            return args[0]
        if action == "boot_view":
            view = json_format.MessageToDict(self.boot, preserving_proto_field_name=True)
            view.pop("secret", None)
            view.pop("credential", None)
            return view
        if action == "freeze":
            self.frozen.set()
            return None
        raise KeyError(action)

    async def Call(self, request, context):
        if request.target not in ("", self.boot.aid):
            await context.abort(grpc.StatusCode.NOT_FOUND, "not hosted here")
        try:
            result = self.run(request.action, json_format.MessageToDict(request.args))
        except KeyError:
            await context.abort(grpc.StatusCode.UNIMPLEMENTED,
                                f"unknown command {request.action!r}")
        value = struct_pb2.Value()
        json_format.ParseDict(result, value)
        return mailbox_pb2.CallResponse(result=value)

    async def Stream(self, request_iterator, context):
        async for request in request_iterator:
            replies = []
            for envelope in request.envelopes:
                reply = mailbox_pb2.Reply(id=envelope.id)
                if envelope.target not in ("", self.boot.aid):
                    reply.failure.CopyFrom(actor_pb2.Failure(code=5, message="not hosted",
                                                             type="ActorNotHosted"))
                else:
                    form = envelope.WhichOneof("arguments")
                    calls = (json.loads(envelope.batch_args_json) if form == "batch_args_json"
                             else [json.loads(envelope.args_json) if form == "args_json"
                                   else json_format.MessageToDict(envelope.values.args) or []])
                    try:
                        results = [self.run(envelope.action, args) for args in calls]
                    except KeyError:
                        reply.failure.CopyFrom(actor_pb2.Failure(
                            code=12, message=f"unknown command {envelope.action!r}"))
                    else:
                        if form == "batch_args_json":
                            reply.batch_results_json = json.dumps(results).encode()
                        elif form == "args_json":
                            reply.result_json = json.dumps(results[0]).encode()
                        else:
                            json_format.ParseDict(results[0], reply.result)
                if not envelope.tell:
                    replies.append(reply)
            if replies:
                await context.write(mailbox_pb2.StreamResponse(replies=replies))


async def watch_stdin(lost: asyncio.Event) -> None:
    reader = asyncio.StreamReader()
    await asyncio.get_running_loop().connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    await reader.read()  # returns at end of file: the arbiter is gone
    lost.set()


async def main() -> int:
    boot = read_boot()
    frozen = asyncio.Event()
    server = grpc.aio.server()
    mailbox_pb2_grpc.add_MailboxServiceServicer_to_server(Mailbox(boot, frozen), server)
    port = server.add_insecure_port(f"{boot.mailbox_host}:0")
    await server.start()
    metadata = (("authorization", f"Bearer {boot.credential}"),)
    channel = grpc.aio.insecure_channel(boot.monitor_address)
    call = monitor_pb2_grpc.MonitorServiceStub(channel).Heartbeat(metadata=metadata)
    running = monitor_pb2.Beat(state=actor_pb2.ACTOR_STATE_RUNNING)
    await call.write(monitor_pb2.HeartbeatRequest(hello=monitor_pb2.Hello(
        aid=boot.aid, name=boot.name, pid=os.getpid(), address=f"{boot.mailbox_host}:{port}",
        kind=actor_pb2.ACTOR_KIND_EXEC, secret=boot.secret, runtime="minimal-exec-actor",
        beat=running)))
    welcome = await call.read()
    interval = welcome.welcome.heartbeat_interval_seconds
    lost, stop = asyncio.Event(), asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)

    async def beat():
        while not frozen.is_set():
            await call.write(monitor_pb2.HeartbeatRequest(beat=running))
            await asyncio.sleep(interval)

    async def orders():
        while True:
            response = await call.read()
            if response is grpc.aio.EOF:
                lost.set()
                return
            if response.WhichOneof("message") == "stop":
                stop.set()
                return

    tasks = [asyncio.ensure_future(job) for job in (beat(), orders(), watch_stdin(lost))]
    waiters = [asyncio.ensure_future(event.wait()) for event in (stop, lost)]
    await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    code = 0 if stop.is_set() else 4
    for task in tasks + waiters:
        task.cancel()
    if code == 0:
        await call.write(monitor_pb2.HeartbeatRequest(beat=monitor_pb2.Beat(
            state=actor_pb2.ACTOR_STATE_STOPPING)))
        await call.done_writing()
    await server.stop(grace=0.5)
    return code


if __name__ == "__main__":
    os._exit(asyncio.run(main()))
