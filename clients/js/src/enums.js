'use strict';
/**
 * The v1 enums by their short names, converted here and only here.
 *
 * Every name a user sees or gives is the enum value's name without its prefix, in
 * lower case, as Python's CLI shows them: ACTOR_STATE_RUNNING is "running",
 * ACTOR_KIND_PROCESS "process", RESTART_TYPE_PERMANENT "permanent"; the zero value
 * is "unspecified" (shown, never accepted). The tables come from the .proto files.
 */
const { enumValues } = require('./proto');

class Enum {
  /**
   * @param {string} name the enum's name in actorgrpc.v1 (ActorState, ...)
   * @param {string} prefix what every value name starts with (ACTOR_STATE_)
   */
  constructor(name, prefix) {
    this.name = name;
    /** short name -> wire name (for proto-loader objects) and number */
    this.byShort = new Map();
    /** wire name and number -> short name */
    this.toShort = new Map();
    for (const [wireName, number] of enumValues(name)) {
      const short = wireName.startsWith(prefix) ? wireName.slice(prefix.length).toLowerCase() : wireName;
      this.byShort.set(short, { wireName, number });
      this.toShort.set(wireName, short);
      this.toShort.set(number, short);
    }
  }

  /** The short names a caller may give (every value but the zero one). */
  names() {
    return [...this.byShort].filter(([, value]) => value.number !== 0).map(([short]) => short);
  }

  /** The short name of a wire value (its name as proto-loader decodes it, or its number). */
  fromWire(value) {
    if (value === undefined || value === null || value === '') return 'unspecified';
    const short = this.toShort.get(value);
    return short === undefined ? `unknown(${value})` : short;
  }

  /**
   * The wire name of a short name a caller gave; a TypeError names the choices.
   * (callers turn it into INVALID_ARGUMENT, see client.js)
   */
  toWire(short, what) {
    const value = typeof short === 'string' ? this.byShort.get(short) : undefined;
    if (value === undefined || value.number === 0) {
      throw new TypeError(`bad ${what} ${JSON.stringify(short)}: expected one of ${this.names().join(', ')}`);
    }
    return value.wireName;
  }

  /** The number of a short name (0 for "unspecified"). */
  number(short) {
    const value = this.byShort.get(short);
    return value === undefined ? 0 : value.number;
  }
}

let tables;

/** The enums of the contract: {state, kind, restart, event, role}. */
function enums() {
  if (!tables) {
    tables = {
      state: new Enum('ActorState', 'ACTOR_STATE_'),
      kind: new Enum('ActorKind', 'ACTOR_KIND_'),
      restart: new Enum('RestartType', 'RESTART_TYPE_'),
      event: new Enum('ActorEventType', 'ACTOR_EVENT_TYPE_'),
      role: new Enum('TokenRole', 'TOKEN_ROLE_'),
    };
  }
  return tables;
}

module.exports = { enums, Enum };
