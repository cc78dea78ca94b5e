'use strict';
// Unit tests of the gRPC status -> ActorError mapping (errors.js).
const test = require('node:test');
const assert = require('node:assert/strict');
const { Metadata } = require('@grpc/grpc-js');
const { ActorError, ActorNotFound, CommandNotFound, CommandError, toActorError, status } = require('../src');

/** A grpc-js ServiceError as the callback receives it. */
function serviceError(code, details) {
  return Object.assign(new Error(`${code} ${status[code]}: ${details}`), { code, details, metadata: new Metadata() });
}

test('every status becomes an ActorError with code, codeName and the server message', () => {
  for (const name of ['INVALID_ARGUMENT', 'ALREADY_EXISTS', 'UNAVAILABLE', 'DEADLINE_EXCEEDED', 'PERMISSION_DENIED', 'RESOURCE_EXHAUSTED']) {
    const source = serviceError(status[name], 'why');
    const err = toActorError(source);
    assert.ok(err instanceof ActorError);
    assert.equal(err.constructor, ActorError);
    assert.equal(err.code, status[name]);
    assert.equal(err.codeName, name);
    assert.equal(err.message, 'why');
    assert.equal(err.cause, source);
    assert.equal(err.metadata, source.metadata);
  }
});

test("pulsar's names are subclasses", () => {
  assert.ok(toActorError(serviceError(status.NOT_FOUND, 'x')) instanceof ActorNotFound);
  assert.ok(toActorError(serviceError(status.UNIMPLEMENTED, 'x')) instanceof CommandNotFound);
  const raised = toActorError(serviceError(status.UNKNOWN, 'ValueError: kaput'));
  assert.ok(raised instanceof CommandError);
  assert.equal(raised.name, 'CommandError');
  assert.equal(raised.message, 'ValueError: kaput');
});

test('anything else is INTERNAL, and an ActorError passes through unchanged', () => {
  const err = toActorError(new Error('socket exploded'));
  assert.equal(err.codeName, 'INTERNAL');
  assert.equal(err.message, 'socket exploded');
  assert.equal(toActorError(err), err);
});
