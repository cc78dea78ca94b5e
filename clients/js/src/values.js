'use strict';
/**
 * Plain JS values <-> google.protobuf.Value / Struct / ListValue, in the object
 * shape @grpc/proto-loader uses (`{kind: 'structValue', structValue: {fields}}`).
 *
 * The mapping is JSON's: null, boolean, number, string, array, plain object.
 * Like JSON.stringify, `undefined` members of objects are dropped, `undefined`
 * in arrays and at the top level becomes null, and objects with a `toJSON`
 * method (Date, ...) are converted through it. BigInt, functions and symbols
 * are refused with a TypeError rather than silently changed.
 */

/** Encode one JS value as a google.protobuf.Value object. */
function toValue(value) {
  if (value === null || value === undefined) return { nullValue: 'NULL_VALUE' };
  if (typeof value === 'object' && typeof value.toJSON === 'function') {
    return toValue(value.toJSON());
  }
  switch (typeof value) {
    case 'boolean':
      return { boolValue: value };
    case 'number':
      return { numberValue: value };
    case 'string':
      return { stringValue: value };
    case 'object':
      return Array.isArray(value)
        ? { listValue: toListValue(value) }
        : { structValue: toStruct(value) };
    default:
      throw new TypeError(`cannot send a ${typeof value} as a JSON value`);
  }
}

/** Encode an array as a google.protobuf.ListValue object. */
function toListValue(array) {
  if (!Array.isArray(array)) throw new TypeError('args must be an array');
  return { values: array.map(toValue) };
}

/** Encode a plain object as a google.protobuf.Struct object. */
function toStruct(object) {
  if (object === null || typeof object !== 'object' || Array.isArray(object)) {
    throw new TypeError('expected a plain object');
  }
  const fields = {};
  for (const [key, member] of Object.entries(object)) {
    if (member !== undefined) fields[key] = toValue(member);
  }
  return { fields };
}

/** Decode a google.protobuf.Value object (unset = null) to a JS value. */
function fromValue(value) {
  if (value == null) return null;
  switch (value.kind) {
    case 'boolValue':
      return value.boolValue;
    case 'numberValue':
      return value.numberValue;
    case 'stringValue':
      return value.stringValue;
    case 'listValue':
      return fromListValue(value.listValue);
    case 'structValue':
      return fromStruct(value.structValue);
    default: // 'nullValue', or no kind at all: both mean null
      return null;
  }
}

/** Decode a google.protobuf.ListValue object to an array. */
function fromListValue(list) {
  return ((list && list.values) || []).map(fromValue);
}

/** Decode a google.protobuf.Struct object (unset = {}) to a plain object. */
function fromStruct(struct) {
  const out = {};
  for (const [key, member] of Object.entries((struct && struct.fields) || {})) {
    out[key] = fromValue(member);
  }
  return out;
}

module.exports = { toValue, toListValue, toStruct, fromValue, fromListValue, fromStruct };
