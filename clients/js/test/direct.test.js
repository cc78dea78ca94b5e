'use strict';
// The direct data path (router.js, mailbox-connection.js) against a real arbiter
// and real actors: resolution and its cache, retries, batching, ordering,
// deadlines, size and pending bounds, broken streams.
const { after, before, test } = require('node:test');
const assert = require('node:assert/strict');
const errors = require('../src/errors');
const { connect } = require('../src');
const { startArbiter, waitFor, pidAlive } = require('../support/arbiter');

const P = 'js-direct-';
let arbiter;
let client;
const actorPids = new Set();

/** Rejects-with check: the error's class, code name and message. */
async function rejects(promise, codeName, Class, message) {
  await assert.rejects(promise, (err) => {
    assert.ok(err instanceof Class, `expected ${Class.name}, got ${err && err.stack}`);
    assert.equal(err.codeName, codeName, err.message);
    if (message) assert.match(err.message, message);
    return true;
  });
}

async function spawnProcess(name, params = {}) {
  const ref = await client.spawn({ name, ...params });
  actorPids.add((await client.getActor(name)).pid);
  return ref;
}

/** The open connection to `address` (to look at how calls were framed). */
function connectionTo(address) {
  const connection = client.router.connections.get(address);
  assert.ok(connection, `no connection to ${address}`);
  return connection;
}

before(async () => {
  arbiter = await startArbiter();
  client = await connect(arbiter.address);
});

after(async () => {
  const mine = client ? await client.listActors({ namePrefix: P }).catch(() => []) : [];
  await Promise.all(mine.map((s) => client.stop(s.actor.name).catch(() => {})));
  if (client) client.close();
  if (arbiter) await arbiter.stop();
  // Stop escalates to SIGKILL within 10 s at worst; allow that plus margin.
  await waitFor(() => [...actorPids].every((pid) => !pidAlive(pid)), { timeoutMs: 15_000, what: `actor pids ${[...actorPids]} to exit` });
});

test('sends go straight to the mailbox, by name, aid, ActorRef and "arbiter"', async () => {
  const ref = await spawnProcess(`${P}a`);
  assert.equal(await client.send(ref.name, 'ping'), 'pong');
  assert.equal(await client.send(ref.aid, 'add', [2, 3]), 5);
  assert.deepStrictEqual(await client.send(ref, 'echo', [{ n: [1, 'é', null, true] }]), { n: [1, 'é', null, true] });
  assert.equal(await client.send(ref.name, 'greet', [], { name: 'js', punctuation: '?' }), `hello js? from ${ref.name}`);
  assert.equal(await client.send('arbiter', 'ping'), 'pong');
  // The actor's own address carries its calls (the arbiter only resolved it).
  assert.equal(client.router.cache.get(ref.name).address, ref.address);
  assert.ok(connectionTo(ref.address).stats.calls >= 3);
  for (const value of [0, '', false, null, [], {}, -2.5, 'hé ✓', [1, [2, [3]]]]) {
    assert.deepStrictEqual(await client.send(ref, 'echo', [value]), value);
  }
});

test('errors from the mailbox map like those through the arbiter', async () => {
  const name = `${P}err`;
  await spawnProcess(name);
  await rejects(client.send(name, 'no_such_action'), 'UNIMPLEMENTED', errors.CommandNotFound);
  await rejects(client.send(name, 'add', [1]), 'INVALID_ARGUMENT', errors.InvalidArgument);
  await assert.rejects(client.send(name, 'boom', ['kaput']), (err) => err instanceof errors.CommandError
    && err.message === 'ValueError: kaput' && err.remoteType === 'ValueError' && err.codeName === 'UNKNOWN');
  await rejects(client.send('js-direct-nobody', 'ping'), 'NOT_FOUND', errors.ActorNotFound);
  await rejects(client.send(name, 'echo', [2 ** 53]), 'INVALID_ARGUMENT', errors.InvalidArgument, /^integer 9007199254740992 is out of range/);
  await rejects(client.send(name, 'echo', [], { x: NaN }), 'INVALID_ARGUMENT', errors.InvalidArgument, /NaN is not a JSON number/);
  await rejects(client.send(name, '', []), 'INVALID_ARGUMENT', errors.InvalidArgument, /action must be a non-empty string/);
});

