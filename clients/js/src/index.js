'use strict';
/** actorgrpc for Node.js: a client of actorgrpc arbiters and their actors. */
const { Client, connect, DEFAULT_SEND_TIMEOUT_SECONDS } = require('./client');
const {
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
  toActorError,
  status,
} = require('./errors');
const { toValue, toListValue, toStruct, fromValue, fromListValue, fromStruct } = require('./values');
const { loadV1 } = require('./proto');
const { Actor } = require('./actor/actor');

// Shorthand properties only: that is what lets `import { connect } from 'actorgrpc'`
// find the names in this CommonJS module.
module.exports = {
  connect,
  Client,
  DEFAULT_SEND_TIMEOUT_SECONDS,
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
  toActorError,
  status,
  toValue,
  toListValue,
  toStruct,
  fromValue,
  fromListValue,
  fromStruct,
  loadV1,
  Actor,
};
