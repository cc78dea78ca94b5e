'use strict';
/**
 * Hand-written protobuf for the hot path of MailboxService.Stream: Envelopes in
 * StreamRequest frames, Replies in StreamResponse frames (see mailbox.proto; the
 * wire format is the contract). Building messages through protobufjs objects
 * costs more than the rest of a call; these functions read and write the same
 * bytes directly, with 64-bit ids as plain numbers (protobufjs would make them
 * Long objects). test/wire.test.js checks every encoding against protobufjs.
 *
 * Only the message forms that the JSON path needs are handled here; the rare
 * protobuf-valued forms (Envelope.values, Reply.result) are left to protobufjs
 * by the callers, which get their bytes as a range.
 */

const { isUtf8 } = require('node:buffer');

// Field tags: (field number << 3) | wire type.
const TAG = {
  FRAME_ENTRY: 0x0a, // StreamRequest.envelopes / StreamResponse.replies (1, bytes)
  ID: 0x08, // Envelope.id / Reply.id (1, varint)
  TARGET: 0x12, // Envelope.target (2, bytes)
  ACTION: 0x1a, // Envelope.action (3, bytes)
  VALUES: 0x22, // Envelope.values (4, bytes)
  TELL: 0x30, // Envelope.tell (6, varint)
  TIMEOUT: 0x39, // Envelope.timeout_seconds (7, fixed64 double)
  ARGS_JSON: 0x42, // Envelope.args_json (8, bytes)
  KWARGS_JSON: 0x4a, // Envelope.kwargs_json (9, bytes)
  BATCH_ARGS_JSON: 0x52, // Envelope.batch_args_json (10, bytes)
  RESULT: 0x12, // Reply.result (2, bytes)
  FAILURE: 0x1a, // Reply.failure (3, bytes)
  RESULT_JSON: 0x22, // Reply.result_json (4, bytes)
  BATCH_RESULTS_JSON: 0x2a, // Reply.batch_results_json (5, bytes)
  FAILURE_CODE: 0x08, // Failure.code (1, varint)
  FAILURE_MESSAGE: 0x12, // Failure.message (2, bytes)
  FAILURE_TYPE: 0x1a, // Failure.type (3, bytes)
};

/** Bytes of the varint of a non-negative integer below 2^53. */
function varintSize(value) {
  if (value < 0x80) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x200000) return 3;
  if (value < 0x10000000) return 4;
  let size = 4;
  let rest = Math.floor(value / 0x10000000);
  while (rest > 0) {
    size += 1;
    rest = Math.floor(rest / 0x80);
  }
  return size;
}

/** Writes the varint of a non-negative integer below 2^53; the position after it. */
function writeVarint(buf, pos, value) {
  while (value >= 0x80) {
    buf[pos++] = (value % 0x80) | 0x80;
    value = Math.floor(value / 0x80);
  }
  buf[pos++] = value;
  return pos;
}

/** Writes a length-delimited string field; the position after it. */
function writeStringField(buf, pos, tag, text, bytes) {
  buf[pos++] = tag;
  pos = writeVarint(buf, pos, bytes);
  return bytes ? pos + buf.write(text, pos, bytes, 'utf8') : pos;
}

/** Bytes of a length-delimited field holding `bytes` bytes (tag included). */
function fieldSize(bytes) {
  return 1 + varintSize(bytes) + bytes;
}

// -- Envelopes (client side) ----------------------------------------------------

const suffixes = new Map();
/** Distinct envelope suffixes kept; past this the cache starts over (targets come and go). */
const MAX_SUFFIXES = 4096;

/**
 * Fields 2, 3, 6 and 7 of an Envelope: the same for every call of one action to
 * one actor, so they are encoded once. The identity of the Buffer returned is the
 * key under which calls may be coalesced (see frame-queue.js).
 */
