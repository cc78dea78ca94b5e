#!/usr/bin/env node
'use strict';
/**
 * The Node.js client's figures against a Python process actor, printed as ONE
 * JSON object on stdout (progress goes to stderr):
 *
 *   js_send_rtt_p50_us          sequential direct sends of "echo" (median of the
 *                               repetitions' p50s); js_send_rtt_p99_us likewise
 *   js_ask_throughput           asks/s, bursts of --ask-count calls in flight
 *   js_tell_throughput          tells/s, --tell-count tells then one ask
 *   js_arbiter_send_throughput  ArbiterService.Send calls/s, --arbiter-count in flight
 *
 * each the median over --repetitions, with its samples under js_samples, the
 * frames the asks took (js_ask_calls_per_frame) and the settings (js_settings).
 *
 *   node bench/jsbench.js [--address HOST:PORT] [--token T] [--cacert CA.pem
 *        [--cert C.pem --key K.pem] [--tls-server-name NAME]] [--actor NAME]
 *        [--repetitions 5] [--rtt-count 2000] [--ask-count 10000]
 *        [--tell-count 30000] [--arbiter-count 1000] [--quick]
 *
 * Without --address (or $ACTORGRPC_ADDRESS) it starts an arbiter with
 * -m actorgrpc.examples.demo -m actorgrpc_bench.commands (support/arbiter.js).
 * Without --actor it spawns a Python process actor and stops it at the end.
 * Tells use bench_count when the actor has it (actorgrpc_bench.commands), else
 * the demo's count. Profile with `node --cpu-prof bench/jsbench.js ...`.
 */
const { parseArgs } = require('node:util');
const { performance } = require('node:perf_hooks');
const { connect } = require('..');
const { startArbiter } = require('../support/arbiter');

const OPTIONS = {
  address: { type: 'string' },
  token: { type: 'string' },
  cacert: { type: 'string' },
  cert: { type: 'string' },
  key: { type: 'string' },
  'tls-server-name': { type: 'string' },
  tls: { type: 'boolean', default: false },
  actor: { type: 'string' },
  repetitions: { type: 'string', default: '5' },
  'rtt-count': { type: 'string', default: '2000' },
  'ask-count': { type: 'string', default: '10000' },
  'tell-count': { type: 'string', default: '30000' },
  'arbiter-count': { type: 'string', default: '1000' },
  warmup: { type: 'string', default: '200' },
  quick: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
};

/** Seconds every call may take: a burst of tens of thousands on a loaded machine. */
const BURST_TIMEOUT_SECONDS = 120;

function log(...parts) {
  process.stderr.write(`${parts.join(' ')}\n`);
}

