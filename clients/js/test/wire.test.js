'use strict';
// The hand-written mailbox encoding (wire.js) and frame queue (frame-queue.js),
// checked against protobufjs's reading and writing of the same messages.
const test = require('node:test');
const assert = require('node:assert/strict');
const protobuf = require('../src/protobuf');
const wire = require('../src/wire');
const { FrameQueue } = require('../src/frame-queue');

const StreamRequest = protobuf.type('actorgrpc.v1.StreamRequest');
const StreamResponse = protobuf.type('actorgrpc.v1.StreamResponse');

/** A StreamRequest's envelopes as protobufjs reads them, with ids as numbers and JSON as text. */
function parseRequest(buf) {
  const message = StreamRequest.toObject(StreamRequest.decode(buf), { longs: Number, defaults: true, oneofs: true });
  return message.envelopes.map((e) => ({
    id: e.id,
    target: e.target,
    action: e.action,
    tell: e.tell,
    timeoutSeconds: e.timeoutSeconds,
    arguments: e.arguments,
    argsJson: text(e.argsJson),
    kwargsJson: text(e.kwargsJson),
    batchArgsJson: text(e.batchArgsJson),
  }));
}

/** bytes as text ('' when unset: protobufjs leaves unset oneof members out). */
function text(bytes) {
  return bytes ? Buffer.from(bytes).toString() : '';
}

function envelope(id, target, action, tell, timeout, args, kwargs = '') {
  const suffix = wire.envelopeSuffix(target, action, tell, timeout);
  return new wire.Envelope(id, suffix, args, Buffer.byteLength(args), kwargs, Buffer.byteLength(kwargs));
}

test('envelopes read back as protobufjs reads them, ids beyond 2^32 included', () => {
  const frame = wire.encodeFrame([
    envelope(1, 'aid1', 'echo', false, 5, '["hé ✓"]'),
    envelope(2 ** 40 + 3, '', 'add', false, 0, '[1,2]', '{"b":"é"}'),
    envelope(0, 'x'.repeat(300), 'count', true, 0, '[]'),
  ]);
  const [a, b, c] = parseRequest(frame);
  assert.deepStrictEqual([a.id, a.target, a.action, a.tell, a.timeoutSeconds, a.arguments, a.argsJson], [1, 'aid1', 'echo', false, 5, 'argsJson', '["hé ✓"]']);
  assert.deepStrictEqual([b.id, b.target, b.action, b.argsJson, b.kwargsJson, b.timeoutSeconds], [2 ** 40 + 3, '', 'add', '[1,2]', '{"b":"é"}', 0]);
  assert.deepStrictEqual([c.id, c.target.length, c.tell, c.argsJson], [0, 300, true, '[]']);
  // And our own reader agrees with protobufjs.
  const ours = wire.decodeEnvelopes(frame);
  assert.deepStrictEqual(ours.map((e) => [e.id, e.target.length, e.action, e.tell, e.timeoutSeconds, e.form, e.argsJson, e.kwargsJson]), [
    [1, 4, 'echo', false, 5, wire.ARGS.ARGS_JSON, '["hé ✓"]', ''],
    [2 ** 40 + 3, 0, 'add', false, 0, wire.ARGS.ARGS_JSON, '[1,2]', '{"b":"é"}'],
    [0, 300, 'count', true, 0, wire.ARGS.ARGS_JSON, '[]', ''],
  ]);
});

test('our envelope reader takes protobufjs encodings: values, batches, unknown fields', () => {
  const values = { args: { values: [{ numberValue: 1 }] }, kwargs: { fields: { k: { stringValue: 'v' } } } };
  const buf = Buffer.from(StreamRequest.encode(StreamRequest.fromObject({
    envelopes: [
      { id: 7, target: 't', action: 'a', values },
      { id: 9, action: 'b', batchArgsJson: Buffer.from('[[1],[2]]'), timeoutSeconds: 0.25 },
    ],
  })).finish());
  // An unknown field (number 15, varint) after the frame's entries is skipped.
  const [first, second] = wire.decodeEnvelopes(Buffer.concat([buf, Buffer.from([0x78, 0x01])]));
  assert.equal(first.form, wire.ARGS.VALUES);
  const decoded = protobuf.decode('actorgrpc.v1.Arguments', buf.subarray(first.valuesStart, first.valuesEnd));
  assert.equal(decoded.kwargs.fields.k.stringValue, 'v');
  assert.deepStrictEqual([second.id, second.form, second.argsJson, second.timeoutSeconds], [9, wire.ARGS.BATCH_ARGS_JSON, '[[1],[2]]', 0.25]);
  assert.throws(() => wire.decodeEnvelopes(Buffer.from([0x0a, 0x05, 0x08])), wire.WireError);
});

