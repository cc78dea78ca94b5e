'use strict';
/**
 * An actor written in Node.js, run by an actorgrpc arbiter as an EXEC actor
 * (docs/actor-protocol.md §3):
 *
 *   const { Actor } = require('actorgrpc/actor');
 *   const actor = new Actor();
 *   actor.command('add', (actor, a, b) => a + b);
 *   actor.command('greet', (actor, name = 'world') => `hello ${name}`, { params: ['name'] });
 *   await actor.run();   // serves until stopped, then exits the process
 *
 * run() reads ActorBoot from $ACTORGRPC_BOOT_FD, serves MailboxService (Stream
 * and Call, with the token check and TLS the boot asks for, and grpc.health.v1),
 * says hello to its monitor with its secret and first beat, beats every interval
 * with its load, and stops on a StopOrder, on SIGTERM or on the `stop` command
 * (exit 0). It exits 4 when the heartbeat stream breaks or stdin ends (its arbiter
 * is gone), and 3, after telling its monitor why, when it cannot start.
 */
const grpc = require('@grpc/grpc-js');
const { readBoot } = require('./boot');
const { Command, standardCommands } = require('./commands');
const { Mailbox } = require('./mailbox');
const { TokenCheck } = require('./auth');
const { Heartbeat, LoadMeter } = require('./heartbeat');
const { failureOf } = require('./failures');
const { enums } = require('../enums');
const errors = require('../errors');

/** Exit code of an actor that could not start (as Python's). */
const EXIT_START_FAILED = 3;
/** Exit code of an actor whose monitor is gone (as Python's). */
const EXIT_MONITOR_LOST = 4;
/** Seconds the monitor has to welcome a new actor. */
const WELCOME_TIMEOUT_SECONDS = 10;
/** Seconds running commands get to finish on a stop without its own timeout (SIGTERM, `stop`). */
const DEFAULT_STOP_TIMEOUT_SECONDS = 5;
/** Milliseconds replies in flight (the answer to `stop` itself) get to leave before the server closes. */
const SERVER_GRACE_MS = 500;
/** pulsar's numbers for the states `info` reports (wire number - 1). */
const PULSAR_STATE = { initial: 0, inactive: 1, starting: 2, running: 3, stopping: 4, closed: 5, terminated: 6 };

class Actor {
  constructor() {
    /** name -> Command; the standard ones first (a program may replace them). */
    this.commands = new Map(standardCommands().map((command) => [command.name, command]));
    this.aid = '';
    this.name = '';
    this.monitor = '';
    this.address = '';
    /** Free for the program's own data; shown by `info`. */
    this.extra = {};
    /** Short state name: 'initial', 'starting', 'running', 'stopping', 'closed'. */
    this.state = 'initial';
    this.startedAt = 0;
    this.processed = 0;
    this.processedByAction = {};
    this.mailboxDepth = 0;
    /** Commands under way for callers (they fail with UNAVAILABLE if the actor stops first). */
    this.running = new Set();
    /** Open mailbox streams. */
    this.streams = new Set();
    this._controller = new AbortController();
    /** Aborted when the actor starts stopping: pass it to timers and I/O of long commands. */
    this.stopSignal = this._controller.signal;
    this._startHook = null;
    this._stopHook = null;
    this._stopping = null;
    this._client = null;
    this._boot = null;
  }

  /**
   * Registers command `name`: `fn(actor, ...args)`, sync or async; what it returns
   * (JSON-shaped) is the result, what it throws the caller's error ("Type: text",
   * the error's name as the remote type; an ActorError keeps its code).
   * @param {{params?: string[], rest?: boolean, ack?: boolean}} [options] `params`:
   *   names of the positional parameters (needed for keyword arguments); `rest`:
   *   any number of positional arguments; `ack: false`: fire and forget.
   */
  command(name, fn, options = {}) {
    this.commands.set(name, new Command(name, fn, options));
    return this;
  }

  /** `fn(actor)` runs before the actor reports RUNNING; if it throws, the spawn fails with that. */
  onStart(fn) {
    this._startHook = fn;
    return this;
  }

