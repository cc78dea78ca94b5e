'use strict';
// bench/jsbench.js runs end to end and prints the one JSON object the benchmark
// reads (tiny counts: this checks the program, not the speed).
const { after, before, test } = require('node:test');
const assert = require('node:assert/strict');
const { execFile } = require('node:child_process');
const path = require('node:path');
const { promisify } = require('node:util');
const { connect } = require('../src');
const { startArbiter } = require('../support/arbiter');

let arbiter;

before(async () => {
  arbiter = await startArbiter({ modules: ['actorgrpc.examples.demo', 'actorgrpc_bench.commands'] });
});

after(async () => {
  if (arbiter) await arbiter.stop();
});

test('jsbench prints its figures as one JSON object and stops the actor it spawned', async () => {
  const script = path.join(__dirname, '..', 'bench', 'jsbench.js');
  const args = [script, '--address', arbiter.address, '--repetitions', '2', '--rtt-count', '20', '--warmup', '5',
    '--ask-count', '300', '--tell-count', '300', '--arbiter-count', '20'];
  // 60 s: a spawn, a few hundred calls and a stop, on a loaded machine.
  const { stdout } = await promisify(execFile)(process.execPath, args, { timeout: 60_000 });
  const lines = stdout.trim().split('\n');
  assert.equal(lines.length, 1, stdout);
  const figures = JSON.parse(lines[0]);
  for (const key of ['js_send_rtt_p50_us', 'js_send_rtt_p99_us', 'js_ask_throughput', 'js_tell_throughput', 'js_arbiter_send_throughput', 'js_ask_calls_per_frame']) {
    assert.ok(typeof figures[key] === 'number' && figures[key] > 0, `${key}: ${figures[key]}`);
  }
  assert.equal(figures.js_samples.ask.length, 2);
  assert.equal(figures.js_settings.tell_action, 'bench_count');
  const client = await connect(arbiter.address);
  try {
    assert.deepStrictEqual(await client.listActors({ namePrefix: 'js-bench-' }), []);
  } finally {
    client.close();
  }
});
