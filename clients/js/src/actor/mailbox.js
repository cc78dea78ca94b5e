'use strict';
/**
 * The receiving side of the data plane: an actor's MailboxService, with the
 * semantics of Python's (actorgrpc/mailbox_server.py).
 *
 * Stream: frames of envelopes in, replies out. The envelopes of a frame run in the
 * order sent (a synchronous command runs to completion, an async one is started);
 * the replies to a frame of several envelopes leave together, a lone reply is
 * written at once when nothing else is being written, and replies that queue
 * while a frame is written leave in the next one. Every argument form is served:
 * `values` (answered with `result`), `args_json` + `kwargs_json` (answered with
 * `result_json`), `batch_args_json` (call i has id + i; consecutive successes share
 * one `batch_results_json` reply). An envelope for another aid is answered
 * NOT_FOUND / "ActorNotHosted" without running. A frame that does not parse is
 * salvaged envelope by envelope; one that is not a frame ends the stream with
 * INVALID_ARGUMENT. When more than a few reply frames wait for the network, the
 * stream is read no further until they are written (HTTP/2 flow control then holds
 * the sender back).
 *
 * Call: one command, unary, for grpcurl.
 */
const grpc = require('@grpc/grpc-js');
const { FrameQueue } = require('../frame-queue');
const wire = require('../wire');
const protobuf = require('../protobuf');
const errors = require('../errors');
const { jsonText, fromListValue, fromStruct, toValue } = require('../values');
const { encodeDetails } = require('../status-details');
const { failureOf, notHosted } = require('./failures');

/** Most replies in one frame. */
const MAX_REPLY_BATCH = 1024;
/** Reply frames that may wait for the network before the stream reads no more. */
const MAX_QUEUED_REPLY_FRAMES = 2;
/** Async commands one stream may have running before it reads no more (until half are done). */
const MAX_INFLIGHT = 10_000;
/** Room kept in a frame for its own framing bytes. */
const FRAME_OVERHEAD = 64;
/** Seconds a unary Call's command may run when neither it nor its deadline says. */
const DEFAULT_CALL_TIMEOUT_SECONDS = 5;

const isThenable = (value) => value !== null && (typeof value === 'object' || typeof value === 'function') && typeof value.then === 'function';

class Mailbox {
  /** @param {import('./actor').Actor} actor */
  constructor(actor, maxMessageBytes) {
    this.actor = actor;
    this.maxMessageBytes = maxMessageBytes;
    this.limit = maxMessageBytes - FRAME_OVERHEAD;
  }

  /** True when `target` (an aid; '' for the main actor) is served here. */
  hosts(target) {
    const actor = this.actor;
    return (target === '' || target === actor.aid) && actor.hosting;
  }

  /**
   * Starts a command: its result, or a thenable of it (null at once for a
   * fire-and-forget command). Throws CommandNotFound / InvalidArgument before
   * running anything, and whatever the command itself throws.
   */
  start(action, args, kwargs) {
    const actor = this.actor;
    const command = actor.commands.get(action);
    if (command === undefined) throw errors.localError(errors.CommandNotFound, `unknown command '${action}'`);
    actor.counted(action);
    const values = command.bind(args, kwargs);
    const outcome = command.fn(actor, ...values);
    if (!command.ack) {
      if (isThenable(outcome)) actor.background(outcome, action);
      return null;
    }
    return outcome;
  }

  /**
   * Follows a command's thenable outcome to its end, a timeout, or the actor's
   * stop; then calls `done(error, value)` once.
   */
  track(outcome, action, timeoutSeconds, done) {
    const actor = this.actor;
    let finished = false;
    let timer = null;
    const entry = {
      fail: (err) => finish(err),
    };
    const finish = (err, value) => {
      if (finished) return;
      finished = true;
      if (timer !== null) clearTimeout(timer);
      actor.running.delete(entry);
      actor.mailboxDepth -= 1;
      actor.processed += 1;
      done(err, value);
    };
    actor.running.add(entry);
    actor.mailboxDepth += 1;
    if (timeoutSeconds > 0) {
      timer = setTimeout(() => finish(errors.localError(errors.ActorTimeout, `'${action}' did not finish within ${timeoutSeconds} s`)), timeoutSeconds * 1000);
    }
    outcome.then((value) => finish(null, value), (err) => finish(err === undefined ? new Error('rejected') : err));
  }

