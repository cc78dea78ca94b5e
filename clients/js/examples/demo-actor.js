#!/usr/bin/env node
'use strict';
/**
 * The demo commands of actorgrpc/examples/demo.py, as a Node.js actor: the same
 * names, arguments and results, so that every conformance case can run against it.
 *
 *   actorgrpc serve --program js-demo="node clients/js/examples/demo-actor.js"
 *   actorgrpc spawn --kind exec --program js-demo --name w1      (or SpawnRequest
 *   {kind: ACTOR_KIND_EXEC, program: "js-demo"}), then send it add, greet, ...
 */
const { setTimeout: sleep } = require('node:timers/promises');
const { Actor } = require('actorgrpc/actor');

/** Python's ValueError, so that a failing command looks the same to every client. */
class ValueError extends Error {
  get name() {
    return 'ValueError';
  }
}

const actor = new Actor()
  // Return a + b.
  .command('add', (self, a, b) => a + b, { params: ['a', 'b'] })
  // A greeting that names the actor answering.
  .command('greet', (self, name = 'world', punctuation = '!') => `hello ${name}${punctuation} from ${self.name}`,
    { params: ['name', 'punctuation'] })
  // Throw ValueError(message): how a failing command looks to a client.
  .command('boom', (self, message = 'boom') => {
    throw new ValueError(message);
  }, { params: ['message'] })
  // Sleep without blocking the actor, then return seconds.
  .command('sleep', async (self, seconds) => {
    if (typeof seconds !== 'number' || !(seconds >= 0)) throw new ValueError(`bad seconds ${JSON.stringify(seconds)}`);
    await sleep(seconds * 1000, undefined, { signal: self.stopSignal });
    return seconds;
  }, { params: ['seconds'] })
  // Store value under key in extra; return the old value.
  .command('remember', (self, key, value) => {
    const old = Object.hasOwn(self.extra, key) ? self.extra[key] : null;
    self.extra[key] = value;
    return old;
  }, { params: ['key', 'value'] })
  // Fire and forget: add n to extra.count.
  .command('count', (self, n = 1) => {
    self.extra.count = (self.extra.count || 0) + n;
  }, { params: ['n'], ack: false });

actor.run();
