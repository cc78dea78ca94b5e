'use strict';
// Integration tests of the thin client against a real arbiter
// (`actorgrpc serve -m actorgrpc.examples.demo`, started by support/arbiter.js,
// or the one at ACTORGRPC_ADDRESS).
const { after, before, describe, test } = require('node:test');
const assert = require('node:assert/strict');
const { execFile } = require('node:child_process');
const net = require('node:net');
const path = require('node:path');
const { promisify } = require('node:util');
const { connect, ActorError, ActorNotFound, CommandNotFound, CommandError, SpawnError, InvalidArgument, status } = require('../src');
const { startArbiter, waitFor, pidAlive } = require('../support/arbiter');

const P = 'js-it-'; // every actor of this file, so runs can share an arbiter
let arbiter;
let client;
const actorPids = new Set(); // every actor process seen: all must be gone at the end

/** Rejects-with check: the ActorError's class, code name and message. */
async function rejects(promise, codeName, { Class = ActorError, message } = {}) {
  await assert.rejects(promise, (err) => {
    assert.ok(err instanceof Class, `expected ${Class.name}, got ${err && err.stack}`);
    assert.equal(err.codeName, codeName, err.message);
    assert.equal(err.code, status[codeName]);
    if (message) assert.match(err.message, message);
    return true;
  });
}

async function rememberPid(name) {
  const summary = await client.getActor(name);
  if (summary.pid) actorPids.add(summary.pid);
  return summary;
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

describe('a process actor', () => {
  const name = `${P}proc`;
  let ref;

  before(async () => {
    ref = await client.spawn({ name, extra: { color: 'blue' } });
    await rememberPid(name);
  });

  test('spawn resolves to a running ActorRef', () => {
    assert.equal(ref.name, name);
    assert.ok(ref.aid);
    assert.match(ref.address, /^[\w.:[\]-]+:\d+$/);
    assert.equal(ref.state, 'running');
  });

  test('standard and demo commands, by name and by aid', async () => {
    assert.equal(await client.send(name, 'ping'), 'pong');
    assert.equal(await client.send(ref.aid, 'ping'), 'pong');
    assert.equal(await client.send(name, 'add', [2, 3]), 5);
    assert.equal(await client.send(name, 'add', [], { a: 0.5, b: 0.25 }), 0.75);
    assert.equal(await client.send(name, 'greet', ['js'], { punctuation: '?' }), `hello js? from ${name}`);
  });

  test('echo returns JSON values unchanged, falsy and nested ones included', async () => {
    for (const value of [0, '', false, null, [], {}, -2.5, 'hé ✓', [1, [2, [3]]], { a: { b: null, c: [true, { d: 'x' }] } }]) {
      assert.deepStrictEqual(await client.send(name, 'echo', [value]), value);
    }
  });

  test('many concurrent sends each get their own result', async () => {
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => client.send(name, 'add', [i, 1000])));
    assert.deepStrictEqual(results, Array.from({ length: 50 }, (_, i) => i + 1000));
  });

  test('remember stores into extra, which info reports', async () => {
    assert.equal(await client.send(name, 'remember', ['k', 'v1']), null);
    assert.equal(await client.send(name, 'remember', ['k', 'v2']), 'v1');
    const info = await client.info(name);
    for (const key of ['actor', 'events', 'extra', 'system']) assert.ok(key in info, `info has no ${key}`);
    assert.equal(info.extra.k, 'v2');
    assert.equal(info.extra.color, 'blue');
  });

  test('fire-and-forget commands take effect', async () => {
    for (let i = 0; i < 3; i++) await client.send(name, 'count', [2]);
    // count is not acknowledged: poll until the actor has run all three.
    // 5 s is far more than three local commands take (~ms).
    await waitFor(async () => (await client.info(name)).extra.count === 6, { timeoutMs: 5_000, what: 'extra.count == 6' });
  });

  test('command errors carry their gRPC status', async () => {
    await rejects(client.send(name, 'no_such_action'), 'UNIMPLEMENTED', { Class: CommandNotFound });
    await rejects(client.send(name, 'add', [1]), 'INVALID_ARGUMENT');
    await rejects(client.send(name, 'boom', ['kaput']), 'UNKNOWN', { Class: CommandError, message: /ValueError: kaput/ });
    await rejects(client.spawn({ name }), 'ALREADY_EXISTS');
  });

  test('a send past its deadline fails with DEADLINE_EXCEEDED, and the actor lives on', async () => {
    const started = Date.now();
    await rejects(client.send(name, 'sleep', [3], {}, { timeoutSeconds: 0.2 }), 'DEADLINE_EXCEEDED');
    // The sleep lasts 3 s; failing well before it shows the 0.2 s deadline did it
    // (2 s leaves room for a slow, shared machine).
    assert.ok(Date.now() - started < 2_000, `took ${Date.now() - started} ms`);
    assert.equal(await client.send(name, 'ping'), 'pong');
    assert.equal(await client.send(name, 'sleep', [0.01], {}, { timeoutSeconds: 5 }), 0.01);
  });

  test('listActors and getActor describe it', async () => {
    const listed = await client.listActors({ namePrefix: name });
    assert.deepStrictEqual(listed.map((s) => s.actor.name), [name]);
    const summary = await client.getActor(name);
    assert.equal(summary.actor.aid, ref.aid);
    assert.equal(summary.kind, 'process');
    assert.equal(summary.actor.state, 'running');
    assert.ok(summary.createdAt instanceof Date && summary.createdAt <= new Date(), String(summary.createdAt));
    assert.equal(summary.crashReport, null);
    assert.ok(summary.pid > 0 && summary.pid !== process.pid);
    const running = await client.listActors({ namePrefix: name, state: 'running' });
    assert.deepStrictEqual(running.map((s) => s.actor.name), [name]);
    assert.deepStrictEqual(await client.listActors({ namePrefix: name, state: 'stopping' }), []);
  });

  test('stop resolves once it has exited; then it is unknown', async () => {
    const { pid } = await rememberPid(name);
    const stopped = await client.stop(name);
    assert.equal(stopped.actor.name, name);
    assert.equal(stopped.actor.state, 'closed');
    assert.equal(stopped.exitCode, 0);
    await rejects(client.send(name, 'ping'), 'NOT_FOUND', { Class: ActorNotFound });
    await rejects(client.stop(name), 'NOT_FOUND', { Class: ActorNotFound });
    // Stop returns after the exit; the OS may take a moment to reap it (1 s margin).
    await waitFor(() => !pidAlive(pid), { timeoutMs: 1_000, what: `pid ${pid} to exit` });
    const [exited] = await client.listActors({ namePrefix: name, includeExited: true });
    assert.equal(exited.actor.state, 'closed');
    assert.equal(exited.crashReport.stopRequested, true);
    assert.equal(exited.crashReport.exitCode, 0);
    assert.ok(exited.crashReport.exitedAt instanceof Date, String(exited.crashReport.exitedAt));
    assert.ok(Array.isArray(exited.crashReport.outputTail));
    const lines = [];
    for await (const line of client.logs(name, { tailLines: 50 })) lines.push(line);
    assert.ok(lines.some((line) => line.includes('stopping (ordered by its monitor')), lines.join('\n'));
  });
});

