'use strict';
/** The client: ArbiterService calls with plain JS values in and out. */
const grpc = require('@grpc/grpc-js');
const { loadV1 } = require('./proto');
const { enums } = require('./enums');
const { toActorError, invalidArgument, ActorError } = require('./errors');
const { toListValue, toStruct, fromValue, fromStruct } = require('./values');
const { actorRef, actorSummary, actorEvent } = require('./summaries');
const { Router } = require('./router');
const { channelSecurity, bearerToken, metadataFactory } = require('./credentials');

/** Send's deadline when the caller gives none: the server's default too. */
const DEFAULT_SEND_TIMEOUT_SECONDS = 5;
/** Largest gRPC message sent or accepted unless told otherwise (the server's default). */
const DEFAULT_MAX_MESSAGE_BYTES = 4 * 1024 * 1024;
/**
 * ArbiterService.Send's gRPC deadline is this much later than the timeout the
 * server enforces, so the server's own DEADLINE_EXCEEDED (with its details)
 * arrives first; the margin covers the two hops of a loaded machine.
 */
const SEND_DEADLINE_MARGIN_SECONDS = 1;

const SPAWN_FIELDS = new Set([
  'name', 'kind', 'start', 'stopping', 'periodicTask', 'timeoutSeconds', 'extra', 'monitor',
  'periodicIntervalSeconds', 'restart', 'program',
]);
const LIST_FIELDS = new Set(['namePrefix', 'state', 'monitor', 'pageSize', 'pageToken', 'includeExited']);
const STRING_FIELDS = ['name', 'start', 'stopping', 'periodicTask', 'monitor', 'program', 'namePrefix', 'pageToken'];

/** protobufjs drops unknown keys silently: refuse them, so a typo is not a no-op. */
function checkKeys(object, allowed, what) {
  if (object === null || typeof object !== 'object' || Array.isArray(object)) {
    throw invalidArgument(`${what} parameters must be a plain object`);
  }
  const unknown = Object.keys(object).filter((key) => !allowed.has(key));
  if (unknown.length) throw invalidArgument(`unknown ${what} field(s): ${unknown.join(', ')} (expected some of ${[...allowed].join(', ')})`);
  for (const key of STRING_FIELDS) {
    if (key in object && object[key] !== undefined && typeof object[key] !== 'string') {
      throw invalidArgument(`${what} field ${key} must be a string`);
    }
  }
}

/** A positive, finite number of seconds, or undefined. */
function checkSeconds(seconds, what = 'timeoutSeconds') {
  if (seconds !== undefined && !(typeof seconds === 'number' && seconds > 0 && Number.isFinite(seconds))) {
    throw invalidArgument(`${what} must be a positive number of seconds, got ${seconds}`);
  }
  return seconds;
}

/** An enum field given by short name, as its wire name (INVALID_ARGUMENT for an unknown one). */
function wireEnum(table, value, what) {
  try {
    return table.toWire(value, what);
  } catch (err) {
    throw invalidArgument(err.message);
  }
}

function deadlineAfter(seconds) {
  return seconds === undefined ? undefined : new Date(Date.now() + seconds * 1000);
}

/** Runs `build` and returns a rejected promise for what it throws (async APIs never throw). */
function rejecting(build) {
  try {
    return build();
  } catch (err) {
    return Promise.reject(err);
  }
}

