'use strict';
// The shared wire conformance cases (tests/conformance/cases.json), one test each,
// through conformance/run.js against a real arbiter.
const { after, before, test } = require('node:test');
const { connect } = require('../src');
const { startArbiter } = require('../support/arbiter');
const { loadCases, runCase } = require('../conformance/run');

let arbiter;
let client;

before(async () => {
  arbiter = await startArbiter();
  client = await connect(arbiter.address);
});

after(async () => {
  if (client) client.close();
  if (arbiter) await arbiter.stop();
});

for (const testCase of loadCases()) {
  test(testCase.name, () => runCase(client, testCase));
}
