'use strict';
/**
 * JSON-shaped values: the number policy, JSON text, and google.protobuf.Value /
 * Struct / ListValue in the object shape @grpc/proto-loader uses
 * (`{kind: 'structValue', structValue: {fields}}`).
 *
 * The mapping is JSON's: null, boolean, number, string, array, plain object.
 * Like JSON.stringify, `undefined` members of objects are dropped, `undefined`
 * in arrays becomes null, and objects with a `toJSON` method (Date, ...) are
 * converted through it. Refused before anything is sent (InvalidArgument, code
 * INVALID_ARGUMENT), rather than silently changed as JSON.stringify would:
 * integers beyond ±(2^53 - 1) (a JS number there is already imprecise), NaN and
 * the infinities, functions, symbols, objects that are neither plain nor arrays
 * (Map, Set, class instances without toJSON), and nesting deeper than MAX_DEPTH
 * (which a cycle always reaches). A BigInt within range is sent as a number.
 */
const { invalidArgument } = require('./errors');

/** ±(2^53 - 1): JSON numbers are doubles, exact for integers up to this. */
const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const MAX_SAFE_BIG = BigInt(MAX_SAFE);
/** Deepest nesting accepted: more than any real value; a cycle reaches it at once. */
const MAX_DEPTH = 100;

const OUT_OF_RANGE = 'is out of range: JSON-shaped values carry integers within ±(2^53 - 1)';

function outOfRange(text, path) {
  return invalidArgument(`integer ${text} ${OUT_OF_RANGE} (at ${path})`);
}

/**
 * `value` checked against the policy: the value itself, or a converted copy when
 * something in it had to change (a BigInt, a toJSON result). Throws InvalidArgument
 * naming where the problem is.
 */
function checkJson(value, path = 'value', depth = 0) {
  switch (typeof value) {
    case 'string':
    case 'boolean':
    case 'undefined': // JSON's rules: null in an array, dropped from an object
      return value;
    case 'number':
      if (value - value !== 0) {
        throw invalidArgument(`number ${value} is not a JSON number: JSON-shaped values carry no NaN or infinities (at ${path})`);
      }
      if ((value > MAX_SAFE || value < -MAX_SAFE) && Number.isInteger(value)) throw outOfRange(String(value), path);
      return value;
    case 'bigint':
      if (value > MAX_SAFE_BIG || value < -MAX_SAFE_BIG) throw outOfRange(value.toString(), path);
      return Number(value);
    case 'object':
      if (value === null) return null;
      if (depth >= MAX_DEPTH) throw invalidArgument(`a value nested deeper than ${MAX_DEPTH} levels (or cyclic) is not JSON-shaped (at ${path})`);
      if (typeof value.toJSON === 'function') return checkJson(value.toJSON(), path, depth + 1);
      if (Array.isArray(value)) return checkArray(value, path, depth);
      return checkObject(value, path, depth);
    default:
      throw invalidArgument(`a ${typeof value} is not JSON-shaped (at ${path})`);
  }
}

function checkArray(array, path, depth) {
  let copy;
  for (let i = 0; i < array.length; i++) {
    const item = array[i];
    const checked = checkJson(item, `${path}[${i}]`, depth + 1);
    if (checked !== item && copy === undefined) copy = array.slice(0, i);
    if (copy !== undefined) copy.push(checked);
  }
  return copy === undefined ? array : copy;
}

function checkObject(object, path, depth) {
  const proto = Object.getPrototypeOf(object);
  if (proto !== Object.prototype && proto !== null) {
    const what = (object.constructor && object.constructor.name) || 'object';
    throw invalidArgument(`a ${what} is not JSON-shaped: use a plain object, an array or a value with toJSON (at ${path})`);
  }
  let copy;
  for (const key of Object.keys(object)) {
    const item = object[key];
    const checked = checkJson(item, `${path}.${key}`, depth + 1);
    if (checked !== item && copy === undefined) copy = { ...object };
    if (copy !== undefined) copy[key] = checked;
  }
  return copy === undefined ? object : copy;
}

/** The positional arguments as JSON text (an array); InvalidArgument if not JSON-shaped. */
function argsJson(args) {
  if (!Array.isArray(args)) throw invalidArgument(`args must be an array, got ${describe(args)}`);
  // The common case, an array of strings and small numbers, is checked inline.
  for (let i = 0; i < args.length; i++) {
    const item = args[i];
    if (typeof item === 'string' || (typeof item === 'number' && Number.isSafeInteger(item))) continue;
    return JSON.stringify(checkArray(args, 'args', 0));
  }
  return JSON.stringify(args);
}

/** Keyword arguments as JSON text (an object), or '' when there are none. */
function kwargsJson(kwargs) {
  if (kwargs === undefined || kwargs === null) return '';
  if (typeof kwargs !== 'object' || Array.isArray(kwargs)) throw invalidArgument(`kwargs must be a plain object, got ${describe(kwargs)}`);
  const checked = checkObject(kwargs, 'kwargs', 0);
  for (const key in checked) {
    if (checked[key] !== undefined) return JSON.stringify(checked);
  }
  return '';
}

/** Any JSON-shaped value as JSON text ('null' for undefined). */
function jsonText(value, path = 'value') {
  const text = JSON.stringify(checkJson(value, path));
  return text === undefined ? 'null' : text;
}

function describe(value) {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

/** Encode one (checked) JS value as a google.protobuf.Value object. */
function valueOf(value) {
  switch (typeof value) {
    case 'boolean':
      return { boolValue: value };
    case 'number':
      return { numberValue: value };
    case 'string':
      return { stringValue: value };
    case 'object':
      if (value === null) return { nullValue: 'NULL_VALUE' };
      return Array.isArray(value) ? { listValue: { values: value.map(valueOf) } } : { structValue: structOf(value) };
    default: // undefined, in an array or at the top level
      return { nullValue: 'NULL_VALUE' };
  }
}

function structOf(object) {
  const fields = {};
  for (const key of Object.keys(object)) {
    if (object[key] !== undefined) fields[key] = valueOf(object[key]);
  }
  return { fields };
}

/** Encode one JS value as a google.protobuf.Value object; InvalidArgument if not JSON-shaped. */
function toValue(value, path = 'value') {
  return valueOf(checkJson(value, path));
}

/** Encode an array as a google.protobuf.ListValue object. */
function toListValue(array, path = 'args') {
  if (!Array.isArray(array)) throw invalidArgument(`${path} must be an array, got ${describe(array)}`);
  return { values: checkArray(array, path, 0).map(valueOf) };
}

/** Encode a plain object as a google.protobuf.Struct object. */
function toStruct(object, path = 'kwargs') {
  if (object === null || typeof object !== 'object' || Array.isArray(object)) {
    throw invalidArgument(`${path} must be a plain object, got ${describe(object)}`);
  }
  return structOf(checkObject(object, path, 0));
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

module.exports = {
  checkJson,
  argsJson,
  kwargsJson,
  jsonText,
  toValue,
  toListValue,
  toStruct,
  fromValue,
  fromListValue,
  fromStruct,
  MAX_DEPTH,
};