class Client {
  /**
   * Prefer `connect()`, which also waits until the arbiter answers.
   * @param {string} address host:port of the arbiter
   * @param {{token?: string, tls?: boolean | {ca?: string | Buffer, cert?: string | Buffer,
   *   key?: string | Buffer, serverName?: string}, credentials?: grpc.ChannelCredentials,
   *   channelOptions?: object, maxMessageBytes?: number, maxPendingCalls?: number}} [options]
   */
  constructor(address, options = {}) {
    const v1 = loadV1();
    this.address = address;
    if (options.credentials && options.tls !== undefined) throw invalidArgument('give tls or credentials, not both');
    const security = options.credentials ? { credentials: options.credentials, channelOptions: {} } : channelSecurity(options.tls);
    const credentials = security.credentials;
    const maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    const channelOptions = { ...security.channelOptions, ...options.channelOptions };
    // Every call presents the token: the arbiter's and every mailbox stream's.
    this._metadata = metadataFactory(bearerToken(options.token));
    this.stub = new v1.ArbiterService(address, credentials, {
      'grpc.max_receive_message_length': maxMessageBytes,
      'grpc.max_send_message_length': maxMessageBytes,
      ...channelOptions,
    });
    // Mailbox streams use the same credentials and token as the arbiter.
    this.router = new Router(
      (target, waitSeconds, timeoutSeconds) => this._call('GetActor', { target, waitSeconds }, timeoutSeconds).then((response) => response.actor),
      {
        credentials,
        channelOptions,
        metadata: this._metadata,
        maxMessageBytes,
        maxPendingCalls: options.maxPendingCalls,
      },
    );
  }

  /** Resolves once the channel is connected; rejects with UNAVAILABLE after `timeoutSeconds`. */
  waitForReady(timeoutSeconds = 10) {
    return new Promise((resolve, reject) => {
      this.stub.waitForReady(deadlineAfter(timeoutSeconds), (err) => {
        if (!err) return resolve(this);
        reject(toActorError({ code: grpc.status.UNAVAILABLE, details: `arbiter at ${this.address} not reachable: ${err.message}` }));
      });
    });
  }

  /** Call options of every call: the deadline. */
  _options(timeoutSeconds) {
    const deadline = deadlineAfter(checkSeconds(timeoutSeconds));
    return deadline ? { deadline } : {};
  }

  /** One unary call, with every failure mapped to an ActorError. */
  _call(method, request, timeoutSeconds) {
    return new Promise((resolve, reject) => {
      this.stub[method](request, this._metadata(), this._options(timeoutSeconds), (err, response) => {
        if (err) reject(toActorError(err));
        else resolve(response);
      });
    });
  }

  /**
   * Starts an actor; resolves to its ActorRef once it is running.
   * @param {object} [params] name, kind ('process' | 'thread' | 'exec'), start,
   *   stopping, periodicTask ('module:function' hooks), timeoutSeconds,
   *   periodicIntervalSeconds, monitor, restart ('temporary' | 'transient' |
   *   'permanent'), program (for 'exec'), extra (a plain object)
   * @param {{timeoutSeconds?: number}} [options]
   */
  spawn(params = {}, options = {}) {
    return rejecting(() => {
      checkKeys(params, SPAWN_FIELDS, 'spawn');
      const { extra, kind, restart, timeoutSeconds, periodicIntervalSeconds, ...rest } = params;
      const request = { ...rest };
      const table = enums();
      if (kind !== undefined) request.kind = wireEnum(table.kind, kind, 'kind');
      if (restart !== undefined) request.restart = wireEnum(table.restart, restart, 'restart');
      if (timeoutSeconds !== undefined) request.timeoutSeconds = checkSeconds(timeoutSeconds, 'timeoutSeconds');
      if (periodicIntervalSeconds !== undefined) {
        request.periodicIntervalSeconds = checkSeconds(periodicIntervalSeconds, 'periodicIntervalSeconds');
      }
      if (extra !== undefined) request.extra = toStruct(extra, 'extra');
      return this._call('Spawn', request, options.timeoutSeconds).then((response) => actorRef(response.actor));
    });
  }

