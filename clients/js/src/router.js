'use strict';
/**
 * Target resolution and delivery: from `send(target, ...)` to the right mailbox
 * (the JS twin of actorgrpc/routing.py).
 *
 * A target is an ActorRef (address known: straight to its mailbox, that
 * incarnation only), or a name or aid that the arbiter resolves once
 * (ArbiterService.GetActor) and that is cached. When a cached address no longer
 * hosts the actor (it restarted elsewhere), the mailbox says so without running
 * the command (Failure NOT_FOUND, type "ActorNotHosted"): the name is resolved
 * again, once, and the call retried within its original deadline. The arbiter is
 * only asked for addresses, never on the message path.
 */
const { performance } = require('node:perf_hooks');
const { MailboxConnection } = require('./mailbox-connection');
const { argsJson, kwargsJson } = require('./values');
const errors = require('./errors');

const NOT_HOSTED = 'ActorNotHosted';
/** Most seconds a lookup waits for an actor being restarted (the arbiter's own cap). */
const MAX_RESTART_WAIT_SECONDS = 60;

/** True for a failure after which the call certainly did not run: safe to resolve again and retry. */
function retryable(err) {
  return err instanceof errors.NotDelivered || (err instanceof errors.ActorNotFound && err.errorClass === NOT_HOSTED);
}

/** A delivery failure as the caller sees it: "not hosted" is an actor that is not running. */
function publicError(err, target) {
  if (err instanceof errors.ActorNotFound && err.errorClass === NOT_HOSTED) {
    return errors.localError(errors.ActorNotFound, `actor ${JSON.stringify(targetText(target))} is not running`);
  }
  return err;
}

function targetText(target) {
  return typeof target === 'string' ? target : target.aid;
}

class Router {
  /**
   * @param {(target: string, waitSeconds: number, timeoutSeconds: number) => Promise<{aid: string, address: string}>} lookup
   *   resolves a name or aid through the arbiter (GetActor)
   * @param {object} connectionOptions for every MailboxConnection (credentials, metadata, ...)
   */
  constructor(lookup, connectionOptions) {
    this.lookup = lookup;
    this.connectionOptions = { ...connectionOptions, onClosed: (connection) => this._forgetConnection(connection) };
    /** target -> {aid, address} */
    this.cache = new Map();
    /** target -> Promise of its lookup under way (calls made meanwhile share it, in order) */
    this.resolving = new Map();
    /** address -> MailboxConnection */
    this.connections = new Map();
    this.closed = false;
  }

  /**
   * Runs `action` on `target`; a Promise of its result within `timeoutSeconds`.
   * The common case (a cached address with a connection) costs no lookup and no
   * extra Promise but the retry's.
   */
  send(target, action, args, kwargs, timeoutSeconds) {
    let call;
    try {
      call = encode(target, action, args, kwargs);
    } catch (err) {
      return Promise.reject(err);
    }
    const ref = typeof target === 'string' ? this.cache.get(target) : target;
    if (ref !== undefined) {
      let promise;
      try {
        promise = this.connection(ref.address).submit(ref.aid, action, call.args, call.argsBytes, call.kwargs, call.kwargsBytes, timeoutSeconds);
      } catch (err) {
        return Promise.reject(err);
      }
      // An ActorRef, or an aid, names one incarnation: nothing to resolve again.
      if (ref === target || ref.aid === target) return promise.catch((err) => Promise.reject(publicError(err, target)));
      const deadline = performance.now() + timeoutSeconds * 1000;
      return promise.catch((err) => {
        if (!retryable(err)) throw err;
        this.forget(target, ref);
        return this._resolveAndSend(target, action, call, deadline, 2);
      });
    }
    return this._resolveAndSend(target, action, call, performance.now() + timeoutSeconds * 1000, 1);
  }

  async _resolveAndSend(target, action, call, deadline, attempt) {
    for (;;) {
      // A name being restarted is waited for, within the call's own deadline.
      const left = remaining(deadline, action);
      const ref = await this.resolve(target, left, attempt > 1, left);
      try {
        return await this.connection(ref.address).submit(ref.aid, action, call.args, call.argsBytes, call.kwargs, call.kwargsBytes, remaining(deadline, action));
      } catch (err) {
        // An explicit aid names one incarnation: nothing to resolve again.
        if (!retryable(err) || attempt >= 2 || ref.aid === target) throw publicError(err, target);
        this.forget(target, ref);
        attempt += 1;
      }
    }
  }