function envelopeSuffix(target, action, tell, timeoutSeconds) {
  const key = `${tell ? 't' : 'a'}${timeoutSeconds}\u0000${target}\u0000${action}`;
  let suffix = suffixes.get(key);
  if (suffix === undefined) {
    const targetBytes = Buffer.byteLength(target);
    const actionBytes = Buffer.byteLength(action);
    const size = (targetBytes ? fieldSize(targetBytes) : 0) + (actionBytes ? fieldSize(actionBytes) : 0)
      + (tell ? 2 : 0) + (timeoutSeconds ? 9 : 0);
    suffix = Buffer.allocUnsafe(size);
    let pos = 0;
    if (targetBytes) pos = writeStringField(suffix, pos, TAG.TARGET, target, targetBytes);
    if (actionBytes) pos = writeStringField(suffix, pos, TAG.ACTION, action, actionBytes);
    if (tell) {
      suffix[pos++] = TAG.TELL;
      suffix[pos++] = 1;
    }
    if (timeoutSeconds) {
      suffix[pos++] = TAG.TIMEOUT;
      suffix.writeDoubleLE(timeoutSeconds, pos);
    }
    if (suffixes.size >= MAX_SUFFIXES) suffixes.clear();
    suffixes.set(key, suffix);
  }
  return suffix;
}

/**
 * One call as an entry of StreamRequest.envelopes: `id` (0 for a tell), the
 * suffix, and the arguments as JSON text (`args_json`, always set, even to "[]":
 * it makes the server answer with `result_json`; `kwargs_json` when not empty).
 */
class Envelope {
  constructor(id, suffix, argsJson, argsBytes, kwargsJson, kwargsBytes) {
    this.id = id;
    this.suffix = suffix;
    this.argsJson = argsJson;
    this.argsBytes = argsBytes;
    this.kwargsJson = kwargsJson;
    this.kwargsBytes = kwargsBytes;
    this.bodySize = (id ? 1 + varintSize(id) : 0) + suffix.length + fieldSize(argsBytes) + (kwargsBytes ? fieldSize(kwargsBytes) : 0);
    this.size = fieldSize(this.bodySize);
  }

  encodeInto(buf, pos) {
    buf[pos++] = TAG.FRAME_ENTRY;
    pos = writeVarint(buf, pos, this.bodySize);
    if (this.id) {
      buf[pos++] = TAG.ID;
      pos = writeVarint(buf, pos, this.id);
    }
    pos += this.suffix.copy(buf, pos);
    pos = writeStringField(buf, pos, TAG.ARGS_JSON, this.argsJson, this.argsBytes);
    if (this.kwargsBytes) pos = writeStringField(buf, pos, TAG.KWARGS_JSON, this.kwargsJson, this.kwargsBytes);
    return pos;
  }
}

/**
 * Consecutive calls of one action to one actor, without keyword arguments, in one
 * Envelope: `batch_args_json`, the JSON array of each call's argument array; call
 * `i` of an ask batch has id `id + i`. A batch of one is a plain `args_json`
 * envelope (what any server understands).
 */
class CallBatch {
  constructor(id, suffix, part, partBytes) {
    this.id = id;
    this.suffix = suffix;
    this.parts = [part];
    /** UTF-8 bytes of every part, plus one separator each. */
    this.bytes = partBytes + 1;
  }

  add(part, partBytes) {
    this.parts.push(part);
    this.bytes += partBytes + 1;
  }

  /** Ids this batch answers to: `id`, `id + 1`, ... (asks only). */
  get count() {
    return this.parts.length;
  }

  _body() {
    const single = this.parts.length === 1;
    const dataBytes = single ? this.bytes - 1 : this.bytes + 1; // "[" + parts joined by "," + "]"
    const bodySize = (this.id ? 1 + varintSize(this.id) : 0) + this.suffix.length + fieldSize(dataBytes);
    return { single, dataBytes, bodySize };
  }

  get size() {
    return fieldSize(this._body().bodySize);
  }

