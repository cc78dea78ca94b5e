#!/usr/bin/env node
'use strict';
/**
 * Runs the shared wire conformance cases (tests/conformance/cases.json) through
 * the thin client. Names, targets and name prefixes get PREFIX ("js-") so the
 * Python, Go and JS runners can share one arbiter; targets starting with '!' are
 * used verbatim minus the '!'; "{prefix}" in expected strings stands for PREFIX.
 *
 *   node conformance/run.js            # starts an arbiter (see support/arbiter.js)
 *   ACTORGRPC_ADDRESS=host:port node conformance/run.js
 *
 * test/conformance.test.js runs the same cases under `node --test`.
 */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { ActorError } = require('../src');

const PREFIX = 'js-';
const CASES_FILE = path.resolve(__dirname, '..', '..', '..', 'tests', 'conformance', 'cases.json');

function loadCases(file = CASES_FILE) {
  return JSON.parse(fs.readFileSync(file, 'utf8')).cases;
}

function prefixed(name) {
  return name.startsWith('!') ? name.slice(1) : PREFIX + name;
}

/** Replaces "{prefix}" in every string of an expected value. */
function substitute(value) {
  if (typeof value === 'string') return value.replaceAll('{prefix}', PREFIX);
  if (Array.isArray(value)) return value.map(substitute);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v)]));
  }
  return value;
}

const SNAKE_TO_CAMEL = (key) => key.replace(/_([a-z])/g, (_, c) => c.toUpperCase());

/** Runs one step's call; resolves to what the client returned. */
function call(client, op, request, spawned) {
  const r = { ...request };
  switch (op) {
    case 'spawn': {
      const params = Object.fromEntries(Object.entries(r).map(([k, v]) => [SNAKE_TO_CAMEL(k), v]));
      if (params.name !== undefined) params.name = prefixed(params.name);
      spawned.add(params.name);
      return client.spawn(params);
    }
    case 'send': {
      const options = r.timeout_seconds === undefined ? {} : { timeoutSeconds: r.timeout_seconds };
      return client.sendViaArbiter(prefixed(r.target), r.action, r.args || [], r.kwargs || {}, options);
    }
    case 'info':
      return client.info(prefixed(r.target ?? '!'));
    case 'stop':
      return client.stop(prefixed(r.target));
    case 'list_actors': {
      const filter = Object.fromEntries(Object.entries(r).map(([k, v]) => [SNAKE_TO_CAMEL(k), v]));
      if (filter.namePrefix !== undefined) filter.namePrefix = prefixed(filter.namePrefix);
      return client.listActors(filter);
    }
    default:
      throw new Error(`unknown op ${JSON.stringify(op)}`);
  }
}

/** Checks one step's outcome against its `expect`; throws an AssertionError if it differs. */
function check(expect, outcome) {
  const { value, error } = outcome;
  if ('code' in expect) {
    assert.ok(error, `expected ${expect.code}, got result ${JSON.stringify(value)}`);
    assert.ok(error instanceof ActorError, `expected an ActorError, got ${error && error.stack}`);
    assert.equal(error.codeName, expect.code, `wrong code; message: ${error.message}`);
    if ('message_contains' in expect) {
      assert.ok(error.message.includes(substitute(expect.message_contains)), `message ${JSON.stringify(error.message)}`);
    }
    return;
  }
  if (error) throw error;
  if ('ok' in expect) return;
  if ('result' in expect) return assert.deepStrictEqual(value, substitute(expect.result));
  if ('info_has' in expect) {
    for (const key of expect.info_has) assert.ok(key in value, `info has no ${key}: keys ${Object.keys(value)}`);
    return;
  }
  if ('names' in expect) {
    const names = value.map((summary) => summary.actor.name).sort();
    return assert.deepStrictEqual(names, expect.names.map(prefixed).sort());
  }
  throw new Error(`unknown expectation ${JSON.stringify(expect)}`);
}

/** Runs every step of one case in order; stops what it spawned even when a step fails. */
async function runCase(client, testCase) {
  const spawned = new Set();
  try {
    for (const [index, step] of testCase.steps.entries()) {
      let outcome;
      try {
        outcome = { value: await call(client, step.op, step.request || {}, spawned) };
      } catch (error) {
        outcome = { error };
      }
      try {
        check(step.expect, outcome);
      } catch (err) {
        err.message = `step ${index} (${step.op} ${JSON.stringify(step.request)}): ${err.message}`;
        throw err;
      }
    }
  } finally {
    // Best effort, so a failed case leaves nothing running on a shared arbiter;
    // NOT_FOUND here just means the case stopped it already.
    await Promise.all([...spawned].map((name) => client.stop(name).catch(() => {})));
  }
}

async function main() {
  const { connect } = require('../src');
  const { startArbiter } = require('../support/arbiter');
  const arbiter = await startArbiter();
  let failed = 0;
  const cases = loadCases();
  try {
    const client = await connect(arbiter.address);
    try {
      for (const testCase of cases) {
        try {
          await runCase(client, testCase);
          console.log(`ok      ${testCase.name}`);
        } catch (err) {
          failed += 1;
          console.log(`FAILED  ${testCase.name}\n        ${err.message.replace(/\n/g, '\n        ')}`);
        }
      }
    } finally {
      client.close();
    }
  } finally {
    await arbiter.stop();
  }
  console.log(`${cases.length - failed}/${cases.length} cases passed`);
  process.exitCode = failed ? 1 : 0;
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}

module.exports = { loadCases, runCase, PREFIX, CASES_FILE };