  /**
   * Runs `action` on `target` through the arbiter (ArbiterService.Send, one unary
   * call per message: what grpcurl uses) and resolves to its JSON result.
   * @param {string} target aid or name; 'arbiter' for the arbiter
   * @param {string} action
   * @param {unknown[]} [args] positional arguments
   * @param {Record<string, unknown>} [kwargs] keyword arguments
   * @param {{timeoutSeconds?: number}} [options] deadline of the whole call (default 5 s)
   */
  sendViaArbiter(target, action, args = [], kwargs = {}, options = {}) {
    return rejecting(() => {
      const timeoutSeconds = checkSeconds(options.timeoutSeconds ?? DEFAULT_SEND_TIMEOUT_SECONDS);
      const request = { target: targetName(target), action, args: toListValue(args), kwargs: toStruct(kwargs ?? {}), timeoutSeconds };
      return this._call('Send', request, timeoutSeconds + SEND_DEADLINE_MARGIN_SECONDS).then((response) => fromValue(response.result));
    });
  }

  /**
   * Runs `action` on `target` and resolves to its JSON result, talking to the
   * actor's mailbox directly: the target is resolved once through the arbiter
   * (GetActor) and cached; calls share one multiplexed, batched stream per address.
   * @param {string | {aid: string, address: string}} target a name or aid, 'arbiter',
   *   or an ActorRef (that incarnation only: not resolved again if it moved)
   * @param {string} action
   * @param {unknown[]} [args] positional arguments
   * @param {Record<string, unknown>} [kwargs] keyword arguments
   * @param {{timeoutSeconds?: number}} [options] deadline of the whole call (default 5 s)
   */
  send(target, action, args = [], kwargs = undefined, options = {}) {
    return rejecting(() => {
      const timeoutSeconds = checkSeconds(options.timeoutSeconds ?? DEFAULT_SEND_TIMEOUT_SECONDS);
      return this.router.send(target, action, args, kwargs, timeoutSeconds);
    });
  }

  /**
   * Delivers `action` to `target` without waiting for a result (fire and
   * forget: no reply, not even on failure). Resolves once the message is queued
   * on the actor's stream (at once, unless several frames already wait for the
   * network: awaiting each tell keeps a fast sender's memory bounded).
   */
  tell(target, action, args = [], kwargs = undefined) {
    return this.router.tell(target, action, args, kwargs);
  }

  /** The info dictionary of an actor, or of the arbiter when `target` is ''. */
  async info(target = '', options = {}) {
    const response = await this._call('Info', { target: targetName(target) }, options.timeoutSeconds ?? DEFAULT_SEND_TIMEOUT_SECONDS);
    return fromStruct(response.info);
  }

  /** Stops an actor and resolves once it has exited: `{actor, exitCode}`. */
  async stop(target, options = {}) {
    const response = await this._call('Stop', { target: targetName(target) }, options.timeoutSeconds);
    const actor = actorRef(response.actor);
    // Its address is dead: a send that follows looks the name up again (and hears
    // NOT_FOUND, or finds a new incarnation) instead of racing the stream's end.
    this.router.forgetAid(actor.aid);
    return { actor, exitCode: response.exitCode || 0 };
  }

  /**
   * One page of actors ordered by name: `{actors, nextPageToken}` ('' on the last).
   * @param {{namePrefix?: string, state?: string, monitor?: string,
   *   includeExited?: boolean, pageSize?: number, pageToken?: string}} [filter]
   */
  listActorsPage(filter = {}, options = {}) {
    return rejecting(() => {
      checkKeys(filter, LIST_FIELDS, 'listActors');
      const { state, pageSize, ...rest } = filter;
      const request = { ...rest };
      if (state !== undefined) request.state = wireEnum(enums().state, state, 'state');
      if (pageSize !== undefined) {
        if (!Number.isInteger(pageSize) || pageSize < 0) throw invalidArgument(`pageSize must be a non-negative integer, got ${pageSize}`);
        request.pageSize = pageSize;
      }
      return this._call('ListActors', request, options.timeoutSeconds ?? DEFAULT_SEND_TIMEOUT_SECONDS).then((response) => ({
        actors: (response.actors || []).map(actorSummary),
        nextPageToken: response.nextPageToken || '',
      }));
    });
  }