  /** The grpc-js service definition and handlers of MailboxService. */
  service(tokenCheck) {
    const v1Definition = require('../proto').loadV1().MailboxService.service;
    const identity = (buf) => buf;
    const definition = {
      Call: v1Definition.Call,
      // Frames are read and written as bytes: encoded and decoded by wire.js.
      Stream: { ...v1Definition.Stream, requestDeserialize: identity, responseSerialize: identity },
    };
    const handlers = {
      Call: (call, callback) => {
        const refusal = tokenCheck.refusal(call.metadata, '/actorgrpc.v1.MailboxService/Call');
        if (refusal) return callback(serviceError(refusal));
        return this._unary(call, callback);
      },
      Stream: (call) => {
        const refusal = tokenCheck.refusal(call.metadata, '/actorgrpc.v1.MailboxService/Stream');
        if (refusal) {
          call.emit('error', serviceError(refusal));
          return;
        }
        new StreamSession(this, call).start();
      },
    };
    return { definition, handlers };
  }

  _unary(call, callback) {
    const request = call.request;
    const action = request.action || '';
    const reply = (err, value) => {
      if (err) return callback(serviceError(failureOf(err)));
      let result;
      try {
        result = toValue(value, 'result');
      } catch (problem) {
        return callback(serviceError(failureOf(errors.localError(errors.CommandError, `the result of '${action}' is not JSON-shaped: ${problem.message}`))));
      }
      return callback(null, { result });
    };
    let outcome;
    try {
      if (!this.hosts(request.target || '')) throw notHosted(request.target || '');
      outcome = this.start(action, fromListValue(request.args), fromStruct(request.kwargs));
    } catch (err) {
      this.actor.processed += 1;
      return reply(err);
    }
    if (!isThenable(outcome)) {
      this.actor.processed += 1;
      return reply(null, outcome);
    }
    const deadline = call.getDeadline();
    const remaining = deadline instanceof Date ? (deadline.getTime() - Date.now()) / 1000 : Infinity;
    const timeout = request.timeoutSeconds || (Number.isFinite(remaining) && remaining > 0 ? remaining : DEFAULT_CALL_TIMEOUT_SECONDS);
    return this.track(outcome, action, timeout, reply);
  }
}

/** A status for grpc-js with the google.rpc.Status details trailer. */
function serviceError({ code, message, type, errorClass }) {
  const metadata = new grpc.Metadata();
  metadata.set('grpc-status-details-bin', encodeDetails(code, message, errorClass, errorClass === 'CommandError' ? type : ''));
  return { code, details: message, metadata };
}

/** The envelopes of a frame, salvaged one by one when some do not parse. */
function readFrame(buf) {
  let entries;
  try {
    return { envelopes: wire.decodeEnvelopes(buf) };
  } catch (err) {
    entries = splitEntries(buf);
    if (entries === null) return { malformed: `malformed StreamRequest frame: ${err.message}` };
  }
  const envelopes = entries.map(([start, end]) => {
    try {
      return wire.decodeEnvelopeAt(buf, start, end);
    } catch (err) {
      const { id, tell } = scanIdAndTell(buf, start, end);
      return { bad: errors.invalidArgument(`malformed envelope: ${err.message}`), id, tell };
    }
  });
  return { envelopes };
}

/** [start, end) of each envelope entry of a frame; null when it is not a list of entries. */
function splitEntries(buf) {
  try {
    const reader = new wire.Reader(buf);
    const entries = [];
    while (reader.more()) {
      if (reader.varint() !== wire.TAG.FRAME_ENTRY) return null;
      const start = reader.lengthDelimited();
      entries.push([start, reader.pos]);
    }
    return entries;
  } catch {
    return null;
  }
}

