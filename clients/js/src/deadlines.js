'use strict';
/**
 * The deadlines of the calls pending on one stream. Calls with the same timeout
 * expire in the order they were made, so one queue and one timer serve them all
 * (a timer per call would cost more than the rest of a call); a call whose
 * deadline comes before the newest one queued gets a timer of its own.
 */
const { performance } = require('node:perf_hooks');

/** Answered ids at the head are dropped in place until this many, then the arrays are compacted. */
const COMPACT_AT = 4096;

class Deadlines {
  /** @param {(id: number) => void} expire called for every deadline that passes */
  constructor(expire) {
    this.expire = expire;
    this.ids = [];
    this.at = [];
    this.head = 0;
    this.timer = null;
    /** When the sweep timer fires (performance.now() ms). */
    this.timerAt = Infinity;
    this.own = new Set();
    this._sweep = this._sweep.bind(this);
  }

  /** Arms the deadline of call `id`, `ms` milliseconds from now. */
  add(id, ms) {
    const at = performance.now() + ms;
    const last = this.at.length > this.head ? this.at[this.at.length - 1] : -Infinity;
    if (at < last) {
      const timer = setTimeout(() => {
        this.own.delete(timer);
        this.expire(id);
      }, ms);
      this.own.add(timer);
      return;
    }
    this.ids.push(id);
    this.at.push(at);
    // The timer may still be armed for a later deadline of calls already answered.
    if (this.timer === null || at < this.timerAt) this._arm(at, ms);
  }

  _arm(at, ms) {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(this._sweep, Math.max(1, Math.ceil(ms)));
  }

  /** Forgets answered calls at the head of the queue (`pending(id)` false), so the queue stays small. */
  dropAnswered(pending) {
    const ids = this.ids;
    let head = this.head;
    while (head < ids.length && !pending(ids[head])) head += 1;
    this.head = head;
    if (head === ids.length) {
      this.ids = [];
      this.at = [];
      this.head = 0;
    } else if (head >= COMPACT_AT) {
      this.ids = ids.slice(head);
      this.at = this.at.slice(head);
      this.head = 0;
    }
  }

  _sweep() {
    this.timer = null;
    const now = performance.now();
    // (this.ids, not a local: an expiry may clear the queue)
    while (this.head < this.ids.length && this.at[this.head] <= now) {
      const id = this.ids[this.head];
      this.head += 1;
      this.expire(id);
    }
    if (this.head < this.ids.length) {
      this._arm(this.at[this.head], this.at[this.head] - now);
    } else {
      this.timerAt = Infinity;
      this.ids = [];
      this.at = [];
      this.head = 0;
    }
  }

  /** Disarms everything (the stream is over; its calls have failed). */
  clear() {
    if (this.timer !== null) clearTimeout(this.timer);
    for (const timer of this.own) clearTimeout(timer);
    this.own.clear();
    this.timer = null;
    this.timerAt = Infinity;
    this.ids = [];
    this.at = [];
    this.head = 0;
  }
}

module.exports = { Deadlines };
