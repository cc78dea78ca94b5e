'use strict';
// Unit tests of the JSON <-> google.protobuf.Value mapping, through the real
// protobuf encoding (serialize, then deserialize) that the client uses.
const test = require('node:test');
const assert = require('node:assert/strict');
const { loadV1, toValue, toListValue, toStruct, fromValue, fromListValue, fromStruct, InvalidArgument } = require('../src');
const { argsJson, kwargsJson } = require('../src/values');

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

test('values JSON cannot carry are refused with INVALID_ARGUMENT, not mangled', () => {
  const refused = (fn, message) => assert.throws(fn, (err) => {
    assert.ok(err instanceof InvalidArgument, err.stack);
    assert.equal(err.codeName, 'INVALID_ARGUMENT');
    assert.match(err.message, message);
    return true;
  });
  refused(() => toValue(() => 1), /a function is not JSON-shaped \(at value\)/);
  refused(() => toValue(Symbol('s')), /a symbol is not JSON-shaped/);
  refused(() => toListValue([1, { a: [new Set()] }]), /a Set is not JSON-shaped: .* \(at args\[1\]\.a\[0\]\)/);
  refused(() => toListValue({ not: 'an array' }), /args must be an array/);
  refused(() => toStruct([1]), /kwargs must be a plain object/);
  const cyclic = [];
  cyclic.push(cyclic);
  refused(() => toValue(cyclic), /nested deeper than 100 levels \(or cyclic\)/);
});

test('integers beyond ±(2^53 - 1), NaN and infinities are refused with the spec\'s message', () => {
  const spec = 'is out of range: JSON-shaped values carry integers within ±(2^53 - 1)';
  for (const [value, text] of [[2 ** 53, '9007199254740992'], [-(2 ** 53), '-9007199254740992'], [2 ** 64, '18446744073709552000'],
    [2n ** 53n, '9007199254740992'], [1e300, '1e+300'], [-(10n ** 30n), '-1000000000000000000000000000000']]) {
    assert.throws(() => toListValue([value]), (err) => err instanceof InvalidArgument && err.message === `integer ${text} ${spec} (at args[0])`);
    assert.throws(() => argsJson([value]), (err) => err instanceof InvalidArgument && err.message.startsWith(`integer ${text} ${spec}`));
  }
  for (const value of [NaN, Infinity, -Infinity]) {
    assert.throws(() => argsJson([{ x: value }]), (err) => err instanceof InvalidArgument && /not a JSON number.*\(at args\[0\]\.x\)/.test(err.message));
  }
  // The edges themselves, fractions and BigInts within range are fine. (Every
  // double beyond 2^53 is an integer: 1e300 is refused like 2^60.)
  const edge = Number.MAX_SAFE_INTEGER;
  assert.equal(argsJson([edge, -edge, 0.5, 1e-300, 2n ** 52n]), `[${edge},${-edge},0.5,1e-300,${2 ** 52}]`);
  assert.deepStrictEqual(roundTrip([edge, -edge, 2n ** 52n]).args, [edge, -edge, 2 ** 52]);
});

test('JSON text keeps JSON.stringify\'s output for what it accepts', () => {
  const values = [[], ['a', 1, -2.5, true, null], [{ a: [1, { b: 'é✓' }], u: undefined }, undefined, new Date(0)]];
  for (const args of values) assert.equal(argsJson(args), JSON.stringify(args));
  assert.equal(kwargsJson({}), '');
  assert.equal(kwargsJson({ a: undefined }), '');
  assert.equal(kwargsJson({ a: 1, b: undefined }), '{"a":1}');
});

test('unset messages decode as null / [] / {}', () => {
  assert.equal(fromValue(undefined), null);
  assert.equal(fromValue({}), null);
  assert.deepStrictEqual(fromListValue(undefined), []);
  assert.deepStrictEqual(fromStruct(null), {});
});
