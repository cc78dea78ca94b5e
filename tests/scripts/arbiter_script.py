"""A user's own script, pulsar style: the arbiter's start hook spawns, sends, stops."""

from actorgrpc import arbiter, send, spawn


async def start(arb):
    proxy = await spawn(name="scripted", start="tests.sample_actors:mark_started")
    print("add", await send(proxy, "add", 20, 22), flush=True)
    info = await send(proxy, "info")
    print("extra", info["extra"], flush=True)
    print("pid", info["actor"]["process_id"], flush=True)
    arb.stop()


if __name__ == "__main__":
    arbiter(bind="127.0.0.1:0", modules=["tests.sample_actors", "actorgrpc.examples.demo"],
            start=start).start()
