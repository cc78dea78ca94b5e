#!/usr/bin/env node
'use strict';
// An actor for the SDK's tests: the demo's commands are not enough to see an
// actor's own calls (relay) or a start that fails (extra.fail_start).
const { Actor } = require('../src/actor');

new Actor()
  .onStart((actor) => {
    if (actor.extra.fail_start) throw new RangeError(String(actor.extra.fail_start));
  })
  // Send `action` to `target` through this actor's own client (its credential).
  .command('relay', (actor, target, action, args = []) => actor.client().send(target, action, args), { params: ['target', 'action', 'args'] })
  // A result JSON cannot carry, and one too large for a message.
  .command('not_json', () => () => 1)
  .command('huge', (actor, bytes) => 'x'.repeat(bytes), { params: ['bytes'] })
  .command('add', (actor, a, b) => a + b, { params: ['a', 'b'] })
  .command('wait', (actor, ms) => new Promise((resolve) => setTimeout(resolve, ms, ms)), { params: ['ms'] })
  .run();
