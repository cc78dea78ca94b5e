'use strict';
// Tokens and TLS against real arbiters started with --auth-token-file,
// --tls-cert/--tls-key and --tls-client-ca, on both the arbiter and the direct
// path (every actor mailbox checks the same token and serves the same certificate).
const { after, before, describe, test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const errors = require('../src/errors');
const { connect } = require('../src');
const { startArbiter, waitFor, pidAlive } = require('../support/arbiter');
const { makeCerts } = require('../support/certs');

const ADMIN = 'admin-token-0123456789abcdef';
const READ = 'read-token-0123456789abcdef';
let certs;
const actorPids = new Set();

async function rejects(promise, codeName, Class) {
  await assert.rejects(promise, (err) => {
    assert.ok(err instanceof Class, `expected ${Class.name}, got ${err && err.stack}`);
    assert.equal(err.codeName, codeName, err.message);
    return true;
  });
}

before(() => {
  certs = makeCerts();
  fs.writeFileSync(path.join(certs.dir, 'tokens'), `# test tokens\nadmin ${ADMIN}\nread ${READ}\n`);
});

after(async () => {
  // Each arbiter stops its actors; stop escalates to SIGKILL within 10 s at worst.
  await waitFor(() => [...actorPids].every((pid) => !pidAlive(pid)), { timeoutMs: 15_000, what: `actor pids ${[...actorPids]} to exit` });
  certs.remove();
});

/** Starts an arbiter with `args`; runs `body(arbiter)`; stops it. */
function withArbiter(args, body) {
  return async () => {
    const arbiter = await startArbiter({ args: args() });
    try {
      await body(arbiter);
    } finally {
      await arbiter.stop();
    }
  };
}

describe('bearer tokens', () => {
  test('admin, read, wrong and missing tokens, on the arbiter and on the mailboxes', withArbiter(
    () => ['--auth-token-file', path.join(certs.dir, 'tokens')],
    async (arbiter) => {
      const admin = await connect(arbiter.address, { token: ADMIN });
      const reader = await connect(arbiter.address, { token: READ });
      const stranger = await connect(arbiter.address, { token: 'wrong-token-0123456789abcdef' });
      const anonymous = await connect(arbiter.address, { token: '' });
      try {
        const ref = await admin.spawn({ name: 'js-sec-tok' });
        actorPids.add((await admin.getActor(ref.name)).pid);
        assert.equal(await admin.send(ref.name, 'ping'), 'pong');
        assert.equal(await admin.sendViaArbiter(ref.name, 'ping'), 'pong');
        await admin.tell(ref.name, 'count', [1]);
        assert.equal((await admin.send(ref, 'info')).extra.count, 1);
        // A read token may look, not act: GetActor works, the mailbox refuses it.
        assert.equal((await reader.listActors({ namePrefix: 'js-sec-' })).length, 1);
        await rejects(reader.spawn({ name: 'js-sec-no' }), 'PERMISSION_DENIED', errors.PermissionDenied);
        await rejects(reader.sendViaArbiter(ref.name, 'ping'), 'PERMISSION_DENIED', errors.PermissionDenied);
        await rejects(reader.send(ref.name, 'ping'), 'PERMISSION_DENIED', errors.PermissionDenied);
        for (const client of [stranger, anonymous]) {
          await rejects(client.listActors(), 'UNAUTHENTICATED', errors.Unauthenticated);
          // Straight to the mailbox with the actor's address: it checks too.
          await rejects(client.send(ref, 'ping'), 'UNAUTHENTICATED', errors.Unauthenticated);
        }
        await admin.stop(ref.name);
      } finally {
        for (const client of [admin, reader, stranger, anonymous]) client.close();
      }
    },
  ));

  test('the token defaults to $ACTORGRPC_TOKEN', withArbiter(
    () => ['--auth-token-file', path.join(certs.dir, 'tokens')],
    async (arbiter) => {
      const saved = process.env.ACTORGRPC_TOKEN;
      process.env.ACTORGRPC_TOKEN = READ;
      try {
        const client = await connect(arbiter.address);
        try {
          assert.ok(Array.isArray(await client.listActors()));
          await rejects(client.spawn({}), 'PERMISSION_DENIED', errors.PermissionDenied);
        } finally {
          client.close();
        }
      } finally {
        if (saved === undefined) delete process.env.ACTORGRPC_TOKEN;
        else process.env.ACTORGRPC_TOKEN = saved;
      }
      await rejects(connect(arbiter.address, { token: 'not a token' }), 'INVALID_ARGUMENT', errors.InvalidArgument);
    },
  ));
});

describe('TLS', () => {
  const serve = () => ['--tls-cert', certs.serverCert, '--tls-key', certs.serverKey, '--tls-ca', certs.ca,
    '--auth-token-file', path.join(certs.dir, 'tokens')];

  test('TLS and a token on both paths; a wrong CA, name or plaintext is refused', withArbiter(serve, async (arbiter) => {
    const client = await connect(arbiter.address, { token: ADMIN, tls: { ca: certs.ca } });
    try {
      const ref = await client.spawn({ name: 'js-sec-tls' });
      actorPids.add((await client.getActor(ref.name)).pid);
      assert.equal(await client.send(ref.name, 'echo', ['over TLS']), 'over TLS');
      assert.equal(await client.sendViaArbiter(ref.name, 'add', [1, 2]), 3);
      // The certificate names 127.0.0.1 and localhost: serverName picks which.
      const named = await connect(arbiter.address, { token: ADMIN, tls: { ca: fs.readFileSync(certs.ca), serverName: 'localhost' } });
      assert.equal(await named.send(ref, 'ping'), 'pong');
      named.close();
      // connect() waits for a channel that is ready; these never are. 0.5 s is long
      // enough for a handshake that would wrongly succeed (milliseconds on loopback).
      const refused = { connectTimeoutSeconds: 0.5, token: ADMIN };
      await rejects(connect(arbiter.address, { ...refused, tls: { ca: certs.otherCa } }), 'UNAVAILABLE', errors.ActorUnavailable);
      await rejects(connect(arbiter.address, { ...refused, tls: { ca: certs.ca, serverName: 'elsewhere.example' } }), 'UNAVAILABLE', errors.ActorUnavailable);
      await rejects(connect(arbiter.address, refused), 'UNAVAILABLE', errors.ActorUnavailable);
      await client.stop(ref.name);
    } finally {
      client.close();
    }
    await rejects(connect(arbiter.address, { tls: { cert: certs.clientCert } }), 'INVALID_ARGUMENT', errors.InvalidArgument);
    await rejects(connect(arbiter.address, { tls: { ca: path.join(certs.dir, 'missing.pem') } }), 'INVALID_ARGUMENT', errors.InvalidArgument);
  }));

  test('mutual TLS: a client certificate signed by the client CA is required', withArbiter(
    () => ['--tls-cert', certs.serverCert, '--tls-key', certs.serverKey, '--tls-ca', certs.ca, '--tls-client-ca', certs.ca],
    async (arbiter) => {
      const client = await connect(arbiter.address, { tls: { ca: certs.ca, cert: certs.clientCert, key: certs.clientKey } });
      try {
        const ref = await client.spawn({ name: 'js-sec-mtls' });
        actorPids.add((await client.getActor(ref.name)).pid);
        assert.equal(await client.send(ref.name, 'ping'), 'pong');
        assert.equal(await client.sendViaArbiter(ref.name, 'ping'), 'pong');
        await client.stop(ref.name);
      } finally {
        client.close();
      }
      // Without a client certificate the handshake fails (0.5 s: see above).
      await rejects(connect(arbiter.address, { connectTimeoutSeconds: 0.5, tls: { ca: certs.ca } }), 'UNAVAILABLE', errors.ActorUnavailable);
    },
  ));
});
