'use strict';
/**
 * The errors of the client, mapped from gRPC statuses in one place. Python's
 * tree (actorgrpc/errors.py), with the same class names:
 *
 *   ActorError                  every failed call: code, codeName, errorClass, remoteType
 *   ├── ActorNotFound           NOT_FOUND          no live actor with that aid or name
 *   ├── CommandNotFound         UNIMPLEMENTED      the actor has no such command
 *   ├── InvalidArgument         INVALID_ARGUMENT   malformed request, bad arguments,
 *   │   │                                          values that are not JSON-shaped
 *   │   └── MessageTooLarge     RESOURCE_EXHAUSTED over the maximum message size
 *   ├── ActorAlreadyExists      ALREADY_EXISTS     a live actor already has the name
 *   ├── CommandError            UNKNOWN            the command raised; "ValueError: text"
 *   │   └── SpawnError          UNKNOWN            the actor could not start
 *   ├── ActorUnavailable        UNAVAILABLE        the actor died while handling the call,
 *   │   │                                          the arbiter is stopping, a stream broke
 *   │   │                                          (also CANCELLED and INTERNAL)
 *   │   └── NotDelivered        UNAVAILABLE        no connection to the actor's address
 *   │                                              could be made: the call was not sent
 *   ├── ActorTimeout            DEADLINE_EXCEEDED  the deadline passed
 *   ├── PermissionDenied        PERMISSION_DENIED  module or hook not allowed, or a
 *   │                                              token whose role does not allow it
 *   ├── Unauthenticated         UNAUTHENTICATED    a missing or wrong token
 *   └── ResourceExhausted       RESOURCE_EXHAUSTED a queue or limit is full
 *
 * The class comes from the status code, refined by the server's error class when
 * it names one with the same code (SpawnError, MessageTooLarge); messages are
 * never parsed. `errorClass` is that class name (the server's, else the one the
 * code implies), `remoteType` the type of the exception a command raised
 * ("ValueError"), or "".
 */
const { status } = require('@grpc/grpc-js');

class ActorError extends Error {
  /**
   * @param {number} code gRPC status code
   * @param {string} message the server's status message
   * @param {{cause?: unknown, metadata?: object, errorClass?: string, remoteType?: string}} [options]
   */
  constructor(code, message, options = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.codeName = status[code] || `CODE_${code}`;
    this.errorClass = options.errorClass || new.target.name;
    this.remoteType = options.remoteType || '';
    this.metadata = options.metadata;
  }
}

class ActorNotFound extends ActorError {}
class CommandNotFound extends ActorError {}
class InvalidArgument extends ActorError {}
class MessageTooLarge extends InvalidArgument {}
class ActorAlreadyExists extends ActorError {}
class CommandError extends ActorError {}
class SpawnError extends CommandError {}
class ActorUnavailable extends ActorError {}
class NotDelivered extends ActorUnavailable {}
class ActorTimeout extends ActorError {}
class PermissionDenied extends ActorError {}
class Unauthenticated extends ActorError {}
class ResourceExhausted extends ActorError {}

/** Each class's own code: the code-implied class, and the codes a named class may carry. */
const CODE_OF_CLASS = new Map([
  [ActorNotFound, status.NOT_FOUND],
  [CommandNotFound, status.UNIMPLEMENTED],
  [InvalidArgument, status.INVALID_ARGUMENT],
  [MessageTooLarge, status.RESOURCE_EXHAUSTED],
  [ActorAlreadyExists, status.ALREADY_EXISTS],
  [CommandError, status.UNKNOWN],
  [SpawnError, status.UNKNOWN],
  [ActorUnavailable, status.UNAVAILABLE],
  [NotDelivered, status.UNAVAILABLE],
  [ActorTimeout, status.DEADLINE_EXCEEDED],
  [PermissionDenied, status.PERMISSION_DENIED],
  [Unauthenticated, status.UNAUTHENTICATED],
  [ResourceExhausted, status.RESOURCE_EXHAUSTED],
]);

const CLASS_OF_CODE = new Map([
  [status.NOT_FOUND, ActorNotFound],
  [status.UNIMPLEMENTED, CommandNotFound],
  [status.INVALID_ARGUMENT, InvalidArgument],
  [status.ALREADY_EXISTS, ActorAlreadyExists],
  [status.UNKNOWN, CommandError],
  [status.UNAVAILABLE, ActorUnavailable],
  [status.CANCELLED, ActorUnavailable],
  [status.INTERNAL, ActorUnavailable],
  [status.DEADLINE_EXCEEDED, ActorTimeout],
  [status.PERMISSION_DENIED, PermissionDenied],
  [status.UNAUTHENTICATED, Unauthenticated],
  [status.RESOURCE_EXHAUSTED, ResourceExhausted],
]);

const CLASS_BY_NAME = new Map([...CODE_OF_CLASS.keys()].map((Class) => [Class.name, Class]));

/**
 * The error for a status: `code`, `message`, and what the server said about it
 * (`errorClass`: its error class name; `remoteType`: the raised exception's type).
 */
function errorFromStatus(code, message, { errorClass = '', remoteType = '', cause, metadata } = {}) {
  const named = CLASS_BY_NAME.get(errorClass);
  const Class = named && CODE_OF_CLASS.get(named) === code ? named : CLASS_OF_CODE.get(code) || ActorError;
  return new Class(code, message, { cause, metadata, errorClass: errorClass || Class.name, remoteType });
}

/**
 * The error for a `Failure` on a stream ({code, message, type}): `type` is the
 * exception's type for a command that raised, or an actorgrpc error class.
 */
function errorFromFailure(failure) {
  const type = failure.type || '';
  const code = failure.code || status.UNKNOWN;
  const isClass = CLASS_BY_NAME.has(type) || type === 'ActorNotHosted';
  return errorFromStatus(code, failure.message || '', {
    errorClass: isClass ? type : '',
    remoteType: isClass ? '' : type,
  });
}

/**
 * A grpc-js ServiceError (or anything thrown) as an ActorError: the class from
 * the status code and the details trailer (status-details.js), never the message.
 */
function toActorError(err) {
  if (err instanceof ActorError) return err;
  const isStatus = err && typeof err.code === 'number' && err.code in status;
  if (!isStatus) {
    return new ActorError(status.INTERNAL, String(err && err.message), { cause: err, errorClass: 'ActorError' });
  }
  // Loaded on first use: it loads the google.rpc protos.
  const info = require('./status-details').decodeDetails(err.metadata);
  return errorFromStatus(err.code, typeof err.details === 'string' ? err.details : String(err.message), {
    errorClass: info.errorClass,
    remoteType: info.exceptionType,
    cause: err,
    metadata: err.metadata,
  });
}

/** An INVALID_ARGUMENT refusal made before anything is sent. */
function invalidArgument(message) {
  return new InvalidArgument(status.INVALID_ARGUMENT, message);
}

/** A client-side error of `Class` with that class's own code. */
function localError(Class, message) {
  return new Class(CODE_OF_CLASS.get(Class), message);
}

module.exports = {
  ActorError,
  ActorNotFound,
  CommandNotFound,
  InvalidArgument,
  MessageTooLarge,
  ActorAlreadyExists,
  CommandError,
  SpawnError,
  ActorUnavailable,
  NotDelivered,
  ActorTimeout,
  PermissionDenied,
  Unauthenticated,
  ResourceExhausted,
  errorFromStatus,
  errorFromFailure,
  toActorError,
  invalidArgument,
  localError,
  status,
};
