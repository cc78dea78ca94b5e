'use strict';
/**
 * The sending side of the data plane: one long-lived, multiplexed, batched
 * MailboxService.Stream to the actors at one address (the JS twin of
 * actorgrpc/mailbox_client.py).
 *
 * A lone ask made while nothing is being written leaves at once, alone.
 * Otherwise calls queue into frames (frame-queue.js); one frame is written at a
 * time, and whatever queued meanwhile leaves in the next one, with consecutive
 * calls of one action to one actor coalesced into one envelope. Replies are
 * matched to calls by id. Calls may be submitted before the stream is open: they
 * wait in the queue, in order, and leave once it is.
 */
const grpc = require('@grpc/grpc-js');
const { FrameQueue } = require('./frame-queue');
const { Deadlines } = require('./deadlines');
const { Envelope, envelopeSuffix, encodeFrame, decodeReplies, decodeFailure, REPLY, fieldSize } = require('./wire');
const protobuf = require('./protobuf');
const errors = require('./errors');
const { fromValue } = require('./values');

const STREAM_METHOD = '/actorgrpc.v1.MailboxService/Stream';
/** Most envelopes in one frame: bounds the latency a full frame adds. */
const MAX_BATCH = 1024;
/** Frames that may wait before a sender of tells is asked to wait (see tell()). */
const MAX_QUEUED_FRAMES = 2;
/** Room kept in a frame for its own framing bytes. */
const FRAME_OVERHEAD = 64;
/** Milliseconds a new connection may take to become ready before its calls fail. */
const CONNECT_TIMEOUT_MS = 5000;
/** Calls that may wait for their replies on one stream, by default. */
const DEFAULT_MAX_PENDING_CALLS = 100_000;
/** Frames' worth of bytes that may wait to be written, at most (then RESOURCE_EXHAUSTED). */
const MAX_QUEUED_FRAME_BYTES = 16;
/** Statuses that end a stream because of the caller (a token, a role, a size), not because the actor died. */
const REFUSALS = new Set([
  grpc.status.UNAUTHENTICATED, grpc.status.PERMISSION_DENIED, grpc.status.INVALID_ARGUMENT, grpc.status.RESOURCE_EXHAUSTED,
]);

const identity = (buf) => buf;
const RESOLVED = Promise.resolve();

class MailboxConnection {
  /**
   * @param {string} address host:port of a MailboxService
   * @param {{credentials: grpc.ChannelCredentials, metadata: () => grpc.Metadata,
   *   channelOptions?: object, maxMessageBytes: number, maxPendingCalls?: number,
   *   onClosed?: (connection: MailboxConnection) => void}} options
   */
  constructor(address, options) {
    this.address = address;
    this.maxMessageBytes = options.maxMessageBytes;
    this.limit = options.maxMessageBytes - FRAME_OVERHEAD;
    this.maxPendingCalls = options.maxPendingCalls || DEFAULT_MAX_PENDING_CALLS;
    this.maxQueuedBytes = MAX_QUEUED_FRAME_BYTES * options.maxMessageBytes;
    this.onClosed = options.onClosed;
    this._metadata = options.metadata;
    this.client = new grpc.Client(address, options.credentials, {
      ...options.channelOptions,
      // Retries buffer every message of a stream until it commits: no use here,
      // where a broken stream fails its calls and the router decides what to retry.
      'grpc.enable_retries': 0,
      'grpc.max_receive_message_length': options.maxMessageBytes,
      'grpc.max_send_message_length': options.maxMessageBytes,
    });
    /** 'idle' | 'connecting' | 'up' | 'closed' */
    this.state = 'idle';
    this.stream = null;
    this.nextId = 0;
    /** id -> {resolve, reject, action, timeoutSeconds} */
    this.pending = new Map();
    this.queue = new FrameQueue(this.limit, MAX_BATCH);
    this.writing = false;
    this.room = null;
    this.deadlines = new Deadlines((id) => this._expire(id));
    /** Calls queued and frames written so far: how well calls share frames. */
    this.stats = { calls: 0, frames: 0 };
    this._written = () => this._onWritten();
    this._isPending = (id) => this.pending.has(id);
  }

  /** True when a lone frame may be written at once: open, nothing being written or waiting. */
  _idle() {
    return this.state === 'up' && !this.writing && this.queue.length === 0;
  }