test('restart types, page tokens and events', async () => {
  const names = [`${P}page-a`, `${P}page-b`, `${P}page-c`];
  const seen = [];
  const saw = (line) => seen.includes(line);
  await client.spawn({ name: names[0], restart: 'permanent' });
  // The first actor is live before the watch starts: its EXISTING event tells that
  // the watch is registered, so the later spawns' events cannot be missed.
  const watch = client.watchActors({ namePrefix: `${P}page-`, includeExisting: true });
  const watching = (async () => {
    for await (const event of watch) seen.push(`${event.type} ${event.actor.actor.name}`);
  })();
  try {
    // 10 s: an event takes milliseconds; this is for a loaded machine.
    await waitFor(() => saw(`existing ${names[0]}`), { timeoutMs: 10_000, what: `the existing event, seen ${seen}` });
    const refs = await Promise.all(names.slice(1).map((name) => client.spawn({ name, restart: 'permanent' })));
    for (const name of names) await rememberPid(name);
    await waitFor(() => names.slice(1).every((name) => saw(`running ${name}`)), { timeoutMs: 10_000, what: `running events, seen ${seen}` });
    for (const ref of refs) assert.ok(saw(`spawned ${ref.name}`), `no spawned event for ${ref.name}: ${seen}`);
    const pages = [];
    let pageToken = '';
    do {
      const page = await client.listActorsPage({ namePrefix: `${P}page-`, pageSize: 2, pageToken });
      pages.push(page.actors.map((s) => s.actor.name));
      assert.ok(page.actors.every((s) => s.restart === 'permanent'));
      pageToken = page.nextPageToken;
    } while (pageToken);
    assert.deepStrictEqual(pages, [names.slice(0, 2), names.slice(2)]);
    assert.deepStrictEqual((await client.listActors({ namePrefix: `${P}page-`, pageSize: 1 })).map((s) => s.actor.name), names);
    await rejects(client.listActorsPage({ namePrefix: `${P}page-`, pageToken: 'not-a-token' }), 'INVALID_ARGUMENT');
  } finally {
    watch.cancel();
    await watching;
    await Promise.all(names.map((name) => client.stop(name).catch(() => {})));
  }
});