test('deadlines: the client fails the call, the server cancels the command, the stream lives on', async () => {
  const name = `${P}slow`;
  await spawnProcess(name);
  const started = Date.now();
  await rejects(client.send(name, 'sleep', [3], {}, { timeoutSeconds: 0.2 }), 'DEADLINE_EXCEEDED', errors.ActorTimeout);
  // The sleep lasts 3 s; failing well before it shows the 0.2 s deadline did it
  // (2 s leaves room for a slow, shared machine).
  assert.ok(Date.now() - started < 2_000, `took ${Date.now() - started} ms`);
  assert.equal(await client.send(name, 'sleep', [0.01], {}, { timeoutSeconds: 5 }), 0.01);
  // A hundred deadlines in flight at once, all of them passing; then a call that
  // answers: one timer serves them, and it leaves nothing behind.
  const many = Array.from({ length: 100 }, () => client.send(name, 'sleep', [3], {}, { timeoutSeconds: 0.3 }).catch((err) => err.codeName));
  assert.deepStrictEqual(new Set(await Promise.all(many)), new Set(['DEADLINE_EXCEEDED']));
  assert.equal(await client.send(name, 'ping'), 'pong');
  assert.equal(connectionTo((await client.getActor(name)).actor.address).pending.size, 0);
});

test('a burst shares frames and envelopes, and every call gets its own result, in order', async () => {
  const ref = await spawnProcess(`${P}burst`);
  await client.send(ref, 'ping'); // the stream is open
  const connection = connectionTo(ref.address);
  const before = { ...connection.stats };
  const count = 10_000;
  const results = await Promise.all(Array.from({ length: count }, (_, i) => client.send(ref, 'echo', [i])));
  assert.deepStrictEqual(results, Array.from({ length: count }, (_, i) => i));
  const frames = connection.stats.frames - before.frames;
  // 10,000 calls queued at once leave in frames of up to 1,024: 10 of them, and
  // the first call alone.
  assert.ok(frames <= 12, `${frames} frames for ${count} calls`);
  // remember returns the value it replaces: each call saw the one made before it,
  // so the actor ran them in the order they were made, across frames and batches,
  // tells included.
  await client.send(ref, 'remember', ['k', -1]);
  const olds = Array.from({ length: 3000 }, (_, i) => (i % 3 === 2
    ? client.tell(ref, 'remember', ['k', i]).then(() => i - 1)
    : client.send(ref, 'remember', ['k', i])));
  assert.deepStrictEqual(await Promise.all(olds), Array.from({ length: 3000 }, (_, i) => i - 1));
  assert.equal(await client.send(ref, 'remember', ['k', 'end']), 2999);
});

test('tells are delivered in order before a later ask, and never answered', async () => {
  const name = `${P}tell`;
  await spawnProcess(name);
  for (let i = 0; i < 5000; i++) await client.tell(name, 'count', [1]);
  // One stream per address: the ask after the tells runs after them.
  assert.equal((await client.send(name, 'info')).extra.count, 5000);
  // A tell to an unknown command fails on the actor, silently.
  await client.tell(name, 'no_such_action', []);
  assert.equal(await client.send(name, 'ping'), 'pong');
  await rejects(client.tell('js-direct-nobody', 'count'), 'NOT_FOUND', errors.ActorNotFound);
});

