'use strict';
/**
 * What a failed command looks like on the wire, in one place: the status code,
 * the message ("Type: text" for an error the command threw), Failure.type (the
 * thrown error's name, or an actorgrpc class such as "ActorNotHosted") and the
 * error class of the details trailer (docs/actor-protocol.md §1).
 */
const { ActorError, status, localError, ActorNotFound } = require('../errors');

/** An error a command threw, or one of ours, as {code, message, type, errorClass}. */
function failureOf(err) {
  if (err instanceof ActorError) {
    // Failure.type is the exception type of a command that raised, else the
    // actorgrpc error class (mailbox.proto): clients refine the code with it.
    return { code: err.code, message: err.message, type: err.remoteType || err.errorClass, errorClass: err.errorClass };
  }
  const isError = err instanceof Error;
  const name = isError && typeof err.name === 'string' && err.name ? err.name : 'Error';
  const text = isError ? String(err.message ?? '') : String(err);
  return { code: status.UNKNOWN, message: text ? `${name}: ${text}` : name, type: name, errorClass: 'CommandError' };
}

/** The failure for an envelope whose target is not hosted here: the command did not run. */
function notHosted(target) {
  const err = localError(ActorNotFound, `no actor '${target}' at this address`);
  err.errorClass = 'ActorNotHosted';
  err.remoteType = 'ActorNotHosted';
  return err;
}

module.exports = { failureOf, notHosted };