  /** Every actor that matches `filter` (see listActorsPage), following every page. */
  async listActors(filter = {}, options = {}) {
    const actors = [];
    let pageToken = filter.pageToken || '';
    do {
      const page = await this.listActorsPage({ ...filter, pageToken }, options);
      actors.push(...page.actors);
      pageToken = page.nextPageToken;
    } while (pageToken);
    return actors;
  }

  /**
   * What the arbiter knows about one actor (aid or name; 'arbiter'). With
   * `waitSeconds`, an actor still starting or being restarted is waited for.
   */
  getActor(target, options = {}) {
    return rejecting(() => {
      const waitSeconds = options.waitSeconds === undefined ? 0 : checkSeconds(options.waitSeconds, 'waitSeconds');
      const timeout = options.timeoutSeconds ?? DEFAULT_SEND_TIMEOUT_SECONDS + waitSeconds;
      return this._call('GetActor', { target: targetName(target), waitSeconds }, timeout).then((response) => actorSummary(response.actor));
    });
  }

  /**
   * Life-cycle events as they happen (ArbiterService.WatchActors): an async
   * iterable of `{type, actor, time, detail}`; `cancel()` (or leaving a for-await
   * loop) ends the watch.
   * @param {{namePrefix?: string, includeExisting?: boolean}} [filter]
   */
  watchActors(filter = {}) {
    const request = { namePrefix: filter.namePrefix || '', includeExisting: Boolean(filter.includeExisting) };
    return this._serverStream('WatchActors', request, actorEvent);
  }

  /**
   * Captured output of an actor (ArbiterService.Logs): an async iterable of lines;
   * with `follow`, new lines as they are written until `cancel()`.
   * @param {string} target
   * @param {{tailLines?: number, follow?: boolean}} [options]
   */
  logs(target, options = {}) {
    const request = { target: targetName(target), tailLines: options.tailLines ?? 0, follow: Boolean(options.follow) };
    return this._serverStream('Logs', request, (response) => response.lines || [], true);
  }

  /** A server-streaming call as an async iterable with `cancel()`. */
  _serverStream(method, request, convert, flatten = false) {
    const call = this.stub[method](request, this._metadata(), {});
    let cancelled = false;
    const iterable = (async function* stream() {
      try {
        for await (const message of call) {
          if (flatten) yield* convert(message);
          else yield convert(message);
        }
      } catch (err) {
        if (cancelled && err.code === grpc.status.CANCELLED) return;
        throw toActorError(err);
      } finally {
        cancelled = true;
        call.cancel();
      }
    })();
    iterable.cancel = () => {
      cancelled = true;
      call.cancel();
    };
    return iterable;
  }

  /** Closes the channels; pending calls fail with UNAVAILABLE/CANCELLED. */
  close() {
    this.router.close();
    this.stub.close();
  }
}

/** A target as the wire names it: a string, or the aid of an ActorRef. */
function targetName(target) {
  if (typeof target === 'string') return target;
  if (target && typeof target === 'object' && typeof target.aid === 'string') return target.aid;
  throw invalidArgument(`bad target ${String(target)}: expected an aid, a name or an ActorRef`);
}

/**
 * Opens a client to the arbiter at `address` and waits until it is reachable.
 * @param {string} [address] host:port (default 127.0.0.1:7070, the server's default)
 * @param {object} [options] see Client; `token` defaults to $ACTORGRPC_TOKEN, `tls`
 *   to plaintext; connectTimeoutSeconds (default 10)
 */
async function connect(address = '127.0.0.1:7070', options = {}) {
  const { connectTimeoutSeconds, ...clientOptions } = options;
  const client = new Client(address, clientOptions);
  try {
    return await client.waitForReady(connectTimeoutSeconds ?? 10);
  } catch (err) {
    client.close();
    throw err;
  }
}

module.exports = { Client, connect, DEFAULT_SEND_TIMEOUT_SECONDS, DEFAULT_MAX_MESSAGE_BYTES, targetName, checkSeconds, rejecting, ActorError };
