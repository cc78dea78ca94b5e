'use strict';
// Unit tests of the status -> ActorError mapping (errors.js): codes and the
// server's error class, never messages.
const test = require('node:test');
const assert = require('node:assert/strict');
const { Metadata } = require('@grpc/grpc-js');
const errors = require('../src/errors');

const { ActorError, status, toActorError, errorFromFailure, errorFromStatus } = errors;

/** A grpc-js ServiceError as the callback receives it. */
function serviceError(code, details, metadata = new Metadata()) {
  return Object.assign(new Error(`${code} ${status[code]}: ${details}`), { code, details, metadata });
}

const BY_CODE = {
  NOT_FOUND: 'ActorNotFound',
  UNIMPLEMENTED: 'CommandNotFound',
  INVALID_ARGUMENT: 'InvalidArgument',
  ALREADY_EXISTS: 'ActorAlreadyExists',
  UNKNOWN: 'CommandError',
  UNAVAILABLE: 'ActorUnavailable',
  CANCELLED: 'ActorUnavailable',
  INTERNAL: 'ActorUnavailable',
  DEADLINE_EXCEEDED: 'ActorTimeout',
  PERMISSION_DENIED: 'PermissionDenied',
  UNAUTHENTICATED: 'Unauthenticated',
  RESOURCE_EXHAUSTED: 'ResourceExhausted',
};

test('the code alone picks the class; code, codeName, message and cause are kept', () => {
  for (const [name, className] of Object.entries(BY_CODE)) {
    const source = serviceError(status[name], 'why');
    const err = toActorError(source);
    assert.ok(err instanceof ActorError);
    assert.equal(err.constructor, errors[className], name);
    assert.equal(err.name, className);
    assert.equal(err.code, status[name]);
    assert.equal(err.codeName, name);
    assert.equal(err.errorClass, className);
    assert.equal(err.remoteType, '');
    assert.equal(err.message, 'why');
    assert.equal(err.cause, source);
    assert.equal(err.metadata, source.metadata);
  }
  assert.equal(toActorError(serviceError(status.ABORTED, 'x')).constructor, ActorError);
});

test('a named error class refines the class only when its code agrees', () => {
  const spawn = errorFromStatus(status.UNKNOWN, 'boom', { errorClass: 'SpawnError' });
  assert.ok(spawn instanceof errors.SpawnError && spawn instanceof errors.CommandError);
  const large = errorFromStatus(status.RESOURCE_EXHAUSTED, 'big', { errorClass: 'MessageTooLarge' });
  assert.ok(large instanceof errors.MessageTooLarge && large instanceof errors.InvalidArgument);
  assert.equal(large.codeName, 'RESOURCE_EXHAUSTED');
  // A class that does not fit the code is reported, but the code decides.
  const odd = errorFromStatus(status.NOT_FOUND, 'x', { errorClass: 'SpawnError' });
  assert.equal(odd.constructor, errors.ActorNotFound);
  assert.equal(odd.errorClass, 'SpawnError');
});

test('a stream Failure: its type is the exception type or an error class', () => {
  const raised = errorFromFailure({ code: status.UNKNOWN, message: 'ValueError: kaput', type: 'ValueError' });
  assert.ok(raised instanceof errors.CommandError);
  assert.equal(raised.remoteType, 'ValueError');
  assert.equal(raised.errorClass, 'CommandError');
  assert.equal(raised.message, 'ValueError: kaput');
  const notHosted = errorFromFailure({ code: status.NOT_FOUND, message: 'no actor', type: 'ActorNotHosted' });
  assert.ok(notHosted instanceof errors.ActorNotFound);
  assert.equal(notHosted.errorClass, 'ActorNotHosted');
  assert.equal(notHosted.remoteType, '');
  const plain = errorFromFailure({ code: status.INVALID_ARGUMENT, message: 'bad' });
  assert.equal(plain.constructor, errors.InvalidArgument);
});

test('anything else is INTERNAL, and an ActorError passes through unchanged', () => {
  const err = toActorError(new Error('socket exploded'));
  assert.equal(err.codeName, 'INTERNAL');
  assert.equal(err.message, 'socket exploded');
  assert.equal(toActorError(err), err);
});

test('the details trailer (google.rpc.Status + ErrorInfo) names the class and the exception type', () => {
  const { encodeDetails, decodeDetails, reasonOf } = require('../src/status-details');
  assert.equal(reasonOf('ActorNotFound'), 'ACTOR_NOT_FOUND');
  assert.equal(reasonOf('MessageTooLarge'), 'MESSAGE_TOO_LARGE');
  const metadata = new Metadata();
  metadata.set('grpc-status-details-bin', encodeDetails(status.RESOURCE_EXHAUSTED, 'big', 'MessageTooLarge'));
  const large = toActorError(serviceError(status.RESOURCE_EXHAUSTED, 'big', metadata));
  assert.ok(large instanceof errors.MessageTooLarge, large.stack);
  assert.equal(large.errorClass, 'MessageTooLarge');
  const raised = new Metadata();
  raised.set('grpc-status-details-bin', encodeDetails(status.UNKNOWN, 'ValueError: x', 'SpawnError', 'ValueError'));
  assert.deepStrictEqual(decodeDetails(raised), { errorClass: 'SpawnError', exceptionType: 'ValueError', reason: 'SPAWN_ERROR' });
  const spawn = toActorError(serviceError(status.UNKNOWN, 'ValueError: x', raised));
  assert.ok(spawn instanceof errors.SpawnError);
  assert.equal(spawn.remoteType, 'ValueError');
  // Garbage, another domain, or no trailer at all: the code alone decides.
  const garbage = new Metadata();
  garbage.set('grpc-status-details-bin', Buffer.from([0xff, 0xff, 0xff]));
  assert.equal(toActorError(serviceError(status.UNKNOWN, 'x', garbage)).constructor, errors.CommandError);
  assert.deepStrictEqual(decodeDetails(garbage), { errorClass: '', exceptionType: '', reason: '' });
  const protobuf = require('../src/protobuf');
  const foreign = new Metadata();
  const info = protobuf.encode('google.rpc.ErrorInfo', { reason: 'X', domain: 'example.com', metadata: { error_class: 'SpawnError' } });
  foreign.set('grpc-status-details-bin', protobuf.encode('google.rpc.Status', { code: 2, details: [{ type_url: 'type.googleapis.com/google.rpc.ErrorInfo', value: info }] }));
  assert.equal(toActorError(serviceError(status.UNKNOWN, 'x', foreign)).constructor, errors.CommandError);
});
