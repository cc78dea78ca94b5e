'use strict';
/** The thin client: ArbiterService calls with plain JS values in and out. */
const grpc = require('@grpc/grpc-js');
const { loadV1 } = require('./proto');
const { toActorError } = require('./errors');
const { toListValue, toStruct, fromValue, fromStruct } = require('./values');

/** Send's deadline when the caller gives none: the server's default too. */
const DEFAULT_SEND_TIMEOUT_SECONDS = 5;

const SPAWN_FIELDS = new Set(['name', 'kind', 'start', 'stopping', 'periodicTask', 'timeout', 'extra', 'monitor', 'periodicInterval']);
const LIST_FIELDS = new Set(['namePrefix', 'state', 'monitor', 'pageSize', 'includeExited']);

/** protobufjs drops unknown keys silently: refuse them, so a typo is not a no-op. */
function checkKeys(object, allowed, what) {
  const unknown = Object.keys(object).filter((key) => !allowed.has(key));
  if (unknown.length) throw new TypeError(`unknown ${what} field(s): ${unknown.join(', ')} (expected ${[...allowed].join(', ')})`);
}

function checkTimeout(seconds) {
  if (seconds !== undefined && !(seconds > 0)) throw new RangeError(`timeoutSeconds must be > 0, got ${seconds}`);
  return seconds;
}

function deadlineAfter(seconds) {
  return seconds === undefined ? undefined : new Date(Date.now() + seconds * 1000);
}

function actorRef(ref) {
  const r = ref || {};
  return { aid: r.aid || '', name: r.name || '', address: r.address || '', state: r.state || 'ACTOR_STATE_UNSPECIFIED' };
}

function actorSummary(summary) {
  const s = summary || {};
  return {
    actor: actorRef(s.actor),
    kind: s.kind || '',
    pid: s.pid || 0,
    monitor: s.monitor || '',
    uptimeSeconds: s.uptimeSeconds || 0,
    restarts: s.restarts || 0,
    heartbeatAgeSeconds: s.heartbeatAgeSeconds || 0,
    memoryRssBytes: s.memoryRssBytes || 0,
    cpuPercent: s.cpuPercent || 0,
    exitCode: s.exitCode || 0,
    details: fromStruct(s.details),
  };
}

class Client {
  /**
   * Prefer `connect()`, which also waits until the arbiter answers.
   * @param {string} address host:port of the arbiter
   * @param {{credentials?: grpc.ChannelCredentials, channelOptions?: object}} [options]
   */
  constructor(address, options = {}) {
    const v1 = loadV1();
    this.address = address;
    this.stub = new v1.ArbiterService(
      address,
      options.credentials || grpc.credentials.createInsecure(),
      options.channelOptions || {},
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

  /** One unary call, with every failure mapped to an ActorError. */
  _call(method, request, timeoutSeconds) {
    return new Promise((resolve, reject) => {
      const deadline = deadlineAfter(checkTimeout(timeoutSeconds));
      this.stub[method](request, deadline ? { deadline } : {}, (err, response) => {
        if (err) reject(toActorError(err));
        else resolve(response);
      });
    });
  }

  /**
   * Starts an actor; resolves to its ActorRef once it is running.
   * @param {object} [params] name, kind ('process' | 'thread'), start, stopping,
   *   periodicTask ('module:function' hooks), timeout, periodicInterval, monitor,
   *   extra (a plain object)
   * @param {{timeoutSeconds?: number}} [options]
   */
  async spawn(params = {}, options = {}) {
    checkKeys(params, SPAWN_FIELDS, 'spawn');
    const { extra, ...rest } = params;
    const request = { ...rest, ...(extra === undefined ? {} : { extra: toStruct(extra) }) };
    const response = await this._call('Spawn', request, options.timeoutSeconds);
    return actorRef(response.actor);
  }

  /**
   * Runs `action` on `target` (aid or name; 'arbiter' for the arbiter) and
   * resolves to its JSON result.
   * @param {string} target
   * @param {string} action
   * @param {unknown[]} [args] positional arguments
   * @param {Record<string, unknown>} [kwargs] keyword arguments
   * @param {{timeoutSeconds?: number}} [options] deadline of the whole call (default 5 s)
   */
  async send(target, action, args = [], kwargs = {}, options = {}) {
    const timeoutSeconds = checkTimeout(options.timeoutSeconds ?? DEFAULT_SEND_TIMEOUT_SECONDS);
    const request = { target, action, args: toListValue(args), kwargs: toStruct(kwargs), timeoutSeconds };
    // The server enforces timeoutSeconds and answers DEADLINE_EXCEEDED; the gRPC
    // deadline is the same instant, so a stuck arbiter cannot hold the call longer.
    const response = await this._call('Send', request, timeoutSeconds);
    return fromValue(response.result);
  }

  /** The info dictionary of an actor, or of the arbiter when `target` is ''. */
  async info(target = '', options = {}) {
    const response = await this._call('Info', { target }, options.timeoutSeconds);
    return fromStruct(response.info);
  }

  /** Stops an actor and resolves once it has exited: `{actor, exitCode}`. */
  async stop(target, options = {}) {
    const response = await this._call('Stop', { target }, options.timeoutSeconds);
    return { actor: actorRef(response.actor), exitCode: response.exitCode || 0 };
  }

  /**
   * Lists actors ordered by name, following every page.
   * @param {{namePrefix?: string, state?: string, monitor?: string,
   *   includeExited?: boolean, pageSize?: number}} [filter]
   */
  async listActors(filter = {}, options = {}) {
    checkKeys(filter, LIST_FIELDS, 'listActors');
    const actors = [];
    let pageToken = '';
    do {
      const response = await this._call('ListActors', { ...filter, pageToken }, options.timeoutSeconds);
      actors.push(...(response.actors || []).map(actorSummary));
      pageToken = response.nextPageToken || '';
    } while (pageToken);
    return actors;
  }

  /** What the arbiter knows about one actor (aid or name; 'arbiter'). */
  async getActor(target, options = {}) {
    const response = await this._call('GetActor', { target }, options.timeoutSeconds);
    return actorSummary(response.actor);
  }

  /** Closes the channel; pending calls fail with UNAVAILABLE/CANCELLED. */
  close() {
    this.stub.close();
  }
}

/**
 * Opens a client to the arbiter at `address` and waits until it is reachable.
 * @param {string} [address] host:port (default 127.0.0.1:7070, the server's default)
 * @param {{connectTimeoutSeconds?: number, credentials?: grpc.ChannelCredentials, channelOptions?: object}} [options]
 */
async function connect(address = '127.0.0.1:7070', options = {}) {
  const client = new Client(address, options);
  try {
    return await client.waitForReady(options.connectTimeoutSeconds ?? 10);
  } catch (err) {
    client.close();
    throw err;
  }
}

module.exports = { Client, connect, DEFAULT_SEND_TIMEOUT_SECONDS };
