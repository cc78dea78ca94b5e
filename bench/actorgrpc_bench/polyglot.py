"""The polyglot phases: Go and Node.js clients on the direct path, ArbiterService.Send
with many in flight from every client, and actors written in Go and Node.js.

Every repetition measures its own baselines first (the raw grpc.aio bidi
ping-pong, Python's asks on the same actor) and divides the figures that follow
by them, so that the drift of a shared machine cancels; a ratio is the median of
the repetitions' ratios, like ``send_rtt_ratio``. The baselines are reported
too (``polyglot_baseline_*``, ``exec_actor_baseline_*``).
"""

from __future__ import annotations

from actorgrpc_bench.baseline_client import Baselines, p50_us
from actorgrpc_bench.polyglot_clients import (
    ARBITER_SEND_BURST,
    ClientSizes,
    go_command,
    js_command,
    run_once,
)
from actorgrpc_bench.polyglot_programs import (
    GO_ACTOR_PROGRAM,
    GO_DIR,
    JS_DIR,
    NODE_ACTOR_PROGRAM,
    PolyglotPrograms,
)
from actorgrpc_bench.process_stats import cpu_seconds
from actorgrpc_bench.python_client import arbiter_send_burst, ask_burst, sequential_rtt

#: Seconds an EXEC actor may take to start (a Node.js process loads its modules
#: in a few hundred ms; this only bounds a broken program).
EXEC_SPAWN_TIMEOUT = 60

#: Keys of the client programs' JSON copied into the results, per language.
CLIENT_FIGURES = ("send_rtt_p50_us", "send_rtt_p99_us", "ask_throughput", "tell_throughput",
                  "arbiter_send_throughput")


class PolyglotPhases:
    """Both polyglot phases of one run; figures go through ``record(key, samples)``."""

    def __init__(self, settings, programs: PolyglotPrograms, arbiter, record, log):
        self.settings = settings
        self.programs = programs
        self.arbiter = arbiter
        self.record = record
        self.log = log

    async def clients(self, client, baselines: Baselines) -> None:
        """Go and Node.js clients against a Python process actor, and
        ArbiterService.Send with ARBITER_SEND_BURST in flight from all three."""
        settings = self.settings
        self.log("polyglot clients (direct path) and ArbiterService.Send, "
                 f"{ARBITER_SEND_BURST} in flight")
        runners = []
        if self.programs.has_go:
            runners.append(("go", go_command, GO_DIR))
        if self.programs.has_js:
            runners.append(("js", js_command, JS_DIR))
        sizes = ClientSizes(settings.rtt_count, settings.ask_count, settings.tell_count)
        env = self.programs.environment(self.arbiter.token)
        name = "bench-polyglot"
        proxy = await client.spawn(name=name)
        # A fresh actor's first burst runs at a third of the speed of the next
        # ones (its stream, its first collections): not a baseline to divide by.
        await ask_burst(client, proxy, settings.ask_count)
        samples: dict[str, list[float]] = {}

        def add(key: str, value: float) -> None:
            samples.setdefault(key, []).append(value)

        for _ in range(settings.repetitions):
            bidi = p50_us(await baselines.bidi_rtt(settings.rtt_count))
            python_asks = await ask_burst(client, proxy, settings.ask_count)
            add("polyglot_baseline_bidi_rtt_p50_us", bidi)
            add("polyglot_baseline_ask_throughput", python_asks)
            # ArbiterService.Send against a bare grpc.aio unary server, both from
            # this client with as many in flight; and the CPU per call of each server
            # (every thread): where the arbiter's time goes.
            raw_rate, raw_cpu = await baselines.unary_burst(ARBITER_SEND_BURST)
            arbiter_cpu = cpu_seconds(self.arbiter.pid)
            rate = await arbiter_send_burst(client, name, ARBITER_SEND_BURST)
            used = cpu_seconds(self.arbiter.pid) - arbiter_cpu
            add("raw_grpc_unary_throughput", raw_rate)
            add("raw_grpc_unary_server_cpu_us", raw_cpu)
            add("arbiter_send_throughput", rate)
            add("arbiter_send_throughput_ratio", rate / raw_rate)
            add("arbiter_send_arbiter_cpu_us", used / ARBITER_SEND_BURST * 1e6)
            for language, command_of, folder in runners:
                figures = await run_once(
                    command_of(self.programs, self.arbiter.address, name, sizes,
                               self.arbiter.cacert), env, folder)
                for figure in CLIENT_FIGURES:
                    add(f"{language}_{figure}", figures[f"{language}_{figure}"])
                add(f"{language}_send_rtt_ratio", figures[f"{language}_send_rtt_p50_us"] / bidi)
                add(f"{language}_ask_ratio", figures[f"{language}_ask_throughput"] / python_asks)
        await client.stop(proxy)
        for key, values in samples.items():
            self.record(key, values)

    async def exec_actors(self, client, baselines: Baselines) -> None:
        """The Python client to a Go and a Node.js demo actor (EXEC actors the
        arbiter runs): sequential echoes ÷ the raw bidi ping-pong, and asks/s."""
        settings = self.settings
        actors = []
        if self.programs.has_go:
            actors.append(("go_actor", GO_ACTOR_PROGRAM))
        if self.programs.has_js:
            actors.append(("node_actor", NODE_ACTOR_PROGRAM))
        if not actors:
            return
        self.log("actors in Go and Node.js (EXEC actors), from the Python client")
        proxies = {}
        try:
            for prefix, program in actors:
                proxies[prefix] = await client.spawn(
                    name=f"bench-{prefix.replace('_', '-')}", kind="exec", program=program,
                    _timeout=EXEC_SPAWN_TIMEOUT)
                # Untimed: the first burst of a fresh actor pays for its warm-up.
                await ask_burst(client, proxies[prefix], settings.ask_count)
            samples: dict[str, list[float]] = {}

            def add(key: str, value: float) -> None:
                samples.setdefault(key, []).append(value)

            for _ in range(settings.repetitions):
                bidi = p50_us(await baselines.bidi_rtt(settings.rtt_count))
                add("exec_actor_baseline_bidi_rtt_p50_us", bidi)
                for prefix, proxy in proxies.items():
                    rtt = p50_us(await sequential_rtt(client, proxy, settings.rtt_count))
                    add(f"{prefix}_send_rtt_p50_us", rtt)
                    add(f"{prefix}_send_rtt_ratio", rtt / bidi)
                    add(f"{prefix}_ask_throughput",
                        await ask_burst(client, proxy, settings.ask_count))
            for key, values in samples.items():
                self.record(key, values)
        finally:
            for proxy in proxies.values():
                await client.stop(proxy)