  /** `fn(actor)` runs when the actor stops (bounded by the stop's timeout). */
  onStop(fn) {
    this._stopHook = fn;
    return this;
  }

  /** The sorted names of the commands this actor answers. */
  commandNames() {
    return [...this.commands.keys()].sort();
  }

  /** True while the mailbox hosts this actor (until it has stopped). */
  get hosting() {
    return this.state !== 'closed' && this.state !== 'terminated';
  }

  counted(action) {
    this.processedByAction[action] = (this.processedByAction[action] || 0) + 1;
  }

  /** Runs a fire-and-forget command's promise; its failure is logged. */
  background(promise, action) {
    this.mailboxDepth += 1;
    Promise.resolve(promise).then(() => {}, (err) => this.logCommandError(action, err)).finally(() => {
      this.mailboxDepth -= 1;
    });
  }

  logCommandError(action, err) {
    const { message } = failureOf(err);
    process.stderr.write(`${new Date().toISOString()} WARNING ${this.name}(${this.aid}): ${action} failed: ${message}\n`);
  }

  /** The info dictionary: actor, events, extra, system (as Python's actors answer). */
  info() {
    const now = Date.now();
    const memory = process.memoryUsage();
    const cpu = process.cpuUsage();
    return {
      actor: {
        name: this.name,
        aid: this.aid,
        kind: 'exec',
        state: PULSAR_STATE[this.state] ?? 0,
        state_description: this.state,
        address: this.address,
        monitor: this.monitor,
        uptime: this.startedAt ? Math.round(now - this.startedAt) / 1000 : 0,
        process_id: process.pid,
        is_process: true,
        runtime: `node ${process.version}`,
      },
      events: {
        processed: this.processed,
        processed_by_action: { ...this.processedByAction },
        mailbox_depth: this.mailboxDepth,
        streams: this.streams.size,
      },
      extra: jsonable(this.extra, 0),
      system: {
        process_id: process.pid,
        memory_rss: memory.rss,
        memory_heap_used: memory.heapUsed,
        cpu_user_seconds: cpu.user / 1e6,
        cpu_system_seconds: cpu.system / 1e6,
        node_version: process.version,
      },
    };
  }

  /**
   * A client of the arbiter with this actor's credential and TLS settings, to
   * spawn and to send to other actors (made on first use, closed at the end).
   */
  client() {
    if (!this._boot) throw new Error('the actor is not running yet');
    if (!this._client) {
      const { Client } = require('../client');
      const tls = this._boot.tls;
      this._client = new Client(this._boot.monitorAddress, {
        token: this._boot.credential,
        ...(tls ? { tls: clientTls(tls) } : {}),
        maxMessageBytes: this._boot.maxMessageBytes,
      });
    }
    return this._client;
  }

  /** Stops soon (after the current message is answered), as a StopOrder would. */
  stopSoon(reason = '') {
    setImmediate(() => {
      this.stop({ reason }).catch((err) => process.stderr.write(`stop failed: ${err.stack}\n`));
    });
  }

  /**
   * Serves as the actor of $ACTORGRPC_BOOT_FD until it stops; then exits the
   * process with the code (or, with `{exit: false}`, resolves to it).
   */
  async run({ exit = true } = {}) {
    const code = await this._life();
    if (exit) process.exit(code);
    return code;
  }

