'use strict';
// The shared wire conformance cases (tests/conformance/cases.json), each one on
// both paths (through ArbiterService.Send, and straight to the mailboxes),
// through conformance/run.js against a real arbiter.
const { after, before, describe, test } = require('node:test');
const { connect } = require('../src');
const { startArbiter } = require('../support/arbiter');
const { loadCases, runCase, PATHS } = require('../conformance/run');

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

// The paths run one after the other: their cases use the same actor names.
for (const path of PATHS) {
  describe(`${path} path`, () => {
    for (const testCase of loadCases()) {
      test(testCase.name, () => runCase(client, testCase, { path }));
    }
  });
}