/** The id and tell of a broken envelope, as far as they can be read. */
function scanIdAndTell(buf, start, end) {
  const reader = new wire.Reader(buf, start, end);
  let id = 0;
  let tell = false;
  try {
    while (reader.more()) {
      const field = reader.varint();
      if (field === wire.TAG.ID) id = reader.varint();
      else if (field === wire.TAG.TELL) tell = reader.varint() !== 0;
      else reader.skip(field & 7);
    }
  } catch {
    // what was read so far is all there is
  }
  return { id, tell };
}

/** Writes reply frames on one stream, one at a time (see the module comment). */
class ReplyWriter {
  constructor(call, limit, onDrained) {
    this.call = call;
    this.queue = new FrameQueue(limit, MAX_REPLY_BATCH);
    this.writing = false;
    this.closed = false;
    this.onDrained = onDrained;
    this._written = () => {
      this.writing = false;
      this.flush();
    };
  }

  canWriteNow() {
    return !this.writing && this.queue.length === 0 && !this.closed;
  }

  writeNow(entry) {
    this._write(wire.encodeFrame([entry]));
  }

  push(entry) {
    this.queue.push(entry);
  }

  flush() {
    if (this.closed) return;
    if (!this.writing && this.queue.length > 0) {
      this._write(this.queue.pop());
      return;
    }
    if (!this.writing) this.onDrained();
  }

  _write(frame) {
    this.writing = true;
    this.call.write(frame, this._written);
  }
}

/** One MailboxService.Stream (see the module comment). */
class StreamSession {
  constructor(mailbox, call) {
    this.mailbox = mailbox;
    this.actor = mailbox.actor;
    this.call = call;
    this.limit = mailbox.limit;
    this.inflight = 0;
    this.paused = false;
    this.ended = false;
    /** True while the replies to a frame of several envelopes are collected. */
    this.collecting = false;
    this.writer = new ReplyWriter(call, this.limit, () => this._drained());
    /** The frame being handled (an envelope's `values` are a range of it). */
    this.currentFrame = null;
  }

  start() {
    const call = this.call;
    call.on('data', (buf) => this._onFrame(buf));
    call.on('end', () => {
      this.ended = true;
      this._drained();
    });
    const close = () => {
      this.writer.closed = true;
      this.actor.streams.delete(this);
    };
    call.on('cancelled', close);
    call.on('error', close);
    call.on('close', close);
    this.actor.streams.add(this);
  }

  /** Ends the stream once what runs is answered (the actor has stopped). */
  finish() {
    this.ended = true;
    this._drained();
  }

  /** Resumes reading when the replies have drained; ends the stream when it is over. */
  _drained() {
    if (this.paused && this.writer.queue.length <= MAX_QUEUED_REPLY_FRAMES && this.inflight <= MAX_INFLIGHT / 2) {
      this.paused = false;
      this.call.resume();
    }
    if (this.ended && this.inflight === 0 && !this.writer.writing && this.writer.queue.length === 0 && !this.writer.closed) {
      this.writer.closed = true;
      this.call.end();
    }
  }

  _onFrame(buf) {
    const frame = readFrame(buf);
    if (frame.malformed) {
      this.call.emit('error', serviceError({ code: grpc.status.INVALID_ARGUMENT, message: frame.malformed, errorClass: 'InvalidArgument' }));
      return;
    }
    const { envelopes } = frame;
    this.currentFrame = buf;
    this.collecting = envelopes.length > 1; // their replies leave together
    try {
      for (let i = 0; i < envelopes.length; i++) this._handle(envelopes[i]);
    } finally {
      this.collecting = false;
      this.currentFrame = null;
    }
    this.writer.flush();
    if ((this.writer.queue.length > MAX_QUEUED_REPLY_FRAMES || this.inflight >= MAX_INFLIGHT) && !this.paused) {
      // The client does not read its replies as fast as it sends, or keeps more
      // commands running than is reasonable: read no more until that is over,
      // instead of holding replies and commands without bound.
      this.paused = true;
      this.call.pause();
    }
  }

