#!/usr/bin/env node
'use strict';
/**
 * Sequential round-trip time of ArbiterService.Send ("ping") to a Python process
 * actor, from Node.js (what `actorgrpc bench` compares with Python's Send RTT
 * today; bench/jsbench.js measures the direct path and throughput). Prints one
 * JSON line:
 *
 *   {"js_send_rtt_p50_us": N, "js_send_rtt_p90_us": N, "js_send_rtt_n": N}
 *
 * Uses the arbiter at ACTORGRPC_ADDRESS (or --address HOST:PORT), else starts one
 * (support/arbiter.js). Options: --n SENDS (default 2000), --warmup SENDS (200).
 */
const { parseArgs } = require('node:util');
const { connect } = require('..');
const { startArbiter } = require('../support/arbiter');

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function main() {
  const { values } = parseArgs({
    options: { n: { type: 'string', default: '2000' }, warmup: { type: 'string', default: '200' }, address: { type: 'string' } },
  });
  if (values.address) process.env.ACTORGRPC_ADDRESS = values.address;
  const n = Number(values.n);
  const warmup = Number(values.warmup);
  const arbiter = await startArbiter();
  try {
    const client = await connect(arbiter.address);
    const name = `js-bench-rtt-${process.pid}`;
    try {
      await client.spawn({ name, kind: 'process' });
      // Warm-up: channel, HTTP/2 window, the arbiter's route to the actor, JIT.
      for (let i = 0; i < warmup; i++) await client.sendViaArbiter(name, 'ping');
      const samples = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const t0 = process.hrtime.bigint();
        await client.sendViaArbiter(name, 'ping');
        samples[i] = Number(process.hrtime.bigint() - t0) / 1000;
      }
      samples.sort();
      console.log(JSON.stringify({
        js_send_rtt_p50_us: Math.round(percentile(samples, 50)),
        js_send_rtt_p90_us: Math.round(percentile(samples, 90)),
        js_send_rtt_n: n,
      }));
    } finally {
      await client.stop(name).catch(() => {});
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
