#!/usr/bin/env node
'use strict';
/**
 * Runs the shared wire conformance cases (tests/conformance/cases.json) through
 * the JS client, on both paths: `send` through ArbiterService.Send ("arbiter")
 * and straight to the actors' mailboxes ("direct"). Names, targets and name
 * prefixes get PREFIX ("js-") so the Python, Go and JS runners can share one
 * arbiter; targets starting with '!' are used verbatim minus the '!'; "{prefix}"
 * in expected strings stands for PREFIX. The paths run one after the other (they
 * use the same names).
 *
 *   node conformance/run.js            # starts an arbiter (see support/arbiter.js)
 *   ACTORGRPC_ADDRESS=host:port node conformance/run.js
 *
 * test/conformance.test.js runs the same cases under `node --test`, and
 * test/exec-actor.test.js runs them against the Node.js demo actor.
 */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { ActorError } = require('../src');

const PREFIX = 'js-';
const CASES_FILE = path.resolve(__dirname, '..', '..', '..', 'tests', 'conformance', 'cases.json');
const PATHS = ['arbiter', 'direct'];

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

/**
 * Runs one step's call; resolves to what the client returned. `options.path`
 * picks how sends travel; `options.spawn` is merged into spawns that name no kind
 * and no hook (to make them, say, EXEC actors of a program).
 */
function call(client, op, request, spawned, options) {
  const r = { ...request };
  switch (op) {
    case 'spawn': {
      const params = Object.fromEntries(Object.entries(r).map(([k, v]) => [SNAKE_TO_CAMEL(k), v]));
      if (params.name !== undefined) params.name = prefixed(params.name);
      const plain = params.kind === undefined && !params.start && !params.stopping && !params.periodicTask;
      spawned.add(params.name);
      return client.spawn(plain ? { ...params, ...options.spawn } : params);
    }
    case 'send': {
      const callOptions = r.timeout_seconds === undefined ? {} : { timeoutSeconds: r.timeout_seconds };
      const send = options.path === 'direct' ? client.send : client.sendViaArbiter;
      return send.call(client, prefixed(r.target), r.action, r.args || [], r.kwargs || {}, callOptions);
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

/**
 * Runs every step of one case in order; stops what it spawned even when a step
 * fails. Options: `path` ('arbiter' or 'direct', how sends travel), `spawn` (see call).
 */
async function runCase(client, testCase, options = {}) {
  const settings = { path: 'arbiter', spawn: {}, ...options };
  if (!PATHS.includes(settings.path)) throw new Error(`unknown path ${settings.path}`);
  const spawned = new Set();
  try {
    for (const [index, step] of testCase.steps.entries()) {
      let outcome;
      try {
        outcome = { value: await call(client, step.op, step.request || {}, spawned, settings) };
      } catch (error) {
        outcome = { error };
      }
      try {
        check(step.expect, outcome);
      } catch (err) {
        err.message = `step ${index} (${step.op} ${JSON.stringify(step.request)}, ${settings.path} path): ${err.message}`;
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
      for (const casePath of PATHS) {
        for (const testCase of cases) {
          const label = `${testCase.name} (${casePath})`;
          try {
            await runCase(client, testCase, { path: casePath });
            console.log(`ok      ${label}`);
          } catch (err) {
            failed += 1;
            console.log(`FAILED  ${label}\n        ${err.message.replace(/\n/g, '\n        ')}`);
          }
        }
      }
    } finally {
      client.close();
    }
  } finally {
    await arbiter.stop();
  }
  const total = cases.length * PATHS.length;
  console.log(`${total - failed}/${total} cases passed`);
  process.exitCode = failed ? 1 : 0;
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}

module.exports = { loadCases, runCase, PREFIX, PATHS, CASES_FILE };
