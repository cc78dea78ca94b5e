'use strict';
// Unit tests of the JSON <-> google.protobuf.Value mapping, through the real
// protobuf encoding (serialize, then deserialize) that the client uses.
const test = require('node:test');
const assert = require('node:assert/strict');
const { loadV1, toValue, toListValue, toStruct, fromValue, fromListValue, fromStruct } = require('../src');

const Send = loadV1().ArbiterService.service.Send;

/** What a value looks like after a trip through protobuf bytes. */
function roundTrip(args, kwargs = {}) {
  const bytes = Send.requestSerialize({ target: 't', action: 'a', args: toListValue(args), kwargs: toStruct(kwargs) });
  const decoded = Send.requestDeserialize(bytes);
  return { args: fromListValue(decoded.args), kwargs: fromStruct(decoded.kwargs) };
}

test('JSON values survive protobuf encoding, falsy ones included', () => {
  const values = [0, -1.5, 2 ** 52, '', 'hé ✓', false, true, null, {}, [], [[]], { a: { b: [1, 'x', null] } }];
  assert.deepStrictEqual(roundTrip(values).args, values);
  assert.deepStrictEqual(roundTrip([], { n: 0, s: '', l: [], o: {} }).kwargs, { n: 0, s: '', l: [], o: {} });
});

test('undefined and toJSON behave as in JSON.stringify', () => {
  const date = new Date(0);
  const input = [undefined, { keep: 1, drop: undefined }, date];
  assert.deepStrictEqual(roundTrip(input).args, JSON.parse(JSON.stringify(input)));
  assert.deepStrictEqual(fromValue(toValue(undefined)), null);
});

test('values JSON cannot carry are refused, not mangled', () => {
  assert.throws(() => toValue(1n), TypeError);
  assert.throws(() => toValue(() => 1), TypeError);
  assert.throws(() => toValue(Symbol('s')), TypeError);
  assert.throws(() => toListValue({ not: 'an array' }), TypeError);
  assert.throws(() => toStruct([1]), TypeError);
});

test('unset messages decode as null / [] / {}', () => {
  assert.equal(fromValue(undefined), null);
  assert.equal(fromValue({}), null);
  assert.deepStrictEqual(fromListValue(undefined), []);
  assert.deepStrictEqual(fromStruct(null), {});
});
