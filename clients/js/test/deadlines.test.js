'use strict';
// The deadline queue (deadlines.js): one timer for calls made in order, timers of
// their own for shorter ones, and a timer that never waits past the next deadline.
const test = require('node:test');
const assert = require('node:assert/strict');
const { performance } = require('node:perf_hooks');
const { Deadlines } = require('../src/deadlines');
const { waitFor } = require('../support/arbiter');

test('every deadline fires, in time, whatever was armed before it', async () => {
  const expired = new Map();
  const pending = new Set([1, 2, 3, 4]);
  const started = performance.now();
  const deadlines = new Deadlines((id) => expired.set(id, performance.now() - started));
  deadlines.add(1, 60_000); // answered at once: its deadline must not hold the timer
  pending.delete(1);
  deadlines.dropAnswered((id) => pending.has(id));
  deadlines.add(2, 50);
  deadlines.add(3, 100);
  deadlines.add(4, 30); // shorter than the newest queued: a timer of its own
  try {
    // 5 s: the deadlines are 30-100 ms; the margin is for a loaded machine.
    await waitFor(() => expired.size === 3, { timeoutMs: 5_000, what: `deadlines, fired ${[...expired.keys()]}` });
    assert.deepStrictEqual([...expired.keys()].sort(), [2, 3, 4]);
    // None fires early (a timer may be late, never early; 1 ms of rounding).
    assert.ok(expired.get(2) >= 49 && expired.get(3) >= 99 && expired.get(4) >= 29, JSON.stringify([...expired]));
    // Nor anywhere near the 60 s one that was armed first.
    assert.ok(expired.get(3) < 5_000);
  } finally {
    deadlines.clear();
  }
});
