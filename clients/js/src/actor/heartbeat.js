'use strict';
/**
 * The actor's side of MonitorService.Heartbeat (docs/actor-protocol.md §3): the
 * hello with its one-time secret (and, when it already runs, its first beat), the
 * welcome with the beat interval, beats, a failure at start, stop orders. The
 * stream carries the arbiter's internal credential (ActorBoot.credential).
 */
const grpc = require('@grpc/grpc-js');
const { performance } = require('node:perf_hooks');
const { loadV1 } = require('../proto');

/** What runs the actor, for operators: "node v20.20.2". */
const RUNTIME = `node ${process.version}`;

/** Resident memory and CPU percent of one core since the previous sample. */
class LoadMeter {
  constructor() {
    this.cpu = process.cpuUsage();
    this.at = performance.now();
  }

  sample() {
    const cpu = process.cpuUsage();
    const at = performance.now();
    const usedMicros = cpu.user - this.cpu.user + cpu.system - this.cpu.system;
    const wallMicros = (at - this.at) * 1000;
    this.cpu = cpu;
    this.at = at;
    return {
      memoryRssBytes: process.memoryUsage.rss(),
      cpuPercent: wallMicros > 0 ? Math.round((usedMicros / wallMicros) * 1000) / 10 : 0,
    };
  }
}

class Heartbeat {
  /**
   * @param {object} boot the ActorBoot (boot.js)
   * @param {{credentials: grpc.ChannelCredentials, channelOptions: object}} security
   * @param {{onWelcome: (interval: number) => void, onStop: (order: {reason: string, timeoutSeconds: number}) => void,
   *   onLost: (why: string) => void}} handlers
   */
  constructor(boot, security, handlers) {
    this.boot = boot;
    this.handlers = handlers;
    this.closing = false;
    const v1 = loadV1();
    this.stub = new v1.MonitorService(boot.monitorAddress, security.credentials, security.channelOptions);
    const metadata = new grpc.Metadata();
    metadata.set('authorization', `Bearer ${boot.credential}`);
    this.call = this.stub.Heartbeat(metadata);
    this.call.on('data', (response) => this._onResponse(response));
    this.call.on('error', (err) => this._lost(`${grpc.status[err.code] || err.code} ${err.details || err.message}`));
    this.call.on('end', () => this._lost('the monitor closed the stream'));
    this.welcomed = false;
  }

  /** The first message: who this actor is; with `beat` when it already runs. */
  hello(address, beat) {
    const boot = this.boot;
    this.call.write({
      hello: {
        aid: boot.aid,
        name: boot.name,
        pid: process.pid,
        address,
        kind: 'ACTOR_KIND_EXEC',
        secret: boot.secret,
        runtime: RUNTIME,
        ...(beat ? { beat } : {}),
      },
    });
  }

  beat(beat) {
    if (!this.closing) this.call.write({ beat });
  }

  /** The actor could not start: why (it exits after this). */
  fail(failure) {
    this.call.write({ failure });
  }

  /** Closes this side of the stream (after a last beat, when given). */
  close(beat) {
    if (beat) this.beat(beat);
    this.closing = true;
    this.call.end();
  }

  _onResponse(response) {
    if (response.message === 'welcome' || response.welcome) {
      this.welcomed = true;
      this.handlers.onWelcome(response.welcome.heartbeatIntervalSeconds || 1);
    } else if (response.message === 'stop' || response.stop) {
      this.handlers.onStop({ reason: response.stop.reason || '', timeoutSeconds: response.stop.timeoutSeconds || 0 });
    }
  }

  _lost(why) {
    if (!this.closing) this.handlers.onLost(why);
  }
}

module.exports = { Heartbeat, LoadMeter, RUNTIME };