  async _life() {
    let boot;
    try {
      boot = readBoot();
    } catch (err) {
      process.stderr.write(`actor: cannot start: ${err.message}\n`);
      return EXIT_START_FAILED;
    }
    this._boot = boot;
    this.aid = boot.aid;
    this.name = boot.name;
    this.monitor = boot.monitor;
    this.extra = boot.extra;
    this.state = 'starting';
    const done = new Promise((resolve) => {
      this._finish = resolve;
    });
    // The arbiter coordinates shutdown: a terminal's Ctrl-C is not for actors.
    process.on('SIGINT', () => {});
    process.on('SIGTERM', () => this.stopSoon('SIGTERM'));
    watchStdin(() => this._exitNow(EXIT_MONITOR_LOST, 'stdin ended: the arbiter is gone'));

    this.load = new LoadMeter();
    const security = clientSecurity(boot.tls);
    this.heartbeat = new Heartbeat(boot, security, {
      onWelcome: (interval) => this._welcomed(interval),
      onStop: (order) => this.stop(order).catch((err) => process.stderr.write(`stop failed: ${err.stack}\n`)),
      onLost: (why) => this._exitNow(EXIT_MONITOR_LOST, `lost the stream to its monitor (${why})`),
    });
    this._welcomeTimer = setTimeout(() => this._exitNow(EXIT_MONITOR_LOST, `not welcomed by its monitor within ${WELCOME_TIMEOUT_SECONDS} s`), WELCOME_TIMEOUT_SECONDS * 1000);

    try {
      await this._serve(boot);
    } catch (err) {
      // The failure may only follow a hello (the monitor's rule): one without an address.
      this.heartbeat.hello('', null);
      return this._failStart(err);
    }
    if (this._startHook === null) {
      this._running();
      this.heartbeat.hello(this.address, this._beat());
    } else {
      this.heartbeat.hello(this.address, null);
      try {
        await this._startHook(this);
      } catch (err) {
        return this._failStart(err);
      }
      this._running();
      this.heartbeat.beat(this._beat());
    }
    return done;
  }

  _running() {
    this.state = 'running';
    this.startedAt = Date.now();
  }

  /** Binds and starts the mailbox server; sets `address`. */
  async _serve(boot) {
    this.mailbox = new Mailbox(this, boot.maxMessageBytes);
    this.server = new grpc.Server({
      'grpc.max_receive_message_length': boot.maxMessageBytes,
      'grpc.max_send_message_length': boot.maxMessageBytes,
    });
    const { definition, handlers } = this.mailbox.service(new TokenCheck(boot.acceptedTokens));
    this.server.addService(definition, handlers);
    const { HealthImplementation } = require('grpc-health-check'); // loads its proto: only actors need it
    this.health = new HealthImplementation({ '': 'SERVING', 'actorgrpc.v1.MailboxService': 'SERVING' });
    this.health.addToServer(this.server);
    const port = await new Promise((resolve, reject) => {
      this.server.bindAsync(`${boot.mailboxHost}:0`, serverCredentials(boot.tls), (err, bound) => (err ? reject(err) : resolve(bound)));
    });
    this.address = `${boot.mailboxHost}:${port}`;
  }

  /** Tells the monitor (after the hello) why the actor cannot start; resolves to exit code 3. */
  _failStart(err) {
    const { code, message, type } = failureOf(err);
    process.stderr.write(`${new Date().toISOString()} ERROR ${this.name}(${this.aid}): failed to start: ${message}\n`);
    this.state = 'terminated';
    this.heartbeat.fail({ code, message, type });
    this.heartbeat.close(null);
    if (this.server) this.server.forceShutdown();
    return new Promise((resolve) => {
      // The failure must reach the monitor before the exit; the stream's end (or a
      // short grace, if the monitor is slow) says it has.
      const timer = setTimeout(() => resolve(EXIT_START_FAILED), 2000);
      this.heartbeat.call.on('status', () => {
        clearTimeout(timer);
        resolve(EXIT_START_FAILED);
      });
    });
  }

  _welcomed(interval) {
    clearTimeout(this._welcomeTimer);
    this._beater = setInterval(() => this.heartbeat.beat(this._beat()), interval * 1000);
  }

  _beat() {
    const load = this.load.sample();
    return {
      state: enums().state.toWire(this.state, 'state'),
      memoryRssBytes: load.memoryRssBytes,
      cpuPercent: load.cpuPercent,
      mailboxDepth: this.mailboxDepth,
      processed: this.processed,
      processedByAction: this.processedByAction,
    };
  }

  /**
   * Stops gracefully: STOPPING (one beat), the onStop hook, running commands get
   * `timeoutSeconds` to finish (then fail with UNAVAILABLE), the heartbeat stream
   * closes, the server stops, and the process exits 0. Every call waits for the
   * same stop.
   */
  stop({ reason = '', timeoutSeconds = 0 } = {}) {
    if (!this._stopping) this._stopping = this._stop(reason, timeoutSeconds || DEFAULT_STOP_TIMEOUT_SECONDS);
    return this._stopping;
  }