  _handle(envelope) {
    if (envelope.bad) {
      if (!envelope.tell) this._fail(envelope.id, envelope.bad);
      return;
    }
    const { tell, target, action } = envelope;
    if (!this.mailbox.hosts(target)) {
      if (!tell) {
        const error = notHosted(target);
        for (const id of callIds(envelope)) this._fail(id, error);
      }
      return;
    }
    let args;
    let kwargs;
    let asJson = false;
    try {
      switch (envelope.form) {
        case wire.ARGS.ARGS_JSON:
          asJson = true;
          ({ args, kwargs } = parseJsonArguments(envelope));
          break;
        case wire.ARGS.BATCH_ARGS_JSON:
          this._handleBatch(envelope);
          return;
        case wire.ARGS.VALUES: {
          const values = protobuf.decode('actorgrpc.v1.Arguments', this._valuesOf(envelope));
          args = fromListValue(values.args);
          kwargs = fromStruct(values.kwargs);
          break;
        }
        default:
          args = [];
          kwargs = null;
      }
      const outcome = this.mailbox.start(action, args, kwargs);
      if (isThenable(outcome)) {
        this._track(outcome, envelope, envelope.id, asJson);
        return;
      }
      this.actor.processed += 1;
      if (!tell) this._succeed(envelope.id, outcome, action, asJson);
    } catch (err) {
      this.actor.processed += 1;
      if (tell) this.actor.logCommandError(action, err);
      else this._fail(envelope.id, err);
    }
  }

  _valuesOf(envelope) {
    return this.currentFrame.subarray(envelope.valuesStart, envelope.valuesEnd);
  }

  /**
   * The calls coalesced in one envelope, in order, each as if it had come in an
   * envelope of its own; the results of consecutive calls that succeed at once
   * share one reply.
   */
  _handleBatch(envelope) {
    const { id: firstId, action, tell } = envelope;
    let calls;
    try {
      calls = JSON.parse(envelope.argsJson);
      if (!Array.isArray(calls)) throw new Error(`a JSON ${typeof calls}, not an array`);
    } catch (err) {
      this.actor.processed += 1;
      const error = errors.invalidArgument(`batch_args_json must be a JSON array of argument arrays (${err.message})`);
      if (tell) this.actor.logCommandError(action, error);
      else this._fail(firstId, error); // which ids it held is unknown
      return;
    }
    const run = new ResultRun(this, action);
    for (let i = 0; i < calls.length; i++) {
      const id = firstId + i;
      let error;
      if (!this.mailbox.hosts(envelope.target)) {
        // As for envelopes that would have followed: not hosted any more.
        if (tell) return;
        error = notHosted(envelope.target);
      } else {
        try {
          if (!Array.isArray(calls[i])) throw errors.invalidArgument('every element of batch_args_json must be a JSON array (the positional arguments)');
          const outcome = this.mailbox.start(action, calls[i], null);
          if (isThenable(outcome)) {
            run.flush(); // its reply comes later: the earlier ones go first
            this._track(outcome, envelope, id, true);
            continue;
          }
          this.actor.processed += 1;
          if (tell) continue;
          run.add(id, resultJson(outcome, action));
          continue;
        } catch (err) {
          if (!(err instanceof NotJsonResult)) this.actor.processed += 1;
          if (tell) {
            this.actor.logCommandError(action, err);
            continue;
          }
          error = err instanceof NotJsonResult ? err.error : err;
        }
      }
      run.flush(); // replies keep the order of the calls
      this._fail(id, error);
    }
    run.flush();
  }

  _track(outcome, envelope, id, asJson) {
    this.inflight += 1;
    this.mailbox.track(outcome, envelope.action, envelope.timeoutSeconds, (err, value) => {
      this.inflight -= 1;
      if (envelope.tell) {
        if (err) this.actor.logCommandError(envelope.action, err);
      } else if (err) {
        this._fail(id, err);
      } else {
        this._succeed(id, value, envelope.action, asJson);
      }
      this.writer.flush();
      this._drained();
    });
  }

