'use strict';
/**
 * Starts a real arbiter for tests, the conformance runner and the benchmark:
 *
 *   $ACTORGRPC_PYTHON -m actorgrpc serve --bind 127.0.0.1:0 -m actorgrpc.examples.demo
 *
 * from the repository root, and waits for its "actorgrpc serving on HOST:PORT"
 * line. With ACTORGRPC_ADDRESS set, uses that arbiter instead and starts nothing.
 */
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const readline = require('node:readline');

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
/** The arbiter must say it is serving within this; a cold Python + grpc import takes ~1 s. */
const READY_TIMEOUT_MS = 30_000;
/** SIGTERM gives the arbiter this long to stop its actors before SIGKILL. */
const STOP_GRACE_MS = 10_000;
const READY_LINE = /actorgrpc serving on (\S+)/;

function pythonPath() {
  return process.env.ACTORGRPC_PYTHON || path.join(REPO_ROOT, '.venv', 'bin', 'python');
}

/** Kills (SIGKILL) every arbiter still alive when this process exits, whatever happened. */
const live = new Set();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/**
 * Resolves to `{address, stop(), external}`. `stop()` resolves to the exit code
 * (or signal name) once the process is gone; it is a no-op for an external arbiter.
 * `args` are more `serve` options (--auth-token-file, --tls-cert, --program, ...):
 * an arbiter with them is always started here, never taken from ACTORGRPC_ADDRESS.
 */
async function startArbiter({ modules = ['actorgrpc.examples.demo'], args: extra = [] } = {}) {
  if (process.env.ACTORGRPC_ADDRESS && extra.length === 0) {
    return { address: process.env.ACTORGRPC_ADDRESS, external: true, stop: async () => null, output: () => '' };
  }
  const python = pythonPath();
  if (!fs.existsSync(python)) {
    // Fail loudly: a missing venv must not look like a passing run.
    throw new Error(`no Python at ${python}: create the repo's .venv (make install) or set ACTORGRPC_PYTHON / ACTORGRPC_ADDRESS`);
  }
  const args = ['-m', 'actorgrpc', 'serve', '--bind', '127.0.0.1:0', ...modules.flatMap((m) => ['-m', m]), ...extra];
  // The benchmark's commands (actorgrpc_bench.commands) live in the checkout's
  // bench/ folder, outside the installed package.
  const modulePath = [path.join(REPO_ROOT, 'bench'), process.env.PYTHONPATH].filter(Boolean).join(path.delimiter);
  const child = spawn(python, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PYTHONPATH: modulePath } });
  live.add(child);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  exited.then(() => live.delete(child));

  // Keep the last lines of output for error messages; draining both pipes also
  // keeps a chatty arbiter from blocking on a full pipe.
  const tail = [];
  const keep = (line) => {
    tail.push(line);
    if (tail.length > 50) tail.shift();
    if (process.env.ACTORGRPC_VERBOSE) process.stderr.write(`[arbiter] ${line}\n`);
  };
  readline.createInterface({ input: child.stderr }).on('line', keep);
  const stdout = readline.createInterface({ input: child.stdout });

  let timer;
  const address = await new Promise((resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`arbiter not ready after ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
    stdout.on('line', (line) => {
      keep(line);
      const match = READY_LINE.exec(line);
      if (match) resolve(match[1]);
    });
    child.once('error', reject);
    exited.then((code) => reject(new Error(`arbiter exited (${code}) before it was ready`)));
  }).catch(async (err) => {
    await stop();
    err.message += `\n${python} ${args.join(' ')}\n--- arbiter output ---\n${tail.join('\n')}`;
    throw err;
  }).finally(() => clearTimeout(timer));

  /**
   * Stops the arbiter and resolves to its exit code once it and every process it
   * started (actors, its fork server) are gone; rejects if one outlives it.
   */
  async function stop() {
    const started = descendants(child.pid);
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(killer);
    }
    // Its actors die with it (stop orders, then parent-death signals, stdin's end);
    // 10 s covers a stop's escalation to SIGKILL on a loaded machine.
    await waitFor(() => started.every((pid) => !pidAlive(pid)), {
      timeoutMs: 10_000,
      what: `the processes of the arbiter (${started.filter(pidAlive)}) to exit`,
    });
    return exited;
  }

  return { address, stop, external: false, pid: child.pid, output: () => tail.join('\n') };
}

/** Polls `check` (sync or async) until it returns a truthy value or `timeoutMs` passes. */
async function waitFor(check, { timeoutMs, intervalMs = 20, what = 'condition' }) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Every process below `pid` (children, theirs, ...), read from /proc; [] without /proc. */
function descendants(pid) {
  let entries;
  try {
    entries = fs.readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return [];
  }
  const children = new Map();
  for (const entry of entries) {
    try {
      // "pid (comm) S ppid ...": the parent follows the state, after the last ')'.
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  const found = [];
  const queue = [pid];
  while (queue.length) {
    for (const kid of children.get(queue.shift()) || []) {
      found.push(kid);
      queue.push(kid);
    }
  }
  return found;
}

/** True while a process with this pid runs; a zombie (exited, not yet reaped) counts as gone. */
function pidAlive(pid) {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return err.code === 'EPERM';
  }
  try {
    // /proc/PID/stat is "pid (comm) S ...": the state letter follows the last ')'.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no /proc (macOS): signal 0 succeeded, so it exists
  }
}

module.exports = { startArbiter, waitFor, pidAlive, descendants, REPO_ROOT };
