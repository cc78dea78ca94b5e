'use strict';
/**
 * Entries waiting to be written on one stream, grouped into frames (the JS twin of
 * actorgrpc/wire.py's FrameQueue). Both ends of the mailbox stream batch this way:
 * whatever queues while a frame is being written leaves together in the next one,
 * and a frame never holds more than `maxEntries` calls nor more than `maxBytes`
 * bytes. Calls may be coalesced (`pushCall`): consecutive calls of one action to
 * one actor without keyword arguments share one envelope (batch_args_json).
 */
const { CallBatch, encodeFrame } = require('./wire');

/** Bytes a batch adds around its parts at most: its entry's tag and lengths, id, tag. */
const BATCH_OVERHEAD = 24;

class Frame {
  constructor() {
    this.entries = [];
    this.size = 0;
    this.count = 0;
  }
}

class FrameQueue {
  constructor(maxBytes, maxEntries) {
    this.maxBytes = maxBytes;
    this.maxEntries = maxEntries;
    this.frames = [];
    /** The CallBatch the last frame ends with, while more calls may join it. */
    this.batch = null;
    /** Bytes of every frame waiting (bounds a sender that outruns the stream). */
    this.bytes = 0;
  }

  get length() {
    return this.frames.length;
  }

  /** The frame an entry of `size` bytes goes into (a new one when the last is full). */
  _frameFor(size) {
    const frames = this.frames;
    let frame = frames[frames.length - 1];
    if (frame === undefined || frame.count >= this.maxEntries || frame.size + size > this.maxBytes) {
      frame = new Frame();
      frames.push(frame);
      this.batch = null;
    }
    frame.size += size;
    frame.count += 1;
    this.bytes += size;
    return frame;
  }

  /** Queues an encodable entry (an Envelope or a Reply); the number of frames waiting. */
  push(entry) {
    this.batch = null; // later calls must not overtake this entry
    this._frameFor(entry.size).entries.push(entry);
    return this.frames.length;
  }

  /**
   * Queues a call whose arguments are the JSON array `part` (`partBytes` bytes of
   * UTF-8): it joins the batch the last frame ends with when that has the same
   * `suffix` (same target, action, tell, timeout) and, for an ask, `id` follows
   * its last id; else it starts a batch. The number of frames waiting.
   */
  pushCall(id, suffix, part, partBytes) {
    const batch = this.batch;
    const frame = this.frames[this.frames.length - 1];
    const size = partBytes + 1;
    if (batch !== null && batch.suffix === suffix && frame.count < this.maxEntries
        && frame.size + size <= this.maxBytes && (id === 0 || batch.id + batch.count === id)) {
      batch.add(part, partBytes);
      frame.size += size;
      frame.count += 1;
      this.bytes += size;
    } else {
      const created = new CallBatch(id, suffix, part, partBytes);
      this._frameFor(size + suffix.length + BATCH_OVERHEAD).entries.push(created);
      this.batch = created;
    }
    return this.frames.length;
  }

  /** The oldest frame, as the bytes of one StreamRequest (or StreamResponse). */
  pop() {
    const frame = this.frames.shift();
    this.bytes -= frame.size;
    if (this.frames.length === 0) {
      this.batch = null;
      this.bytes = 0;
    }
    return encodeFrame(frame.entries);
  }

  clear() {
    this.frames = [];
    this.batch = null;
    this.bytes = 0;
  }
}

module.exports = { FrameQueue, BATCH_OVERHEAD };