test('replies read back as protobufjs reads them, and our reader takes protobufjs replies', () => {
  const value = protobuf.encode('google.protobuf.Value', { stringValue: 'v' });
  const frame = wire.encodeFrame([
    new wire.JsonReply(3, '{"a":[1,"é"]}'),
    new wire.JsonReply(2 ** 35, '[1,2,3]', true),
    new wire.FailureReply(5, 12, 'unknown command \'x\'', ''),
    new wire.FailureReply(6, 2, 'ValueError: é', 'ValueError'),
    new wire.BytesReply(8, wire.TAG.RESULT, value),
  ]);
  const decoded = StreamResponse.toObject(StreamResponse.decode(frame), { longs: Number, oneofs: true });
  assert.deepStrictEqual(decoded.replies.map((r) => [r.id, r.outcome]), [
    [3, 'resultJson'], [2 ** 35, 'batchResultsJson'], [5, 'failure'], [6, 'failure'], [8, 'result'],
  ]);
  assert.equal(Buffer.from(decoded.replies[0].resultJson).toString(), '{"a":[1,"é"]}');
  assert.deepStrictEqual(decoded.replies[3].failure, { code: 2, message: 'ValueError: é', type: 'ValueError' });
  assert.equal(decoded.replies[4].result.stringValue, 'v');

  const seen = [];
  const reencoded = Buffer.from(StreamResponse.encode(StreamResponse.fromObject(decoded)).finish());
  wire.decodeReplies(reencoded, (id, kind, text, start, end) => {
    seen.push([id, kind, kind === wire.REPLY.FAILURE ? wire.decodeFailure(reencoded, start, end) : text || end - start]);
  });
  assert.deepStrictEqual(seen, [
    [3, wire.REPLY.RESULT_JSON, '{"a":[1,"é"]}'],
    [2 ** 35, wire.REPLY.BATCH_RESULTS_JSON, '[1,2,3]'],
    [5, wire.REPLY.FAILURE, { code: 12, message: 'unknown command \'x\'', type: '' }],
    [6, wire.REPLY.FAILURE, { code: 2, message: 'ValueError: é', type: 'ValueError' }],
    [8, wire.REPLY.RESULT, value.length],
  ]);
});

test('varints at their edges', () => {
  for (const value of [0, 127, 128, 16383, 16384, 2 ** 28 - 1, 2 ** 28, 2 ** 32, 2 ** 53 - 1]) {
    const buf = Buffer.alloc(10);
    const end = wire.writeVarint(buf, 0, value);
    assert.equal(end, wire.varintSize(value), `size of ${value}`);
    assert.equal(new wire.Reader(buf, 0, end).varint(), value);
  }
});

test('a frame queue coalesces consecutive calls of one action to one actor into one envelope', () => {
  const queue = new FrameQueue(1 << 20, 1024);
  const echo = wire.envelopeSuffix('aid', 'echo', false, 5);
  const add = wire.envelopeSuffix('aid', 'add', false, 5);
  queue.pushCall(1, echo, '[1]', 3);
  queue.pushCall(2, echo, '["é"]', 6);
  queue.pushCall(3, add, '[1,2]', 5); // another action: a new batch
  queue.pushCall(5, add, '[3,4]', 5); // an id that does not follow: a new batch
  queue.push(envelope(6, 'aid', 'add', false, 5, '[5,6]', '{"k":1}')); // kwargs: alone
  queue.pushCall(7, add, '[7,8]', 5); // does not join across the kwargs envelope
  assert.equal(queue.length, 1);
  const envelopes = parseRequest(queue.pop());
  assert.deepStrictEqual(envelopes.map((e) => [e.id, e.action, e.arguments, e.argsJson || e.batchArgsJson]), [
    [1, 'echo', 'batchArgsJson', '[[1],["é"]]'],
    [3, 'add', 'argsJson', '[1,2]'],
    [5, 'add', 'argsJson', '[3,4]'],
    [6, 'add', 'argsJson', '[5,6]'],
    [7, 'add', 'argsJson', '[7,8]'],
  ]);
  assert.equal(queue.length, 0);
  assert.equal(queue.bytes, 0);
});

test('tells coalesce with tells only, and frames are bounded by count and bytes', () => {
  const queue = new FrameQueue(200, 3);
  const tell = wire.envelopeSuffix('aid', 'count', true, 0);
  const ask = wire.envelopeSuffix('aid', 'count', false, 5);
  for (let i = 0; i < 4; i++) queue.pushCall(0, tell, '[1]', 3);
  queue.pushCall(1, ask, '[1]', 3);
  assert.equal(queue.length, 2); // 3 calls per frame at most
  const first = parseRequest(queue.pop());
  assert.deepStrictEqual(first.map((e) => [e.tell, e.batchArgsJson || e.argsJson]), [[true, '[[1],[1],[1]]']]);
  const second = parseRequest(queue.pop());
  assert.deepStrictEqual(second.map((e) => [e.tell, e.id, e.argsJson]), [[true, 0, '[1]'], [false, 1, '[1]']]);

  const big = '"' + 'x'.repeat(80) + '"';
  for (let id = 1; id <= 4; id++) queue.pushCall(id, ask, `[${big}]`, big.length + 2);
  const frames = [];
  while (queue.length) frames.push(queue.pop());
  for (const frame of frames) assert.ok(frame.length <= 200, `a frame of ${frame.length} bytes`);
  assert.deepStrictEqual(frames.flatMap(parseRequest).flatMap((e) => JSON.parse(e.batchArgsJson || `[${e.argsJson}]`)).length, 4);
});