test('a name that moved is resolved again once; an explicit aid or ActorRef is not', async () => {
  const name = `${P}moved`;
  const first = await client.spawn({ name, kind: 'thread' });
  assert.equal(await client.send(name, 'ping'), 'pong'); // caches name -> first aid
  assert.equal(await client.send(first.aid, 'ping'), 'pong'); // and the aid
  // Someone else replaces it (this client's own stop would forget the cache):
  // same name, same address (the arbiter hosts thread actors), a new aid. The
  // cached stream answers "ActorNotHosted" and the name is looked up again.
  const operator = await connect(arbiter.address);
  await operator.stop(name);
  const second = await operator.spawn({ name, kind: 'thread' });
  operator.close();
  assert.notEqual(second.aid, first.aid);
  assert.equal(second.address, first.address);
  assert.equal(client.router.cache.get(name).aid, first.aid);
  assert.equal(await client.send(name, 'ping'), 'pong');
  assert.equal(client.router.cache.get(name).aid, second.aid);
  await rejects(client.send(first.aid, 'ping'), 'NOT_FOUND', errors.ActorNotFound, new RegExp(`actor "${first.aid}" is not running`));
  await rejects(client.send(first, 'ping'), 'NOT_FOUND', errors.ActorNotFound, /is not running/);
  await client.stop(name);
});

test('an actor that dies fails its pending calls with UNAVAILABLE; its restart is found again', async () => {
  const name = `${P}phoenix`;
  const ref = await spawnProcess(name, { restart: 'permanent' });
  const { pid } = await client.getActor(name);
  const pending = client.send(name, 'sleep', [30], {}, { timeoutSeconds: 60 });
  // The call is on the actor's stream before it dies.
  // (5 s: the lookup and the stream take milliseconds)
  await waitFor(() => client.router.connections.get(ref.address)?.pending.size === 1, { timeoutMs: 5_000, what: 'the call to be pending' });
  process.kill(pid, 'SIGKILL');
  await rejects(pending, 'UNAVAILABLE', errors.ActorUnavailable, /was lost while the call was pending/);
  // Its supervisor restarts it under the same name, elsewhere: a send waits for it
  // (GetActor wait) within its deadline; 20 s covers a restart on a loaded machine.
  assert.equal(await client.send(name, 'ping', [], {}, { timeoutSeconds: 20 }), 'pong');
  const restarted = await client.getActor(name);
  actorPids.add(restarted.pid);
  assert.notEqual(restarted.pid, pid);
  assert.equal(restarted.restarts, 1);
  await client.stop(name);
});

test('sizes and pending calls are bounded before anything is sent', async () => {
  const name = `${P}size`;
  const ref = await spawnProcess(name);
  await rejects(client.send(ref, 'echo', ['x'.repeat(5 * 1024 * 1024)]), 'RESOURCE_EXHAUSTED', errors.MessageTooLarge, /exceeds the maximum of 4194304 bytes/);
  // Twenty calls of 600 kB each fit no single frame: they leave in several, each
  // under the limit, and all come back.
  const big = 'y'.repeat(600 * 1024);
  const results = await Promise.all(Array.from({ length: 20 }, () => client.send(ref, 'echo', [big], {}, { timeoutSeconds: 30 })));
  assert.ok(results.every((r) => r === big));
  const small = await connect(arbiter.address, { maxPendingCalls: 5 });
  try {
    await small.send(ref, 'ping');
    const calls = Array.from({ length: 6 }, () => small.send(ref, 'sleep', [0.2]).then(() => 'ok', (err) => err.codeName));
    assert.deepStrictEqual(await Promise.all(calls), ['ok', 'ok', 'ok', 'ok', 'ok', 'RESOURCE_EXHAUSTED']);
  } finally {
    small.close();
  }
});

test('closing the client fails what is pending with UNAVAILABLE', async () => {
  const name = `${P}close`;
  const ref = await spawnProcess(name);
  const other = await connect(arbiter.address);
  await other.send(ref, 'ping');
  const pending = other.send(ref, 'sleep', [10]);
  other.close();
  await rejects(pending, 'UNAVAILABLE', errors.ActorUnavailable, /closed/);
  await rejects(other.send(ref, 'ping'), 'UNAVAILABLE', errors.NotDelivered);
});