  /**
   * Queues an ask; a Promise of its result. `argsJson` is the JSON text of the
   * positional arguments (an array), `kwargsJson` of the keyword arguments ('' for
   * none), with their UTF-8 sizes. Throws (synchronously) MessageTooLarge,
   * ResourceExhausted, or NotDelivered on a closed connection.
   */
  submit(target, action, argsJson, argsBytes, kwargsJson, kwargsBytes, timeoutSeconds) {
    this._checkOpen();
    if (this.pending.size >= this.maxPendingCalls) {
      throw errors.localError(errors.ResourceExhausted, `${this.pending.size} calls are already pending on the stream to ${this.address} (the most allowed)`);
    }
    const id = this.nextId + 1;
    const suffix = envelopeSuffix(target, action, false, timeoutSeconds);
    this._queue(id, suffix, argsJson, argsBytes, kwargsJson, kwargsBytes, false);
    this.nextId = id;
    let entry;
    const promise = new Promise((resolve, reject) => {
      entry = { resolve, reject, action, timeoutSeconds };
    });
    this.pending.set(id, entry);
    this.deadlines.add(id, timeoutSeconds * 1000);
    if (this.state === 'idle') this._connect();
    return promise;
  }

  /**
   * Queues a tell (no reply, ever). Returns undefined, or, when more than
   * MAX_QUEUED_FRAMES frames wait, a Promise resolved once there is room: a sender
   * that awaits it keeps its memory bounded. Throws like submit().
   */
  tell(target, action, argsJson, argsBytes, kwargsJson, kwargsBytes) {
    this._checkOpen();
    const suffix = envelopeSuffix(target, action, true, 0);
    const queued = this._queue(0, suffix, argsJson, argsBytes, kwargsJson, kwargsBytes, true);
    if (this.state === 'idle') this._connect();
    if (queued <= MAX_QUEUED_FRAMES) return undefined;
    if (this.room === null) {
      let release;
      this.room = new Promise((resolve) => {
        release = resolve;
      });
      this.room.release = release;
    }
    return this.room;
  }

  /** Resolves once the stream is open (rejects NotDelivered when it cannot be). */
  open() {
    this._checkOpen();
    if (this.state === 'up') return RESOLVED;
    if (this.state === 'idle') this._connect();
    return this.opening;
  }

  /** Closes the stream and channel; pending calls fail with UNAVAILABLE. */
  close() {
    if (this.state === 'closed') return;
    this._end(errors.localError(errors.ActorUnavailable, `the connection to ${this.address} was closed`));
  }

  // -- internals ------------------------------------------------------------------

  _checkOpen() {
    if (this.state === 'closed') {
      throw errors.localError(errors.NotDelivered, `the connection to ${this.address} is closed`);
    }
  }

  /** Encodes a call and sends or queues it; the number of frames left waiting. */
  _queue(id, suffix, argsJson, argsBytes, kwargsJson, kwargsBytes, tell) {
    // The same bound whether the call goes alone or joins a batch, so whether it
    // is refused never depends on what else is in flight.
    const size = suffix.length + fieldSize(argsBytes) + (kwargsBytes ? fieldSize(kwargsBytes) : 0) + 24;
    if (size > this.limit) {
      throw errors.localError(errors.MessageTooLarge, `message of ${size} bytes exceeds the maximum of ${this.maxMessageBytes} bytes`);
    }
    if (this.queue.bytes + size > this.maxQueuedBytes) {
      throw errors.localError(errors.ResourceExhausted, `${this.queue.bytes} bytes already wait to be written on the stream to ${this.address} (the actor does not read as fast)`);
    }
    this.stats.calls += 1;
    // Only asks go alone: a caller waits for them. Tells come in bursts, where one
    // going alone would only make the frames after it smaller.
    if (!tell && this._idle()) {
      this._write(encodeFrame([new Envelope(id, suffix, argsJson, argsBytes, kwargsJson, kwargsBytes)]));
      return 0;
    }
    const queued = kwargsBytes
      ? this.queue.push(new Envelope(id, suffix, argsJson, argsBytes, kwargsJson, kwargsBytes))
      : this.queue.pushCall(id, suffix, argsJson, argsBytes);
    this._flush();
    return queued;
  }

  _flush() {
    if (this.writing || this.state !== 'up' || this.queue.length === 0) return;
    const frame = this.queue.pop();
    if (this.room !== null && this.queue.length <= MAX_QUEUED_FRAMES) this._releaseRoom();
    this._write(frame);
  }

  _write(frame) {
    this.writing = true;
    this.stats.frames += 1;
    this.stream.write(frame, this._written);
  }

  _onWritten() {
    this.writing = false;
    this._flush();
  }

  _releaseRoom() {
    const room = this.room;
    this.room = null;
    if (room !== null) room.release();
  }

  _connect() {
    this.state = 'connecting';
    this.opening = waitReady(this.client, CONNECT_TIMEOUT_MS, this.address).then(() => {
      if (this.state !== 'connecting') return;
      const stream = this.client.makeBidiStreamRequest(STREAM_METHOD, identity, identity, this._metadata(), {});
      this.stream = stream;
      stream.on('data', (buf) => this._onFrame(buf));
      stream.on('error', (err) => this._end(streamError(this.address, err)));
      stream.on('end', () => this._end(streamError(this.address, null)));
      this.state = 'up';
      this._flush();
    }, (err) => {
      this._end(err);
      throw err;
    });
    // Callers of submit() hear the failure through their own calls.
    this.opening.catch(() => {});
  }