  encodeInto(buf, pos) {
    const { single, dataBytes, bodySize } = this._body();
    buf[pos++] = TAG.FRAME_ENTRY;
    pos = writeVarint(buf, pos, bodySize);
    if (this.id) {
      buf[pos++] = TAG.ID;
      pos = writeVarint(buf, pos, this.id);
    }
    pos += this.suffix.copy(buf, pos);
    buf[pos++] = single ? TAG.ARGS_JSON : TAG.BATCH_ARGS_JSON;
    pos = writeVarint(buf, pos, dataBytes);
    const text = single ? this.parts[0] : `[${this.parts.join(',')}]`;
    return pos + buf.write(text, pos, dataBytes, 'utf8');
  }
}

/** The bytes of one StreamRequest (or StreamResponse) holding `entries`. */
function encodeFrame(entries) {
  let total = 0;
  const sizes = new Array(entries.length);
  for (let i = 0; i < entries.length; i++) {
    sizes[i] = entries[i].size;
    total += sizes[i];
  }
  const buf = Buffer.allocUnsafe(total);
  let pos = 0;
  for (let i = 0; i < entries.length; i++) pos = entries[i].encodeInto(buf, pos);
  if (pos !== total) throw new Error(`frame encoding wrote ${pos} of ${total} bytes`);
  return buf;
}

// -- Replies (actor side) ---------------------------------------------------------

/** A successful Reply whose result is JSON text: `result_json`, or `batch_results_json`. */
class JsonReply {
  constructor(id, json, batch = false) {
    this.id = id;
    this.json = json;
    this.jsonBytes = Buffer.byteLength(json);
    this.tag = batch ? TAG.BATCH_RESULTS_JSON : TAG.RESULT_JSON;
    this.bodySize = 1 + varintSize(id) + fieldSize(this.jsonBytes);
    this.size = fieldSize(this.bodySize);
  }

  encodeInto(buf, pos) {
    buf[pos++] = TAG.FRAME_ENTRY;
    pos = writeVarint(buf, pos, this.bodySize);
    buf[pos++] = TAG.ID;
    pos = writeVarint(buf, pos, this.id);
    return writeStringField(buf, pos, this.tag, this.json, this.jsonBytes);
  }
}

/** A Reply holding already-encoded bytes in one field (`result`: a google.protobuf.Value). */
class BytesReply {
  constructor(id, tag, bytes) {
    this.id = id;
    this.tag = tag;
    this.bytes = bytes;
    this.bodySize = 1 + varintSize(id) + fieldSize(bytes.length);
    this.size = fieldSize(this.bodySize);
  }

  encodeInto(buf, pos) {
    buf[pos++] = TAG.FRAME_ENTRY;
    pos = writeVarint(buf, pos, this.bodySize);
    buf[pos++] = TAG.ID;
    pos = writeVarint(buf, pos, this.id);
    buf[pos++] = this.tag;
    pos = writeVarint(buf, pos, this.bytes.length);
    return pos + this.bytes.copy(buf, pos);
  }
}

/** A failed Reply: Failure{code, message, type}. */
class FailureReply {
  constructor(id, code, message, type) {
    this.id = id;
    this.code = code;
    this.message = message;
    this.messageBytes = Buffer.byteLength(message);
    this.type = type;
    this.typeBytes = Buffer.byteLength(type);
    this.failureSize = (code ? 1 + varintSize(code) : 0) + (this.messageBytes ? fieldSize(this.messageBytes) : 0)
      + (this.typeBytes ? fieldSize(this.typeBytes) : 0);
    this.bodySize = 1 + varintSize(id) + fieldSize(this.failureSize);
    this.size = fieldSize(this.bodySize);
  }

  encodeInto(buf, pos) {
    buf[pos++] = TAG.FRAME_ENTRY;
    pos = writeVarint(buf, pos, this.bodySize);
    buf[pos++] = TAG.ID;
    pos = writeVarint(buf, pos, this.id);
    buf[pos++] = TAG.FAILURE;
    pos = writeVarint(buf, pos, this.failureSize);
    if (this.code) {
      buf[pos++] = TAG.FAILURE_CODE;
      pos = writeVarint(buf, pos, this.code);
    }
    if (this.messageBytes) pos = writeStringField(buf, pos, TAG.FAILURE_MESSAGE, this.message, this.messageBytes);
    if (this.typeBytes) pos = writeStringField(buf, pos, TAG.FAILURE_TYPE, this.type, this.typeBytes);
    return pos;
  }
}