  _succeed(id, result, action, asJson) {
    let entry;
    try {
      entry = asJson
        ? new wire.JsonReply(id, resultJson(result, action))
        : new wire.BytesReply(id, wire.TAG.RESULT, protobuf.encode('google.protobuf.Value', toValue(result, 'result')));
    } catch (err) {
      this._fail(id, err instanceof NotJsonResult ? err.error : errors.localError(errors.CommandError, `the result of '${action}' is not JSON-shaped: ${err.message}`));
      return;
    }
    if (entry.size > this.limit) {
      this._fail(id, tooLarge(action, this.mailbox.maxMessageBytes));
      return;
    }
    this._reply(entry);
  }

  _fail(id, err) {
    const { code, message, type } = failureOf(err);
    this._reply(new wire.FailureReply(id, code, message, type));
  }

  /** One Reply: written at once, alone, when nothing else is; else queued to leave with others. */
  _reply(entry) {
    const writer = this.writer;
    if (writer.closed) return;
    if (!this.collecting && writer.canWriteNow()) writer.writeNow(entry);
    else writer.push(entry);
  }
}

/** The JSON results of consecutive successful calls of one batch, waiting to leave in one Reply. */
class ResultRun {
  constructor(session, action) {
    this.session = session;
    this.action = action;
    this.firstId = 0;
    this.parts = [];
    this.size = 0;
  }

  add(id, json) {
    if (this.parts.length === 0) {
      this.firstId = id;
      this.size = 0;
    }
    this.parts.push(json);
    this.size += json.length + 1;
    if (this.size > this.session.limit / 2) this.flush(); // well within a frame
  }

  flush() {
    const parts = this.parts;
    if (parts.length === 0) return;
    this.parts = [];
    const session = this.session;
    const entry = parts.length === 1 ? new wire.JsonReply(this.firstId, parts[0]) : new wire.JsonReply(this.firstId, `[${parts.join(',')}]`, true);
    if (entry.size <= session.limit) {
      session._reply(entry);
      return;
    }
    // A result too large on its own (a run is flushed at half the limit).
    for (let i = 0; i < parts.length; i++) {
      const single = new wire.JsonReply(this.firstId + i, parts[i]);
      if (single.size <= session.limit) session._reply(single);
      else session._fail(this.firstId + i, tooLarge(this.action, session.mailbox.maxMessageBytes));
    }
  }
}

/** A result that is not JSON-shaped (the command ran: counted already). */
class NotJsonResult extends Error {
  constructor(error) {
    super(error.message);
    this.error = error;
  }
}

/** A command's result as JSON text; NotJsonResult when it is not JSON-shaped. */
function resultJson(result, action) {
  try {
    return jsonText(result, 'result');
  } catch (err) {
    throw new NotJsonResult(errors.localError(errors.CommandError, `the result of '${action}' is not JSON-shaped: ${err.message}`));
  }
}

function tooLarge(action, maxMessageBytes) {
  return errors.localError(errors.MessageTooLarge, `the result of '${action}' exceeds the maximum message size (${maxMessageBytes} bytes)`);
}

/** args_json / kwargs_json as values; InvalidArgument when they are not an array and an object. */
function parseJsonArguments(envelope) {
  let args;
  let kwargs = null;
  try {
    args = JSON.parse(envelope.argsJson);
    if (envelope.kwargsJson) kwargs = JSON.parse(envelope.kwargsJson);
  } catch (err) {
    throw errors.invalidArgument(`args_json / kwargs_json is not valid JSON: ${err.message}`);
  }
  if (!Array.isArray(args) || (kwargs !== null && (typeof kwargs !== 'object' || Array.isArray(kwargs)))) {
    throw errors.invalidArgument('args_json must be a JSON array, kwargs_json a JSON object');
  }
  return { args, kwargs };
}

/** The ids of the calls in an ask envelope (several with batch_args_json). */
function callIds(envelope) {
  if (envelope.form === wire.ARGS.BATCH_ARGS_JSON) {
    try {
      const calls = JSON.parse(envelope.argsJson);
      if (Array.isArray(calls)) return Array.from({ length: Math.max(calls.length, 1) }, (_, i) => envelope.id + i);
    } catch {
      // not an array: one failure, for the envelope's id
    }
  }
  return [envelope.id];
}

module.exports = { Mailbox, StreamSession, readFrame, MAX_REPLY_BATCH, MAX_INFLIGHT };