  _onFrame(buf) {
    try {
      decodeReplies(buf, (id, kind, text, start, end) => this._reply(buf, id, kind, text, start, end));
    } catch (err) {
      this._end(errors.localError(errors.ActorUnavailable, `the actor at ${this.address} sent a malformed frame (${err.message}); the stream is closed`));
      this.stream.cancel();
      return;
    }
    this.deadlines.dropAnswered(this._isPending);
  }

  _reply(buf, id, kind, text, start, end) {
    const pending = this.pending;
    if (kind === REPLY.BATCH_RESULTS_JSON) {
      let results;
      try {
        results = JSON.parse(text);
        if (!Array.isArray(results)) throw new TypeError('not a JSON array');
      } catch (err) {
        // Which calls it answers is unknown: they wait for their deadlines.
        process.emitWarning(`${this.address}: a reply's batch_results_json is not a JSON array: ${err.message}`);
        return;
      }
      for (let i = 0; i < results.length; i++) {
        const entry = pending.get(id + i);
        if (entry !== undefined) {
          pending.delete(id + i);
          entry.resolve(results[i]);
        }
      }
      return;
    }
    const entry = pending.get(id);
    if (entry === undefined) return; // past its deadline
    pending.delete(id);
    switch (kind) {
      case REPLY.RESULT_JSON: {
        let result;
        try {
          result = JSON.parse(text);
        } catch (err) {
          entry.reject(errors.localError(errors.CommandError, `the reply's result_json is not valid JSON: ${err.message}`));
          return;
        }
        entry.resolve(result);
        return;
      }
      case REPLY.FAILURE:
        entry.reject(errors.errorFromFailure(decodeFailure(buf, start, end)));
        return;
      case REPLY.RESULT:
        entry.resolve(fromValue(protobuf.decode('google.protobuf.Value', buf.subarray(start, end))));
        return;
      default: // no outcome: an unset result, which is null
        entry.resolve(null);
    }
  }

  _expire(id) {
    const entry = this.pending.get(id);
    if (entry === undefined) return;
    this.pending.delete(id);
    entry.reject(errors.localError(errors.ActorTimeout, `'${entry.action}' did not answer within ${entry.timeoutSeconds} s`));
  }

  /** The stream is over (or could not be opened): every pending call fails with `error`. */
  _end(error) {
    if (this.state === 'closed') return;
    this.state = 'closed';
    const pending = this.pending;
    this.pending = new Map();
    this.deadlines.clear();
    this.queue.clear(); // tells are fire and forget: queued ones are lost
    this._releaseRoom();
    for (const entry of pending.values()) entry.reject(error);
    if (this.stream !== null) this.stream.cancel();
    this.client.close();
    if (this.onClosed) this.onClosed(this);
  }
}

/** What the calls pending on a stream that ended with `err` (null: ended cleanly) fail with. */
function streamError(address, err) {
  if (err && REFUSALS.has(err.code)) return errors.toActorError(err);
  const detail = err ? `: ${errors.status[err.code] || err.code} ${err.details || err.message}` : ': the actor ended the stream';
  return errors.localError(errors.ActorUnavailable, `the connection to the actor at ${address} was lost while the call was pending (the actor may have died)${detail}`);
}

/**
 * Resolves once the channel of `client` is READY; rejects NotDelivered at once
 * when it fails to connect, or after `timeoutMs`.
 */
function waitReady(client, timeoutMs, address) {
  return new Promise((resolve, reject) => {
    const channel = client.getChannel();
    const deadline = Date.now() + timeoutMs;
    const { READY, TRANSIENT_FAILURE, SHUTDOWN } = grpc.connectivityState;
    const check = () => {
      const state = channel.getConnectivityState(true);
      if (state === READY) return resolve();
      if (state === TRANSIENT_FAILURE || state === SHUTDOWN) {
        return reject(errors.localError(errors.NotDelivered, `the actor mailbox at ${address} is unreachable`));
      }
      channel.watchConnectivityState(state, deadline, (err) => {
        if (err) reject(errors.localError(errors.NotDelivered, `could not connect to ${address} within ${timeoutMs} ms`));
        else check();
      });
      return undefined;
    };
    check();
  });
}

module.exports = { MailboxConnection, STREAM_METHOD, MAX_BATCH, MAX_QUEUED_FRAMES, FRAME_OVERHEAD, CONNECT_TIMEOUT_MS, DEFAULT_MAX_PENDING_CALLS };
