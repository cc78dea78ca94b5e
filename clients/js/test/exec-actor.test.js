'use strict';
// Node.js actors (src/actor, examples/demo-actor.js) run for real by arbiters as
// EXEC actors (serve --program): the conformance cases on both paths, every
// envelope form, errors and their details, an actor's own calls, supervision,
// stopping, failing to start, tokens, TLS, and dying with the arbiter.
const { after, before, describe, test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const grpc = require('@grpc/grpc-js');
const errors = require('../src/errors');
const { connect, loadV1, toListValue } = require('../src');
const { startArbiter, waitFor, pidAlive } = require('../support/arbiter');
const { makeCerts } = require('../support/certs');
const { loadCases, runCase, PATHS } = require('../conformance/run');

const DEMO = path.join(__dirname, '..', 'examples', 'demo-actor.js');
const FIXTURE_ACTOR = path.join(__dirname, '..', 'support', 'fixture-actor.js');

/**
 * The Go demo actor (clients/go/cmd/demoactor), built into a temporary folder
 * when go is on PATH, so that the cases run against it too: { path } or { missing }.
 */
function buildGoDemo() {
  const { spawnSync } = require('node:child_process');
  const dir = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'actorgrpc-js-test-go-'));
  // ~2 s with a warm build cache (make test runs the Go tests first); 300 s for a cold one.
  const built = spawnSync('go', ['build', '-o', dir + path.sep, './cmd/demoactor'], { cwd: path.join(__dirname, '..', '..', 'go'), encoding: 'utf8', timeout: 300_000 });
  if (built.error && built.error.code === 'ENOENT') {
    fs.rmSync(dir, { recursive: true, force: true });
    return { missing: 'go is not on PATH' };
  }
  // A Go checkout that does not build is a failure, not a missing tool.
  assert.equal(built.status, 0, `go build ./cmd/demoactor failed: ${built.stderr || built.error}`);
  return { dir, path: path.join(dir, 'demoactor') };
}
const GO_DEMO = buildGoDemo();
/** serve --program options: node and the script, quoted for the arbiter's shlex. */
const PROGRAMS = ['--program', `js-demo='${process.execPath}' '${DEMO}'`, '--program', `js-test='${process.execPath}' '${FIXTURE_ACTOR}'`,
  ...(GO_DEMO.path ? ['--program', `go-demo='${GO_DEMO.path}'`] : [])];
const actorPids = new Set();

async function spawnExec(client, name, program = 'js-demo', params = {}) {
  const ref = await client.spawn({ name, kind: 'exec', program, ...params });
  const summary = await client.getActor(name);
  actorPids.add(summary.pid);
  return { ref, summary };
}

async function rejects(promise, codeName, Class, message) {
  await assert.rejects(promise, (err) => {
    assert.ok(err instanceof Class, `expected ${Class.name}, got ${err && err.stack}`);
    assert.equal(err.codeName, codeName, err.message);
    if (message) assert.match(err.message, message);
    return true;
  });
}

after(async () => {
  // Every arbiter below stops its actors; a stop escalates to SIGKILL within 10 s.
  await waitFor(() => [...actorPids].every((pid) => !pidAlive(pid)), { timeoutMs: 15_000, what: `actor pids ${[...actorPids]} to exit` });
  if (GO_DEMO.dir) fs.rmSync(GO_DEMO.dir, { recursive: true, force: true });
});

