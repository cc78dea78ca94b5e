'use strict';
// Unit tests of the actor SDK's parts that need no arbiter: ActorBoot parsing,
// argument binding, the token check, failures.
const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { Metadata, status } = require('@grpc/grpc-js');
const { parseBoot, readBoot } = require('../src/actor/boot');
const { Command } = require('../src/actor/commands');
const { TokenCheck } = require('../src/actor/auth');
const { failureOf, notHosted } = require('../src/actor/failures');
const errors = require('../src/errors');

test('ActorBoot in protobuf JSON, with .proto field names or JSON names', () => {
  const snake = parseBoot(JSON.stringify({
    aid: 'a1', name: 'n', monitor_address: '127.0.0.1:1', secret: 's', mailbox_host: '127.0.0.1', credential: 'c',
    accepted_tokens: [{ sha256_hex: 'AB'.repeat(32), role: 'TOKEN_ROLE_ADMIN' }], tls: { cert_file: 'c.pem', key_file: 'k.pem', ca_file: 'ca.pem' },
    extra: { k: [1, 'v'] }, max_message_bytes: '1048576', monitor: 'arbiter',
  }));
  const camel = parseBoot(JSON.stringify({
    aid: 'a1', name: 'n', monitorAddress: '127.0.0.1:1', secret: 's', mailboxHost: '127.0.0.1', credential: 'c',
    acceptedTokens: [{ sha256Hex: 'ab'.repeat(32), role: 2 }], tls: { certFile: 'c.pem', keyFile: 'k.pem', caFile: 'ca.pem' },
    extra: { k: [1, 'v'] }, maxMessageBytes: 1048576, monitor: 'arbiter',
  }));
  assert.deepStrictEqual(snake, camel);
  assert.equal(snake.maxMessageBytes, 1048576);
  assert.deepStrictEqual(snake.acceptedTokens, [{ sha256Hex: 'ab'.repeat(32), role: 2 }]);
  assert.equal(snake.tls.clientCaFile, '');
  const minimal = parseBoot('{"aid":"a","monitorAddress":"h:1","secret":"s"}');
  assert.deepStrictEqual([minimal.mailboxHost, minimal.maxMessageBytes, minimal.tls, minimal.extra, minimal.acceptedTokens], ['127.0.0.1', 4194304, null, {}, []]);
  assert.throws(() => parseBoot('{"aid":"a"}'), /ActorBoot has no monitor_address/);
  assert.throws(() => parseBoot('nope'), /not valid JSON/);
  assert.throws(() => readBoot({}), /ACTORGRPC_BOOT_FD is not set/);
});

test('arguments bind as in Python: arity from the function, keywords by params', () => {
  const add = new Command('add', (actor, a, b) => a + b, { params: ['a', 'b'] });
  assert.deepStrictEqual(add.bind([1, 2], null), [1, 2]);
  assert.deepStrictEqual(add.bind([1], { b: 2 }), [1, 2]);
  assert.deepStrictEqual(add.bind([], { b: 2, a: 1 }), [1, 2]);
  const refused = (fn, message) => assert.throws(fn, (err) => err instanceof errors.InvalidArgument && message.test(err.message));
  refused(() => add.bind([1], null), /bad arguments for command 'add': missing required argument 'b'/);
  refused(() => add.bind([1, 2, 3], null), /takes at most 2 positional argument\(s\) \(3 given\)/);
  refused(() => add.bind([1], { a: 2 }), /got multiple values for argument 'a'/);
  refused(() => add.bind([1, 2], { c: 3 }), /got an unexpected keyword argument 'c'/);
  const greet = new Command('greet', (actor, name = 'world', mark = '!') => `${name}${mark}`, { params: ['name', 'mark'] });
  assert.deepStrictEqual(greet.bind([], { mark: '?' }), [undefined, '?']); // the default applies to name
  const ping = new Command('ping', () => 'pong');
  refused(() => ping.bind(['x'], null), /takes at most 0/);
  refused(() => ping.bind([], { x: 1 }), /unexpected keyword argument 'x'/);
  const any = new Command('any', (actor, ...rest) => rest, { rest: true });
  assert.deepStrictEqual(any.bind([1, 2, 3], null), [1, 2, 3]);
  assert.throws(() => new Command('bad name', () => 1), TypeError);
});

test('the token check: digests and roles, compared whatever matches', () => {
  const digest = (token) => crypto.createHash('sha256').update(token).digest('hex');
  const check = new TokenCheck([{ sha256Hex: digest('admin-token'), role: 2 }, { sha256Hex: digest('read-token'), role: 1 },
    { sha256Hex: digest('internal'), role: 3 }]);
  const metadata = (value) => {
    const m = new Metadata();
    if (value !== undefined) m.set('authorization', value);
    return m;
  };
  assert.equal(check.refusal(metadata('Bearer admin-token'), 'm'), null);
  assert.equal(check.refusal(metadata('bearer internal'), 'm'), null);
  assert.equal(check.refusal(metadata('Bearer read-token'), '/x').code, status.PERMISSION_DENIED);
  assert.equal(check.refusal(metadata('Bearer read-token'), '/x').message, 'the read token may not call /x');
  for (const value of [undefined, 'Bearer nope', 'Basic admin-token', 'Bearer ']) {
    assert.equal(check.refusal(metadata(value), 'm').code, status.UNAUTHENTICATED, String(value));
  }
  assert.equal(new TokenCheck([]).refusal(metadata(), 'm'), null);
});

test('failures: thrown errors are "Type: text", ours keep their code', () => {
  class ValueError extends Error {
    get name() {
      return 'ValueError';
    }
  }
  assert.deepStrictEqual(failureOf(new ValueError('kaput')), { code: status.UNKNOWN, message: 'ValueError: kaput', type: 'ValueError', errorClass: 'CommandError' });
  assert.deepStrictEqual(failureOf(new TypeError('')), { code: status.UNKNOWN, message: 'TypeError', type: 'TypeError', errorClass: 'CommandError' });
  assert.deepStrictEqual(failureOf('text'), { code: status.UNKNOWN, message: 'Error: text', type: 'Error', errorClass: 'CommandError' });
  assert.deepStrictEqual(failureOf(errors.invalidArgument('bad')), { code: status.INVALID_ARGUMENT, message: 'bad', type: 'InvalidArgument', errorClass: 'InvalidArgument' });
  assert.deepStrictEqual(failureOf(notHosted('x')), { code: status.NOT_FOUND, message: "no actor 'x' at this address", type: 'ActorNotHosted', errorClass: 'ActorNotHosted' });
});