// -- Reading ------------------------------------------------------------------------

class WireError extends Error {}

/** A cursor over protobuf bytes. */
class Reader {
  constructor(buf, pos = 0, end = buf.length) {
    this.buf = buf;
    this.pos = pos;
    this.end = end;
  }

  more() {
    return this.pos < this.end;
  }

  /** A varint as a number (exact below 2^53; 64-bit negatives come out huge). */
  varint() {
    const buf = this.buf;
    let byte = buf[this.pos++];
    if (byte < 0x80) return byte;
    let value = byte & 0x7f;
    let scale = 0x80;
    for (let i = 1; i < 10; i++) {
      if (this.pos >= this.end) throw new WireError('truncated varint');
      byte = buf[this.pos++];
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 0x80;
    }
    throw new WireError('varint longer than 10 bytes');
  }

  /** The [start, end) of a length-delimited field's bytes. */
  lengthDelimited() {
    const length = this.varint();
    const start = this.pos;
    const end = start + length;
    if (end > this.end) throw new WireError('length-delimited field runs past its message');
    this.pos = end;
    return start;
  }

  double() {
    if (this.pos + 8 > this.end) throw new WireError('truncated double');
    const value = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return value;
  }

  /** Bytes from `start` to here as text (a `bytes` field holding UTF-8 JSON). */
  string(start) {
    return this.buf.toString('utf8', start, this.pos);
  }

  /** A protobuf `string` field from `start` to here: it must be valid UTF-8. */
  text(start) {
    if (!isUtf8(this.buf.subarray(start, this.pos))) throw new WireError('a string field is not valid UTF-8');
    return this.buf.toString('utf8', start, this.pos);
  }

  skip(wireType) {
    switch (wireType) {
      case 0:
        this.varint();
        break;
      case 1:
        this.pos += 8;
        break;
      case 2:
        this.lengthDelimited();
        break;
      case 5:
        this.pos += 4;
        break;
      default:
        throw new WireError(`unsupported wire type ${wireType}`);
    }
    if (this.pos > this.end) throw new WireError('field runs past its message');
  }
}

/** Reply kinds, as decodeReplies reports them. */
const REPLY = { NONE: 0, RESULT: 1, FAILURE: 2, RESULT_JSON: 3, BATCH_RESULTS_JSON: 4 };

/**
 * Calls `onReply(id, kind, text, start, end)` for each Reply of a StreamResponse:
 * `text` is the JSON text of RESULT_JSON / BATCH_RESULTS_JSON; for RESULT
 * (a google.protobuf.Value) and FAILURE, [start, end) is the range of the message's
 * bytes in `buf` (see decodeFailure). Throws WireError on malformed bytes.
 */
function decodeReplies(buf, onReply) {
  const frame = new Reader(buf);
  while (frame.more()) {
    const tag = frame.varint();
    if (tag !== TAG.FRAME_ENTRY) {
      frame.skip(tag & 7);
      continue;
    }
    const start = frame.lengthDelimited();
    const reply = new Reader(buf, start, frame.pos);
    let id = 0;
    let kind = REPLY.NONE;
    let text = '';
    let from = 0;
    let to = 0;
    while (reply.more()) {
      const field = reply.varint();
      switch (field) {
        case TAG.ID:
          id = reply.varint();
          break;
        case TAG.RESULT_JSON:
        case TAG.BATCH_RESULTS_JSON: {
          const at = reply.lengthDelimited();
          kind = field === TAG.RESULT_JSON ? REPLY.RESULT_JSON : REPLY.BATCH_RESULTS_JSON;
          text = reply.string(at);
          break;
        }
        case TAG.RESULT:
        case TAG.FAILURE:
          from = reply.lengthDelimited();
          to = reply.pos;
          kind = field === TAG.RESULT ? REPLY.RESULT : REPLY.FAILURE;
          break;
        default:
          reply.skip(field & 7);
      }
    }
    onReply(id, kind, text, from, to);
  }
}