test('a thread actor runs its start hook', async () => {
  const name = `${P}thread`;
  await client.spawn({ name, kind: 'thread', start: 'actorgrpc.examples.demo:on_start' });
  try {
    assert.equal((await client.info(name)).extra.started_by_hook, true);
    assert.equal((await client.getActor(name)).kind, 'thread');
  } finally {
    await client.stop(name);
  }
});

test('the server\'s error details pick the class: SpawnError, and the exception type', async () => {
  // UNKNOWN alone would be a CommandError: SpawnError comes from the details trailer.
  await assert.rejects(client.spawn({ name: `${P}nostart`, start: 'actorgrpc.examples.demo:boom' }), (err) => {
    assert.ok(err instanceof SpawnError, err.stack);
    assert.equal(err.errorClass, 'SpawnError');
    assert.equal(err.remoteType, 'ValueError');
    return true;
  });
  const name = `${P}raiser`;
  await client.spawn({ name });
  try {
    for (const send of [client.send, client.sendViaArbiter]) {
      await assert.rejects(send.call(client, name, 'boom', ['kaput']), (err) => {
        assert.ok(err instanceof CommandError && !(err instanceof SpawnError), err.stack);
        assert.equal(err.errorClass, 'CommandError');
        assert.equal(err.remoteType, 'ValueError');
        assert.equal(err.message, 'ValueError: kaput');
        return true;
      });
    }
  } finally {
    await client.stop(name);
  }
});

test('hooks outside the allowed modules are refused', async () => {
  await rejects(client.spawn({ name: `${P}bad`, start: 'os:system' }), 'PERMISSION_DENIED');
  await rejects(client.spawn({ name: `${P}bad`, start: 'not a reference' }), 'INVALID_ARGUMENT');
});

test('the arbiter answers as "arbiter" and as the empty info target', async () => {
  assert.equal(await client.send('arbiter', 'ping'), 'pong');
  const info = await client.info();
  for (const key of ['actor', 'monitors', 'system']) assert.ok(key in info, `info has no ${key}`);
});

test('bad calls are refused before anything is sent, with INVALID_ARGUMENT', async () => {
  const refused = (promise, message) => rejects(promise, 'INVALID_ARGUMENT', { Class: InvalidArgument, message });
  await refused(client.spawn({ periodic_task: 'x:y' }), /unknown spawn field\(s\): periodic_task/);
  await refused(client.spawn({ kind: 'thraed' }), /bad kind "thraed": expected one of process, thread/);
  await refused(client.spawn({ restart: 'always' }), /bad restart "always": expected one of temporary, transient, permanent/);
  await refused(client.spawn({ timeoutSeconds: -1 }), /timeoutSeconds must be a positive number/);
  await refused(client.listActors({ name_prefix: 'x' }), /unknown listActors field/);
  await refused(client.listActors({ state: 'RUNNING' }), /bad state "RUNNING"/);
  await refused(client.sendViaArbiter('arbiter', 'echo', [() => 1]), /a function is not JSON-shaped \(at args\[0\]\)/);
  await refused(client.sendViaArbiter('arbiter', 'echo', [new Map()]), /a Map is not JSON-shaped/);
  await refused(client.sendViaArbiter('arbiter', 'ping', [], {}, { timeoutSeconds: 0 }), /timeoutSeconds must be a positive number/);
});

test('connect to a closed port fails with UNAVAILABLE', async () => {
  // A port that was just free: bind it, note it, close it.
  const server = net.createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  // 1 s is plenty to be refused on loopback; the test checks the code, not speed.
  await rejects(connect(`127.0.0.1:${port}`, { connectTimeoutSeconds: 1 }), 'UNAVAILABLE');
});

test('the example script runs', async () => {
  const script = path.join(__dirname, '..', 'examples', 'quickstart.js');
  // 30 s: it spawns and stops one process actor (~1 s each on a loaded machine).
  const { stdout } = await promisify(execFile)(process.execPath, [script, arbiter.address], { timeout: 30_000 });
  assert.match(stdout, /add\(2, 3\) -> 5/);
  assert.match(stdout, /boom -> UNKNOWN ValueError: kaput/);
  assert.match(stdout, /stopped js-example/);
});