  /**
   * Delivers `action` to `target` without a reply. Resolves once queued (at once
   * in the common case); when several frames already wait for the network, once
   * there is room, so a sender that awaits each tell keeps its memory bounded.
   */
  tell(target, action, args, kwargs) {
    let call;
    try {
      call = encode(target, action, args, kwargs);
    } catch (err) {
      return Promise.reject(err);
    }
    const ref = typeof target === 'string' ? this.cache.get(target) : target;
    if (ref !== undefined) {
      try {
        const room = this.connection(ref.address).tell(ref.aid, action, call.args, call.argsBytes, call.kwargs, call.kwargsBytes);
        return room === undefined ? RESOLVED : room;
      } catch (err) {
        return Promise.reject(err);
      }
    }
    return this._resolveAndTell(target, action, call);
  }

  async _resolveAndTell(target, action, call) {
    const ref = await this.resolve(target, DEFAULT_TELL_WAIT_SECONDS, false, 2 * DEFAULT_TELL_WAIT_SECONDS);
    const room = this.connection(ref.address).tell(ref.aid, action, call.args, call.argsBytes, call.kwargs, call.kwargsBytes);
    if (room !== undefined) await room;
  }

  /**
   * The {aid, address} of `target` (name or aid), from the cache unless `fresh`.
   * An actor still starting or being restarted is waited for up to `waitSeconds`;
   * the lookup fails after `timeoutSeconds`.
   */
  resolve(target, waitSeconds, fresh, timeoutSeconds) {
    if (!fresh) {
      const cached = this.cache.get(target);
      if (cached !== undefined) return Promise.resolve(cached);
    }
    let lookup = this.resolving.get(target);
    if (lookup === undefined) {
      const wait = Math.min(Math.max(waitSeconds, 0), MAX_RESTART_WAIT_SECONDS);
      lookup = this.lookup(target, wait, timeoutSeconds).then((summary) => {
        const ref = { aid: summary.actor.aid, address: summary.actor.address };
        if (!ref.address) throw errors.localError(errors.ActorNotFound, `actor ${JSON.stringify(target)} is not running`);
        this.cache.set(target, ref);
        return ref;
      }).finally(() => this.resolving.delete(target));
      this.resolving.set(target, lookup);
    }
    return lookup;
  }

  /** Forgets the cached address of `target` (only if it is still `ref`). */
  forget(target, ref) {
    if (typeof target === 'string' && (ref === undefined || this.cache.get(target) === ref)) this.cache.delete(target);
  }

  /** Forgets every cached target that resolved to `aid` (that incarnation has exited). */
  forgetAid(aid) {
    for (const [target, ref] of this.cache) {
      if (ref.aid === aid) this.cache.delete(target);
    }
  }

  /** The connection to `address`, made on first use. */
  connection(address) {
    let connection = this.connections.get(address);
    if (connection === undefined) {
      if (this.closed) throw errors.localError(errors.NotDelivered, 'the client is closed');
      connection = new MailboxConnection(address, this.connectionOptions);
      this.connections.set(address, connection);
    }
    return connection;
  }

  _forgetConnection(connection) {
    // Actors come and go on new ports: keep no dead connection, nor names cached at it.
    if (this.connections.get(connection.address) === connection) this.connections.delete(connection.address);
    for (const [target, ref] of this.cache) {
      if (ref.address === connection.address) this.cache.delete(target);
    }
  }

  /** Closes every connection; their pending calls fail with UNAVAILABLE. */
  close() {
    this.closed = true;
    for (const connection of [...this.connections.values()]) connection.close();
    this.connections.clear();
    this.cache.clear();
  }
}

const RESOLVED = Promise.resolve();
/** Seconds a tell to a target not yet resolved waits for it to run. */
const DEFAULT_TELL_WAIT_SECONDS = 5;

/** Arguments as JSON text with their UTF-8 sizes; InvalidArgument before anything is sent. */
function encode(target, action, args, kwargs) {
  if (typeof action !== 'string' || !action) throw errors.invalidArgument(`action must be a non-empty string, got ${JSON.stringify(action)}`);
  if (typeof target === 'string') {
    if (!target) throw errors.invalidArgument('target must not be empty');
  } else if (!(target && typeof target.aid === 'string' && typeof target.address === 'string' && target.address)) {
    throw errors.invalidArgument('target must be an aid, a name, or an ActorRef with its aid and address');
  }
  const argsText = argsJson(args);
  const kwargsText = kwargsJson(kwargs);
  return { args: argsText, argsBytes: Buffer.byteLength(argsText), kwargs: kwargsText, kwargsBytes: kwargsText ? Buffer.byteLength(kwargsText) : 0 };
}

/** Seconds left before `deadline` (performance.now() ms); ActorTimeout when none are. */
function remaining(deadline, action) {
  const left = (deadline - performance.now()) / 1000;
  if (left <= 0) throw errors.localError(errors.ActorTimeout, `'${action}' did not answer in time`);
  return left;
}

module.exports = { Router, retryable, encode };