/** The Failure message in buf[start, end) as {code, message, type}. */
function decodeFailure(buf, start, end) {
  const reader = new Reader(buf, start, end);
  const failure = { code: 0, message: '', type: '' };
  while (reader.more()) {
    const field = reader.varint();
    if (field === TAG.FAILURE_CODE) {
      failure.code = reader.varint();
    } else if (field === TAG.FAILURE_MESSAGE || field === TAG.FAILURE_TYPE) {
      const at = reader.lengthDelimited();
      failure[field === TAG.FAILURE_MESSAGE ? 'message' : 'type'] = reader.string(at);
    } else {
      reader.skip(field & 7);
    }
  }
  return failure;
}

/** Argument forms of an Envelope, as decodeEnvelopes reports them. */
const ARGS = { NONE: 0, VALUES: 1, ARGS_JSON: 2, BATCH_ARGS_JSON: 3 };

/**
 * The Envelopes of a StreamRequest, as plain objects: {id, target, action, tell,
 * timeoutSeconds, form, argsJson, kwargsJson, valuesStart, valuesEnd} (the
 * `values` Arguments message, when that is the form, is buf[valuesStart,
 * valuesEnd)). Throws WireError on malformed bytes.
 */
function decodeEnvelopes(buf) {
  const envelopes = [];
  const frame = new Reader(buf);
  while (frame.more()) {
    const tag = frame.varint();
    if (tag !== TAG.FRAME_ENTRY) {
      frame.skip(tag & 7);
      continue;
    }
    const start = frame.lengthDelimited();
    envelopes.push(decodeEnvelope(new Reader(buf, start, frame.pos)));
  }
  return envelopes;
}

/** The Envelope in buf[start, end) (see decodeEnvelopes). */
function decodeEnvelopeAt(buf, start, end) {
  return decodeEnvelope(new Reader(buf, start, end));
}

function decodeEnvelope(reader) {
  const envelope = {
    id: 0, target: '', action: '', tell: false, timeoutSeconds: 0, form: ARGS.NONE,
    argsJson: '', kwargsJson: '', valuesStart: 0, valuesEnd: 0,
  };
  while (reader.more()) {
    const field = reader.varint();
    switch (field) {
      case TAG.ID:
        envelope.id = reader.varint();
        break;
      case TAG.TARGET:
        envelope.target = reader.text(reader.lengthDelimited());
        break;
      case TAG.ACTION:
        envelope.action = reader.text(reader.lengthDelimited());
        break;
      case TAG.TELL:
        envelope.tell = reader.varint() !== 0;
        break;
      case TAG.TIMEOUT:
        envelope.timeoutSeconds = reader.double();
        break;
      case TAG.VALUES:
        envelope.valuesStart = reader.lengthDelimited();
        envelope.valuesEnd = reader.pos;
        envelope.form = ARGS.VALUES;
        break;
      case TAG.ARGS_JSON:
      case TAG.BATCH_ARGS_JSON:
        envelope.argsJson = reader.string(reader.lengthDelimited());
        envelope.form = field === TAG.ARGS_JSON ? ARGS.ARGS_JSON : ARGS.BATCH_ARGS_JSON;
        break;
      case TAG.KWARGS_JSON:
        envelope.kwargsJson = reader.string(reader.lengthDelimited());
        break;
      default:
        reader.skip(field & 7);
    }
  }
  return envelope;
}

module.exports = {
  TAG,
  REPLY,
  ARGS,
  varintSize,
  writeVarint,
  fieldSize,
  envelopeSuffix,
  Envelope,
  CallBatch,
  JsonReply,
  BytesReply,
  FailureReply,
  encodeFrame,
  decodeReplies,
  decodeFailure,
  decodeEnvelopes,
  decodeEnvelopeAt,
  Reader,
  WireError,
};
