'use strict';
/**
 * The errors of the client, mapped from gRPC statuses in one place (`toActorError`).
 *
 *   ActorError            every failed call; `code` (number), `codeName` ('NOT_FOUND')
 *   ├── ActorNotFound     NOT_FOUND: no live actor with that aid or name
 *   ├── CommandNotFound   UNIMPLEMENTED: the actor has no such command
 *   └── CommandError      UNKNOWN: the command raised; message "ValueError: text"
 *
 * Every other status (INVALID_ARGUMENT, ALREADY_EXISTS, UNAVAILABLE,
 * DEADLINE_EXCEEDED, PERMISSION_DENIED, RESOURCE_EXHAUSTED, ...) is a plain
 * ActorError: test `err.codeName` or compare `err.code` with `status`.
 */
const { status } = require('@grpc/grpc-js');

class ActorError extends Error {
  /**
   * @param {number} code gRPC status code
   * @param {string} message the server's status message (details)
   * @param {{cause?: unknown, metadata?: object}} [options]
   */
  constructor(code, message, options = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.codeName = status[code] || `CODE_${code}`;
    this.metadata = options.metadata;
  }
}

class ActorNotFound extends ActorError {}
class CommandNotFound extends ActorError {}
class CommandError extends ActorError {}

const SUBCLASS = {
  [status.NOT_FOUND]: ActorNotFound,
  [status.UNIMPLEMENTED]: CommandNotFound,
  [status.UNKNOWN]: CommandError,
};

/** The ActorError for a failed call: a grpc-js ServiceError, or anything thrown. */
function toActorError(err) {
  if (err instanceof ActorError) return err;
  const isStatus = err && typeof err.code === 'number' && err.code in status;
  const code = isStatus ? err.code : status.INTERNAL;
  const message = isStatus && typeof err.details === 'string' ? err.details : String(err && err.message);
  const Class = SUBCLASS[code] || ActorError;
  return new Class(code, message, { cause: err, metadata: err && err.metadata });
}

module.exports = { ActorError, ActorNotFound, CommandNotFound, CommandError, toActorError, status };