  async _stop(reason, timeoutSeconds) {
    if (!this._finish) return; // not running: nothing to stop
    process.stderr.write(`${new Date().toISOString()} INFO ${this.name}(${this.aid}): stopping (${reason || 'stop'})\n`);
    this.state = 'stopping';
    this._controller.abort();
    clearInterval(this._beater);
    this.heartbeat.beat(this._beat());
    const deadline = Date.now() + timeoutSeconds * 1000;
    if (this._stopHook) {
      await withTimeout(Promise.resolve().then(() => this._stopHook(this)), timeoutSeconds * 1000)
        .catch((err) => this.logCommandError('onStop', err));
    }
    await this._settled(deadline);
    for (const entry of [...this.running]) {
      entry.fail(errors.localError(errors.ActorUnavailable, `actor '${this.name}' stopped while handling a command`));
    }
    this.state = 'closed';
    // Each stream ends once its last replies are written: clients hear a clean end.
    for (const session of [...this.streams]) session.finish();
    this.heartbeat.close(this._beat());
    await new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, SERVER_GRACE_MS);
      this.server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    if (this._client) this._client.close();
    this._finish(0);
  }

  /** Resolves when no command runs, or at `deadline` (ms since the epoch). */
  _settled(deadline) {
    return new Promise((resolve) => {
      const check = () => {
        if (this.running.size === 0 || Date.now() >= deadline) resolve();
        // Polled: commands are user code with no completion event of their own
        // beyond their promise; 10 ms is far below any stop timeout.
        else setTimeout(check, 10);
      };
      check();
    });
  }

  _exitNow(code, why) {
    process.stderr.write(`${new Date().toISOString()} WARNING ${this.name}(${this.aid}): ${why}; exiting\n`);
    process.exit(code);
  }
}

/** The mailbox server's credentials: TLS with the arbiter's certificate, client certificates under mTLS. */
function serverCredentials(tls) {
  if (!tls || !tls.certFile) return grpc.ServerCredentials.createInsecure();
  const fs = require('node:fs');
  const pair = { cert_chain: fs.readFileSync(tls.certFile), private_key: fs.readFileSync(tls.keyFile) };
  const clientCa = tls.clientCaFile ? fs.readFileSync(tls.clientCaFile) : null;
  return grpc.ServerCredentials.createSsl(clientCa, [pair], Boolean(clientCa));
}

/** TLS for this actor's own calls: the CA, and the certificate under mTLS. */
function clientTls(tls) {
  const options = { ca: tls.caFile || tls.certFile };
  if (tls.clientCaFile) {
    options.cert = tls.certFile;
    options.key = tls.keyFile;
  }
  if (tls.serverName) options.serverName = tls.serverName;
  return options;
}

function clientSecurity(tls) {
  const { channelSecurity } = require('../credentials');
  return channelSecurity(tls && tls.certFile ? clientTls(tls) : undefined);
}

/** Calls `onEnd` when stdin reaches its end (the arbiter holds the pipe's other end). */
function watchStdin(onEnd) {
  process.stdin.on('end', onEnd);
  process.stdin.on('error', onEnd);
  process.stdin.resume();
}

/** A copy of `value` where what is not JSON-shaped is its String() (info never fails on extra). */
function jsonable(value, depth) {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (depth > 50 || typeof value !== 'object') return String(value);
  if (Array.isArray(value)) return value.map((item) => jsonable(item, depth + 1));
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return String(value);
  const copy = {};
  for (const key of Object.keys(value)) if (value[key] !== undefined) copy[key] = jsonable(value[key], depth + 1);
  return copy;
}

function withTimeout(promise, ms) {
  let timer;
  return Promise.race([promise, new Promise((resolve) => {
    timer = setTimeout(resolve, ms);
  })]).finally(() => clearTimeout(timer));
}

module.exports = { Actor, EXIT_START_FAILED, EXIT_MONITOR_LOST };