function count(values, name) {
  const value = Number(values[name]);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer, got ${values[name]}`);
  return value;
}

function median(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

const round = (value) => Math.round(value * 10) / 10;

function clientOptions(values) {
  const options = {};
  if (values.token !== undefined) options.token = values.token;
  if (values.cacert || values.cert || values.key || values['tls-server-name']) {
    options.tls = {};
    if (values.cacert) options.tls.ca = values.cacert;
    if (values.cert) options.tls.cert = values.cert;
    if (values.key) options.tls.key = values.key;
    if (values['tls-server-name']) options.tls.serverName = values['tls-server-name'];
  } else if (values.tls) {
    options.tls = true;
  }
  return options;
}

/** p50 and p99 in µs of `n` sequential direct sends of "echo". */
async function sendRtt(client, ref, n, warmup) {
  for (let i = 0; i < warmup; i++) await client.send(ref, 'echo', ['hello']);
  const samples = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const start = performance.now();
    await client.send(ref, 'echo', ['hello']);
    samples[i] = (performance.now() - start) * 1000;
  }
  samples.sort();
  return { p50: percentile(samples, 0.5), p99: percentile(samples, 0.99) };
}

/** Asks per second: `n` calls in flight at once, each checked. */
async function askThroughput(client, ref, n) {
  const options = { timeoutSeconds: BURST_TIMEOUT_SECONDS };
  const start = performance.now();
  const calls = new Array(n);
  for (let i = 0; i < n; i++) calls[i] = client.send(ref, 'echo', [i], undefined, options);
  const results = await Promise.all(calls);
  const elapsed = (performance.now() - start) / 1000;
  for (let i = 0; i < n; i++) if (results[i] !== i) throw new Error(`ask ${i} came back as ${results[i]}`);
  return n / elapsed;
}

/** Tells per second: `n` tells (each awaited: queued), then one ask that runs after them all. */
async function tellThroughput(client, ref, n, counted) {
  await counted.reset();
  const start = performance.now();
  for (let i = 0; i < n; i++) await client.tell(ref, counted.action, counted.args(i));
  const seen = await counted.read();
  const elapsed = (performance.now() - start) / 1000;
  if (seen.count !== n || seen.outOfOrder) throw new Error(`tells lost or reordered: ${JSON.stringify(seen)} of ${n}`);
  return n / elapsed;
}

/** ArbiterService.Send calls per second, `n` in flight at once. */
async function arbiterThroughput(client, ref, n) {
  const options = { timeoutSeconds: BURST_TIMEOUT_SECONDS };
  const start = performance.now();
  const calls = new Array(n);
  for (let i = 0; i < n; i++) calls[i] = client.sendViaArbiter(ref.aid, 'echo', [i], {}, options);
  const results = await Promise.all(calls);
  const elapsed = (performance.now() - start) / 1000;
  for (let i = 0; i < n; i++) if (results[i] !== i) throw new Error(`Send ${i} came back as ${results[i]}`);
  return n / elapsed;
}

/** How to count tells on `ref`: bench_count (checks order) when it has it, else count. */
async function tellCounter(client, ref) {
  const commands = await client.send(ref, 'commands');
  if (commands.includes('bench_count')) {
    return {
      action: 'bench_count',
      args: (i) => [i],
      reset: () => client.send(ref, 'bench_counted', [true]),
      read: async () => {
        const { count: seen, out_of_order: outOfOrder } = await client.send(ref, 'bench_counted', [], undefined, { timeoutSeconds: BURST_TIMEOUT_SECONDS });
        return { count: seen, outOfOrder };
      },
    };
  }
  let base = 0;
  return {
    action: 'count',
    args: () => [1],
    reset: async () => {
      base = (await client.send(ref, 'info')).extra.count || 0;
    },
    read: async () => ({ count: ((await client.send(ref, 'info', [], undefined, { timeoutSeconds: BURST_TIMEOUT_SECONDS })).extra.count || 0) - base, outOfOrder: 0 }),
  };
}

async function main() {
  const { values } = parseArgs({ options: OPTIONS });
  if (values.help) {
    process.stdout.write(`${require('node:fs').readFileSync(__filename, 'utf8').split('*/')[0]}*/\n`);
    return;
  }
  if (values.quick) {
    for (const [name, quick] of [['repetitions', '3'], ['rtt-count', '500'], ['ask-count', '10000'], ['tell-count', '10000'], ['arbiter-count', '500']]) {
      if (!process.argv.includes(`--${name}`)) values[name] = quick;
    }
  }
  const settings = {
    repetitions: count(values, 'repetitions'),
    rttCount: count(values, 'rtt-count'),
    askCount: count(values, 'ask-count'),
    tellCount: count(values, 'tell-count'),
    arbiterCount: count(values, 'arbiter-count'),
    warmup: count(values, 'warmup'),
  };
  if (values.address) process.env.ACTORGRPC_ADDRESS = values.address;
  const arbiter = await startArbiter({ modules: ['actorgrpc.examples.demo', 'actorgrpc_bench.commands'] });
  try {
    const client = await connect(arbiter.address, clientOptions(values));
    const spawned = values.actor === undefined;
    const name = values.actor ?? `js-bench-${process.pid}`;
    try {
      if (spawned) await client.spawn({ name, kind: 'process' });
      const { actor: ref } = await client.getActor(name);
      const counted = await tellCounter(client, ref);
      const samples = { rtt_p50: [], rtt_p99: [], ask: [], tell: [], arbiter: [], ask_calls_per_frame: [] };
      for (let rep = 0; rep < settings.repetitions; rep++) {
        const rtt = await sendRtt(client, ref, settings.rttCount, settings.warmup);
        samples.rtt_p50.push(round(rtt.p50));
        samples.rtt_p99.push(round(rtt.p99));
        const connection = client.router.connections.get(ref.address);
        const before = { ...connection.stats };
        samples.ask.push(Math.round(await askThroughput(client, ref, settings.askCount)));
        samples.ask_calls_per_frame.push(round((connection.stats.calls - before.calls) / (connection.stats.frames - before.frames)));
        samples.tell.push(Math.round(await tellThroughput(client, ref, settings.tellCount, counted)));
        samples.arbiter.push(Math.round(await arbiterThroughput(client, ref, settings.arbiterCount)));
        log(`repetition ${rep + 1}/${settings.repetitions}: rtt p50 ${samples.rtt_p50[rep]} us, asks ${samples.ask[rep]}/s, `
          + `tells ${samples.tell[rep]}/s, arbiter sends ${samples.arbiter[rep]}/s`);
      }
      process.stdout.write(`${JSON.stringify({
        js_send_rtt_p50_us: round(median(samples.rtt_p50)),
        js_send_rtt_p99_us: round(median(samples.rtt_p99)),
        js_ask_throughput: Math.round(median(samples.ask)),
        js_tell_throughput: Math.round(median(samples.tell)),
        js_arbiter_send_throughput: Math.round(median(samples.arbiter)),
        js_ask_calls_per_frame: round(median(samples.ask_calls_per_frame)),
        js_samples: samples,
        js_settings: { ...settings, node: process.version, tell_action: counted.action },
      })}\n`);
    } finally {
      if (spawned) await client.stop(name).catch((err) => log(`could not stop ${name}: ${err.message}`));
      client.close();
    }
  } finally {
    await arbiter.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