describe('the Node.js demo actor under an arbiter', () => {
  let arbiter;
  let client;

  before(async () => {
    arbiter = await startArbiter({ args: PROGRAMS });
    client = await connect(arbiter.address);
  });

  after(async () => {
    if (client) client.close();
    if (arbiter) await arbiter.stop();
  });

  for (const casePath of PATHS) {
    for (const testCase of loadCases()) {
      test(`conformance: ${testCase.name} (${casePath} path)`, async () => {
        await runCase(client, testCase, { path: casePath, spawn: { kind: 'exec', program: 'js-demo' } });
      });
    }
  }

  // The same cases against the Go demo actor: the JS client with a Go actor.
  for (const casePath of PATHS) {
    for (const testCase of loadCases()) {
      test(`conformance, Go actor: ${testCase.name} (${casePath} path)`, async (t) => {
        if (GO_DEMO.missing) return t.skip(`!!! SKIPPED: the Go actor is NOT tested: ${GO_DEMO.missing} !!!`);
        const seen = await spawnedPrograms(() => runCase(client, testCase, { path: casePath, spawn: { kind: 'exec', program: 'go-demo' } }));
        // Where the case spawns a plain actor, that actor is the Go one.
        const plain = testCase.steps.some(({ op, request: r = {} }) => op === 'spawn' && !r.kind && !r.start && !r.stopping && !r.periodic_task);
        assert.equal(seen.has('go-demo'), plain, [...seen].join());
      });
    }
  }

  /** Runs fn; resolves to the programs of the exec actors its spawns asked for. */
  async function spawnedPrograms(fn) {
    const seen = new Set();
    const spawn = client.spawn;
    client.spawn = (params) => {
      if (params.kind === 'exec') seen.add(params.program);
      return spawn.call(client, params);
    };
    try {
      await fn();
    } finally {
      client.spawn = spawn;
    }
    return seen;
  }

  test('it is an EXEC actor running node, reporting its load', async () => {
    const { ref, summary } = await spawnExec(client, 'js-exec-info', 'js-demo', { extra: { color: 'blue' } });
    assert.equal(summary.kind, 'exec');
    assert.equal(summary.program, 'js-demo');
    assert.equal(ref.state, 'running');
    const info = await client.send(ref, 'info');
    assert.deepStrictEqual([info.actor.kind, info.actor.state_description, info.actor.runtime, info.actor.process_id], ['exec', 'running', `node ${process.version}`, summary.pid]);
    assert.equal(info.extra.color, 'blue');
    assert.deepStrictEqual(await client.send(ref, 'commands'), ['add', 'boom', 'commands', 'count', 'echo', 'greet', 'info', 'ping', 'remember', 'sleep', 'stop']);
    // Its mailbox answers health checks.
    const Health = grpc.makeGenericClientConstructor(require('grpc-health-check').service, 'Health');
    const health = new Health(ref.address, grpc.credentials.createInsecure());
    const checked = await new Promise((resolve, reject) => health.Check({ service: '' }, (err, r) => (err ? reject(err) : resolve(r))));
    health.close();
    assert.equal(checked.status, 'SERVING');
    // Its beats carry its memory and what it processed (one a second by default;
    // 10 s is for a loaded machine).
    await waitFor(async () => {
      const now = await client.getActor(ref.name);
      return now.memoryRssBytes > 0 && now.processed >= 2;
    }, { timeoutMs: 10_000, what: 'a beat with the load' });
    await client.stop(ref.name);
  });

  test('every envelope form, batched replies and ActorNotHosted over a raw stream; Call with details', async () => {
    const { ref } = await spawnExec(client, 'js-exec-forms');
    const stub = new (loadV1().MailboxService)(ref.address, grpc.credentials.createInsecure());
    try {
      const stream = stub.Stream();
      const replies = new Map();
      stream.on('data', (response) => {
        for (const reply of response.replies) replies.set(Number(reply.id), reply);
      });
      const json = (value) => Buffer.from(JSON.stringify(value));
      stream.write({
        envelopes: [
          { id: 1, action: 'add', values: { args: toListValue([2, 3]) } },
          { id: 2, action: 'ping' },
          { id: 3, action: 'echo', batchArgsJson: json([[1], ['two'], [{ three: 3 }]]) },
          { id: 6, action: 'greet', argsJson: json(['js']), kwargsJson: json({ punctuation: '?' }) },
          { id: 7, target: 'not-this-aid', action: 'ping', argsJson: json([]) },
          { id: 8, target: 'not-this-aid', action: 'echo', batchArgsJson: json([[1], [2]]) },
          { id: 10, action: 'echo', argsJson: Buffer.from('not json') },
          { id: 11, action: 'add', batchArgsJson: json([[1, 2], [1], [3, 4]]) },
          { id: 14, action: 'count', tell: true, argsJson: json([5]) },
          { id: 0, action: 'no_such_action', tell: true },
          { id: 15, target: ref.aid, action: 'remember', argsJson: json(['k', 'v']) },
        ],
      });
      // A reply for every ask (3-5 share one: a batch's results), none for the
      // tells (10 s for a loaded machine).
      const expected = [1, 2, 3, 6, 7, 8, 9, 10, 11, 12, 13, 15];
      await waitFor(() => replies.size === expected.length, { timeoutMs: 10_000, what: `replies, got ${[...replies.keys()]}` });
      assert.deepStrictEqual([...replies.keys()].sort((a, b) => a - b), expected);
      const text = (reply) => JSON.parse(Buffer.from(reply[reply.outcome]).toString());
      assert.deepStrictEqual([replies.get(1).outcome, replies.get(1).result.numberValue], ['result', 5]);
      assert.deepStrictEqual([replies.get(2).outcome, replies.get(2).result.stringValue], ['result', 'pong']);
      assert.deepStrictEqual([replies.get(3).outcome, text(replies.get(3))], ['batchResultsJson', [1, 'two', { three: 3 }]]);
      assert.deepStrictEqual(text(replies.get(6)), `hello js? from ${ref.name}`);
      for (const id of [7, 8, 9]) assert.deepStrictEqual(replies.get(id).failure, { code: grpc.status.NOT_FOUND, message: "no actor 'not-this-aid' at this address", type: 'ActorNotHosted' });
      assert.equal(replies.get(10).failure.code, grpc.status.INVALID_ARGUMENT);
      // A batch's failing call splits its results: 11 and 13 succeed around 12.
      assert.deepStrictEqual([text(replies.get(11)), replies.get(12).failure.code, text(replies.get(13))], [3, grpc.status.INVALID_ARGUMENT, 7]);
      assert.deepStrictEqual([replies.get(15).outcome, text(replies.get(15))], ['resultJson', null]);
      stream.end();
      await new Promise((resolve) => stream.on('status', resolve)); // the actor ends its side too
      // The tell ran (extra.count), in order before the ask that follows.
      assert.equal((await client.send(ref, 'info')).extra.count, 5);
      const call = (request) => new Promise((resolve, reject) => stub.Call(request, (err, response) => (err ? reject(errors.toActorError(err)) : resolve(response))));
      assert.equal((await call({ action: 'add', args: toListValue([2, 3]) })).result.numberValue, 5);
      await rejects(call({ action: 'nope' }), 'UNIMPLEMENTED', errors.CommandNotFound);
      await assert.rejects(call({ action: 'boom', args: toListValue(['x']) }), (err) => err instanceof errors.CommandError
        && err.errorClass === 'CommandError' && err.remoteType === 'ValueError' && err.message === 'ValueError: x');
      await assert.rejects(call({ target: 'other', action: 'ping' }), (err) => err instanceof errors.ActorNotFound && err.errorClass === 'ActorNotHosted');
      await rejects(call({ action: 'sleep', args: toListValue([3]), timeoutSeconds: 0.2 }), 'DEADLINE_EXCEEDED', errors.ActorTimeout);
    } finally {
      stub.close();
      await client.stop(ref.name);
    }
  });

  test('a frame that does not parse is salvaged envelope by envelope; garbage ends the stream', async () => {
    const { ref } = await spawnExec(client, 'js-exec-garbage');
    const raw = new grpc.Client(ref.address, grpc.credentials.createInsecure());
    const identity = (buf) => buf;
    const open = () => raw.makeBidiStreamRequest('/actorgrpc.v1.MailboxService/Stream', identity, identity, new grpc.Metadata(), {});
    const { Envelope, envelopeSuffix, encodeFrame, decodeReplies, decodeFailure, REPLY } = require('../src/wire');
    const good = (id) => new Envelope(id, envelopeSuffix('', 'echo', false, 0), `[${id}]`, String(id).length + 2, '', 0);
    // Envelope 2's action is not UTF-8: it alone is refused, by its id.
    const broken = Buffer.from([0x0a, 0x07, 0x08, 0x02, 0x1a, 0x03, 0xff, 0xfe, 0xfd]);
    try {
      const stream = open();
      const seen = new Map();
      stream.on('data', (buf) => decodeReplies(buf, (id, kind, text, start, end) => seen.set(id, kind === REPLY.FAILURE ? decodeFailure(buf, start, end) : text)));
      stream.write(Buffer.concat([encodeFrame([good(1)]), broken, encodeFrame([good(3)])]));
      // Three replies in milliseconds; 10 s for a loaded machine.
      await waitFor(() => seen.size === 3, { timeoutMs: 10_000, what: `replies, got ${[...seen.keys()]}` });
      assert.deepStrictEqual([seen.get(1), seen.get(3)], ['1', '3']);
      assert.equal(seen.get(2).code, grpc.status.INVALID_ARGUMENT);
      assert.match(seen.get(2).message, /malformed envelope: a string field is not valid UTF-8/);
      stream.end();
      const garbage = open();
      const ended = new Promise((resolve) => garbage.on('error', resolve));
      garbage.write(Buffer.from([0xff, 0xff, 0xff]));
      const err = errors.toActorError(await ended);
      assert.equal(err.codeName, 'INVALID_ARGUMENT');
      assert.match(err.message, /malformed StreamRequest frame/);
      assert.equal(await client.send(ref, 'ping'), 'pong'); // the actor lives on
    } finally {
      raw.close();
      await client.stop(ref.name);
    }
  });

  test('calls run in the order sent, across frames, batches and tells', async () => {
    const { ref } = await spawnExec(client, 'js-exec-order');
    await client.send(ref, 'remember', ['k', -1]);
    // remember returns the value it replaces: each call saw the one made before it.
    const olds = Array.from({ length: 3000 }, (_, i) => (i % 3 === 2
      ? client.tell(ref, 'remember', ['k', i]).then(() => i - 1)
      : client.send(ref, 'remember', ['k', i])));
    assert.deepStrictEqual(await Promise.all(olds), Array.from({ length: 3000 }, (_, i) => i - 1));
    assert.equal(await client.send(ref, 'remember', ['k', 'end']), 2999);
    await client.stop(ref.name);
  });

  test('results that JSON cannot carry, or too large, fail cleanly; bursts come back whole', async () => {
    const { ref } = await spawnExec(client, 'js-exec-results', 'js-test');
    await rejects(client.send(ref, 'not_json'), 'UNKNOWN', errors.CommandError, /the result of 'not_json' is not JSON-shaped/);
    await rejects(client.send(ref, 'huge', [5 * 1024 * 1024]), 'RESOURCE_EXHAUSTED', errors.MessageTooLarge, /exceeds the maximum message size/);
    const results = await Promise.all(Array.from({ length: 5000 }, (_, i) => client.send(ref, 'add', [i, 1])));
    assert.deepStrictEqual(results, Array.from({ length: 5000 }, (_, i) => i + 1));
    // Async commands interleave: each answers when it is done, not in call order.
    const order = [];
    await Promise.all([client.send(ref, 'wait', [300]).then(() => order.push('slow')), client.send(ref, 'wait', [1]).then(() => order.push('fast'))]);
    assert.deepStrictEqual(order, ['fast', 'slow']);
    await client.stop(ref.name);
  });

  test('an actor sends with its own credential: to a Python actor and to a Node.js one', async () => {
    const { ref } = await spawnExec(client, 'js-exec-relay', 'js-test');
    await spawnExec(client, 'js-exec-peer');
    await client.spawn({ name: 'js-exec-python' });
    actorPids.add((await client.getActor('js-exec-python')).pid);
    assert.equal(await client.send(ref, 'relay', ['js-exec-python', 'add', [2, 3]]), 5);
    assert.equal(await client.send(ref, 'relay', ['js-exec-peer', 'greet', ['relay']]), 'hello relay! from js-exec-peer');
    await rejects(client.send(ref, 'relay', ['js-exec-nobody', 'ping']), 'NOT_FOUND', errors.ActorNotFound);
    await Promise.all(['js-exec-relay', 'js-exec-peer', 'js-exec-python'].map((name) => client.stop(name)));
  });

  test('kill -9: restarted under its name (restart permanent)', async () => {
    const name = 'js-exec-phoenix';
    const { ref, summary } = await spawnExec(client, name, 'js-demo', { restart: 'permanent' });
    assert.equal(await client.send(name, 'remember', ['k', 'lost']), null);
    process.kill(summary.pid, 'SIGKILL');
    // The supervisor notices the exit and starts a new incarnation at once (the first
    // restart has no backoff); GetActor waits for it (20 s: a node start on a loaded
    // machine). By then this client has seen its stream to the dead address end
    // (milliseconds after the kill), so the send below looks the name up afresh.
    await waitFor(async () => {
      const now = await client.getActor(name, { waitSeconds: 5 }).catch(() => null);
      return now && now.pid !== summary.pid && now.actor.state === 'running';
    }, { timeoutMs: 20_000, what: 'the restarted incarnation' });
    assert.equal(client.router.connections.has(ref.address), false);
    assert.equal(await client.send(name, 'ping'), 'pong');
    const restarted = await client.getActor(name);
    actorPids.add(restarted.pid);
    assert.notEqual(restarted.pid, summary.pid);
    assert.notEqual(restarted.actor.aid, ref.aid);
    assert.equal(restarted.restarts, 1);
    assert.equal(restarted.kind, 'exec');
    assert.equal(await client.send(name, 'remember', ['k', 'new']), null); // a fresh actor
    const stopped = await client.stop(name);
    assert.deepStrictEqual([stopped.actor.state, stopped.exitCode], ['closed', 0]);
  });

  test('SIGTERM and the stop command stop it cleanly (exit 0), not restarted', async () => {
    const { summary } = await spawnExec(client, 'js-exec-term');
    process.kill(summary.pid, 'SIGTERM');
    // It stops, says so and exits; the arbiter records the exit (10 s: margin).
    await waitFor(() => !pidAlive(summary.pid), { timeoutMs: 10_000, what: 'the actor to exit' });
    const exited = await waitFor(async () => {
      const [found] = await client.listActors({ namePrefix: 'js-exec-term', includeExited: true });
      return found && found.crashReport ? found : null;
    }, { timeoutMs: 10_000, what: 'the crash report' });
    assert.deepStrictEqual([exited.actor.state, exited.crashReport.exitCode], ['closed', 0]);
    await rejects(client.send('js-exec-term', 'ping'), 'NOT_FOUND', errors.ActorNotFound);

    const other = await spawnExec(client, 'js-exec-stopcmd');
    assert.equal(await client.send(other.ref, 'stop'), null);
    await waitFor(() => !pidAlive(other.summary.pid), { timeoutMs: 10_000, what: 'the actor to exit after stop' });
  });

  test('a program that cannot start fails its spawn with its error (exit 3)', async () => {
    await assert.rejects(client.spawn({ name: 'js-exec-nostart', kind: 'exec', program: 'js-test', extra: { fail_start: 'no database' } }), (err) => {
      assert.ok(err instanceof errors.SpawnError, err.stack);
      assert.match(err.message, /RangeError: no database/);
      return true;
    });
    const [failed] = await client.listActors({ namePrefix: 'js-exec-nostart', includeExited: true });
    // It exits 3 once the monitor has its failure, but the arbiter kills what is left
    // of a failed spawn at once: whichever comes first is the recorded exit.
    assert.ok([3, -9].includes(failed.crashReport.exitCode), String(failed.crashReport.exitCode));
    assert.match(failed.crashReport.outputTail.join('\n'), /failed to start: RangeError: no database/);
    await rejects(client.spawn({ name: 'js-exec-unknown', kind: 'exec', program: 'not-registered' }), 'PERMISSION_DENIED', errors.PermissionDenied);
  });
});

