'use strict';
/**
 * An actor's commands: functions `fn(actor, ...args)` registered by name, how a
 * call's positional and keyword arguments bind to them, and the standard commands
 * every actor answers (ping, echo, info, stop, commands).
 *
 * JS functions have no named parameters, so keyword arguments need `params`, the
 * names of the positional parameters in order: `greet(actor, name, punctuation)`
 * registered with `params: ['name', 'punctuation']` takes `{name: 'js'}`. The
 * parameters before the first one with a default value (`fn.length - 1`) are
 * required; more positional arguments than `params` (or than the required ones,
 * without `params`) are refused unless `rest` is set. A call that does not fit is
 * INVALID_ARGUMENT, as in Python.
 */
const { invalidArgument } = require('../errors');

const NAME = /^[A-Za-z_][A-Za-z0-9_.:-]{0,127}$/;

class Command {
  /**
   * @param {string} name
   * @param {Function} fn called as fn(actor, ...args)
   * @param {{params?: string[], rest?: boolean, ack?: boolean}} [options]
   */
  constructor(name, fn, options = {}) {
    if (typeof name !== 'string' || !NAME.test(name)) throw new TypeError(`bad command name ${JSON.stringify(name)}`);
    if (typeof fn !== 'function') throw new TypeError(`command ${name}: expected a function`);
    const { params, rest = false, ack = true } = options;
    if (params !== undefined && !(Array.isArray(params) && params.every((p) => typeof p === 'string' && p))) {
      throw new TypeError(`command ${name}: params must be an array of parameter names`);
    }
    this.name = name;
    this.fn = fn;
    this.params = params || null;
    /** False: fire and forget; the caller is answered null at once and the command runs after. */
    this.ack = ack;
    this.required = Math.max(fn.length - 1, 0);
    this.max = rest ? Infinity : params ? Math.max(params.length, this.required) : this.required;
  }

  /** The positional values to call with; InvalidArgument when the call does not fit. */
  bind(args, kwargs) {
    const keys = kwargs ? Object.keys(kwargs) : [];
    if (keys.length === 0 && args.length >= this.required && args.length <= this.max) return args;
    const bad = (why) => invalidArgument(`bad arguments for command '${this.name}': ${why}`);
    if (args.length > this.max) throw bad(`takes at most ${this.max} positional argument(s) (${args.length} given)`);
    const values = args.slice();
    for (const key of keys) {
      const index = this.params ? this.params.indexOf(key) : -1;
      if (index < 0) throw bad(`got an unexpected keyword argument '${key}'`);
      if (index < args.length) throw bad(`got multiple values for argument '${key}'`);
      values[index] = kwargs[key];
    }
    for (let i = 0; i < this.required; i++) {
      if (!(i in values)) {
        const what = this.params && this.params[i] ? `'${this.params[i]}'` : `#${i + 1}`;
        throw bad(`missing required argument ${what}`);
      }
    }
    return Array.from(values); // holes become undefined: the function's defaults apply
  }
}

/** The standard commands of every actor (docs/actor-protocol.md §3). */
function standardCommands() {
  return [
    new Command('ping', () => 'pong'),
    new Command('echo', (actor, message = null) => message, { params: ['message'] }),
    new Command('info', (actor) => actor.info()),
    new Command('stop', (actor) => {
      actor.stopSoon('stop command');
      return null;
    }),
    new Command('commands', (actor) => actor.commandNames()),
  ];
}

module.exports = { Command, standardCommands };
