"""The cluster tests' client, run inside the driver namespace (the root namespace must
never dial a host's address). One command per run; prints one JSON line.

    python -m tests.cluster.cluster_driver spawn ARBITER NAME [--host H] [--restart R]
    python -m tests.cluster.cluster_driver contend NAME ARBITER...   (each pins itself)
    python -m tests.cluster.cluster_driver send ARBITER TARGET ACTION [ARG...]
    python -m tests.cluster.cluster_driver until ARBITER TARGET --seconds S [--not-at IP]
    python -m tests.cluster.cluster_driver sends ARBITER TARGET --seconds S
    python -m tests.cluster.cluster_driver list ARBITER
    python -m tests.cluster.cluster_driver watch ARBITER PREFIX --via ARBITER --on HOST...
    python -m tests.cluster.cluster_driver info ARBITER TARGET
    python -m tests.cluster.cluster_driver stop ARBITER TARGET

With ``CLUSTER_TLS_CA`` set, every connection uses TLS with that CA (and
``ACTORGRPC_TOKEN``, read by actorgrpc.connect, the token).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time

import actorgrpc
from actorgrpc.v1 import arbiter_pb2


def emit(**fields: object) -> None:
    print(json.dumps(fields), flush=True)


def _connect(address: str) -> actorgrpc.Client:
    return actorgrpc.connect(address, tls=os.environ.get("CLUSTER_TLS_CA") or None)


async def watch(args: argparse.Namespace) -> None:
    """Watch the cluster on one arbiter while actors named PREFIX-<i> are spawned on
    ``--on`` hosts through ``--via`` and stopped through the watched arbiter (Stop of a
    remote name); print the events seen (type, name, host)."""
    seen: list[dict] = []
    wanted = {f"{args.prefix}-{i}" for i in range(len(args.on))}
    async with _connect(args.arbiter) as watched, _connect(args.via) as via:
        request = arbiter_pb2.WatchActorsRequest(cluster=True, name_prefix=args.prefix)
        call = watched.stub.WatchActors(request, timeout=60, metadata=watched.metadata)
        await call.initial_metadata()  # every member's watch is in place
        for i, host in enumerate(args.on):
            await via.spawn(name=f"{args.prefix}-{i}", host=host)
        stopped = {}
        for name in sorted(wanted):
            response = await watched.stub.Stop(arbiter_pb2.StopRequest(target=name),
                                               timeout=30, metadata=watched.metadata)
            stopped[name] = response.actor.name
        async for event in call:
            seen.append({"type": arbiter_pb2.ActorEventType.Name(event.type),
                         "name": event.actor.actor.name, "host": event.actor.host})
            exited = {e["name"] for e in seen if e["type"] == "ACTOR_EVENT_TYPE_EXITED"}
            if exited >= wanted:
                break
        call.cancel()
    emit(events=seen, stopped=stopped)


async def info(args: argparse.Namespace) -> None:
    async with _connect(args.arbiter) as client:
        response = await client.stub.Info(arbiter_pb2.InfoRequest(target=args.target),
                                          timeout=10, metadata=client.metadata)
    from google.protobuf.json_format import MessageToDict

    emit(info=MessageToDict(response.info))


async def spawn(args: argparse.Namespace) -> None:
    params = {"name": args.name, "host": args.host, "restart": args.restart,
              "start": args.start, "extra": json.loads(args.extra) if args.extra else None}
    async with _connect(args.arbiter) as client:
        try:
            proxy = await client.spawn(**{k: v for k, v in params.items() if v})
        except actorgrpc.ActorError as exc:
            emit(ok=False, error=type(exc).__name__, message=str(exc))
            return
        emit(ok=True, address=proxy.address, aid=proxy.aid)


async def contend(args: argparse.Namespace) -> None:
    clients = [_connect(address) for address in args.arbiters]
    for client in clients:
        await client.__aenter__()
    try:
        # Connected first, so that the three Spawn calls leave together.
        outcomes = await asyncio.gather(
            *(c.spawn(name=args.name, host=a) for c, a in zip(clients, args.arbiters, strict=True)),
            return_exceptions=True)
    finally:
        for client in clients:
            await client.__aexit__(None, None, None)
    emit(outcomes=[{"ok": True, "address": o.address} if not isinstance(o, BaseException)
                   else {"ok": False, "error": type(o).__name__} for o in outcomes])


async def send(args: argparse.Namespace) -> None:
    async with _connect(args.arbiter) as client:
        parsed = [json.loads(a) for a in args.args]
        try:
            result = await client.send(args.target, args.action, *parsed, _timeout=30)
        except actorgrpc.ActorError as exc:
            emit(ok=False, error=type(exc).__name__, message=str(exc))
            return
        emit(ok=True, result=result)


async def until(args: argparse.Namespace) -> None:
    """Send ``where`` until an incarnation not at ``--not-at`` answers; print when."""
    deadline = time.monotonic() + args.seconds
    async with _connect(args.arbiter) as client:
        while time.monotonic() < deadline:
            try:
                # 1 s per attempt: a send to a cut-off host times out rather than fails.
                found = await client.send(args.target, "where", _timeout=1.0)
            except actorgrpc.ActorError:
                found = None
            if found and not (args.not_at and found["address"].startswith(args.not_at + ":")):
                emit(ok=True, t=time.monotonic(), found=found)
                return
            await asyncio.sleep(0.05)  # poll period: adds at most this to the figure
    emit(ok=False)


async def sends(args: argparse.Namespace) -> None:
    """Send echo for ``--seconds``, sequentially; count answers and failures."""
    ok = failed = 0
    errors: list[str] = []
    deadline = time.monotonic() + args.seconds
    async with _connect(args.arbiter) as client:
        while time.monotonic() < deadline:
            try:
                await client.send(args.target, "echo", ok, _timeout=2.0)
                ok += 1
                if ok == 1:
                    emit(first_answer=True)  # resolved: the test may break things now
            except actorgrpc.ActorError as exc:
                failed += 1
                errors.append(type(exc).__name__)
            await asyncio.sleep(0.01)
    emit(ok=ok, failed=failed, errors=errors[:10])


async def list_actors(args: argparse.Namespace) -> None:
    async with _connect(args.arbiter) as client:
        response = await client.stub.ListActors(
            arbiter_pb2.ListActorsRequest(cluster=True, page_size=1000), timeout=10,
            metadata=client.metadata)
    emit(actors=[{"name": s.actor.name, "host": s.host, "address": s.actor.address}
                 for s in response.actors])


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("spawn")
    p.add_argument("arbiter")
    p.add_argument("name")
    for option in ("--host", "--restart", "--start", "--extra"):
        p.add_argument(option, default="")
    p = sub.add_parser("contend")
    p.add_argument("name")
    p.add_argument("arbiters", nargs="+")
    p = sub.add_parser("send")
    p.add_argument("arbiter")
    p.add_argument("target")
    p.add_argument("action")
    p.add_argument("args", nargs="*")
    for name in ("until", "sends"):
        p = sub.add_parser(name)
        p.add_argument("arbiter")
        p.add_argument("target")
        p.add_argument("--seconds", type=float, required=True)
        p.add_argument("--not-at", default="")
    p = sub.add_parser("list")
    p.add_argument("arbiter")
    p = sub.add_parser("watch")
    p.add_argument("arbiter")
    p.add_argument("prefix")
    p.add_argument("--via", required=True)
    p.add_argument("--on", nargs="+", required=True)
    p = sub.add_parser("info")
    p.add_argument("arbiter")
    p.add_argument("target")
    args = parser.parse_args()
    handler = {"spawn": spawn, "contend": contend, "send": send, "until": until,
               "sends": sends, "list": list_actors, "watch": watch,
               "info": info}[args.command]
    asyncio.run(handler(args))


if __name__ == "__main__":
    main()