test('a program started without ActorBoot exits 3, saying why', async () => {
  const { spawnSync } = require('node:child_process');
  const env = { ...process.env };
  delete env.ACTORGRPC_BOOT_FD;
  // 30 s: one node start.
  const run = spawnSync(process.execPath, [DEMO], { env, encoding: 'utf8', timeout: 30_000 });
  assert.equal(run.status, 3, run.stderr);
  assert.match(run.stderr, /ACTORGRPC_BOOT_FD is not set/);
});

describe('Node.js actors with tokens and TLS', () => {
  const ADMIN = 'admin-token-0123456789abcdef';
  const READ = 'read-token-0123456789abcdef';
  let certs;

  before(() => {
    certs = makeCerts();
    fs.writeFileSync(path.join(certs.dir, 'tokens'), `admin ${ADMIN}\nread ${READ}\n`);
  });

  after(() => certs.remove());

  test('the mailbox checks tokens and serves TLS; its own calls use the internal credential', async () => {
    const arbiter = await startArbiter({
      args: [...PROGRAMS, '--auth-token-file', path.join(certs.dir, 'tokens'), '--tls-cert', certs.serverCert, '--tls-key', certs.serverKey, '--tls-ca', certs.ca],
    });
    const tls = { ca: certs.ca };
    const admin = await connect(arbiter.address, { token: ADMIN, tls });
    const reader = await connect(arbiter.address, { token: READ, tls });
    const anonymous = await connect(arbiter.address, { token: '', tls });
    try {
      const { ref } = await spawnExec(admin, 'js-exec-secure', 'js-test');
      await admin.spawn({ name: 'js-exec-secure-py' });
      actorPids.add((await admin.getActor('js-exec-secure-py')).pid);
      assert.equal(await admin.send(ref, 'add', [1, 2]), 3);
      assert.equal(await admin.sendViaArbiter(ref.name, 'add', [1, 2]), 3);
      await rejects(reader.send(ref.name, 'ping'), 'PERMISSION_DENIED', errors.PermissionDenied, /the read token may not call/);
      await rejects(anonymous.send(ref, 'ping'), 'UNAUTHENTICATED', errors.Unauthenticated);
      assert.equal(await admin.send(ref, 'relay', ['js-exec-secure-py', 'add', [20, 22]]), 42);
      await admin.stop(ref.name);
    } finally {
      for (const client of [admin, reader, anonymous]) client.close();
      await arbiter.stop();
    }
  });

  test('mutual TLS: the actor asks for client certificates and presents the arbiter\'s', async () => {
    const arbiter = await startArbiter({
      args: [...PROGRAMS, '--tls-cert', certs.serverCert, '--tls-key', certs.serverKey, '--tls-ca', certs.ca, '--tls-client-ca', certs.ca],
    });
    const client = await connect(arbiter.address, { tls: { ca: certs.ca, cert: certs.clientCert, key: certs.clientKey } });
    try {
      const { ref } = await spawnExec(client, 'js-exec-mtls', 'js-test');
      await spawnExec(client, 'js-exec-mtls-peer');
      assert.equal(await client.send(ref, 'relay', ['js-exec-mtls-peer', 'add', [2, 2]]), 4);
      // A client with the right CA but no certificate of its own cannot reach the mailbox.
      const stub = new (loadV1().MailboxService)(ref.address, grpc.credentials.createSsl(fs.readFileSync(certs.ca)));
      await rejects(new Promise((resolve, reject) => stub.Call({ action: 'ping' }, (err, r) => (err ? reject(errors.toActorError(err)) : resolve(r)))),
        'UNAVAILABLE', errors.ActorUnavailable);
      stub.close();
      await Promise.all(['js-exec-mtls', 'js-exec-mtls-peer'].map((name) => client.stop(name)));
    } finally {
      client.close();
      await arbiter.stop();
    }
  });
});

test('a Node.js actor dies with its arbiter (stdin ends)', async () => {
  const arbiter = await startArbiter({ args: PROGRAMS });
  const client = await connect(arbiter.address);
  const { summary } = await spawnExec(client, 'js-exec-orphan');
  client.close();
  process.kill(arbiter.pid, 'SIGKILL');
  await arbiter.stop(); // reaps it
  // End of file on stdin (and the heartbeat's end) make it exit at once; 10 s is
  // for a loaded machine.
  await waitFor(() => !pidAlive(summary.pid), { timeoutMs: 10_000, what: `actor ${summary.pid} to exit after its arbiter` });
});
