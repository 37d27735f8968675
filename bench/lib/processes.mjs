/**
 * Starting, pinning and stopping the processes of a run. Everything is a direct child of the
 * harness and is stopped by pid (orphans are not reaped on some machines). Pinning prefixes the
 * command with `taskset -c CPUS`, which execs, so the child's pid is the pinned process itself.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, openSync } from 'node:fs';
import net from 'node:net';
import { listProcessTree } from './proc-stats.mjs';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A port that was free a moment ago on 127.0.0.1 (for peers that cannot listen on port 0). */
export function findFreePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Resolves once 127.0.0.1:port accepts TCP connections; rejects if `child` exits first. */
export async function waitForPort(port, child, timeoutMs = 30_000) {
  const start = performance.now();
  while (performance.now() - start < timeoutMs) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `${child.label} exited (${child.exitCode ?? child.signalCode}) before listening`,
      );
    }
    const open = await new Promise((resolve) => {
      const socket = net.connect({ host: '127.0.0.1', port }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (open) return;
    await sleep(100);
  }
  throw new Error(`${child.label} did not listen on ${port} within ${timeoutMs} ms`);
}

/** Resolves with the first match of `pattern` in the child's stderr. */
export function waitForStderr(child, pattern, timeoutMs = 30_000) {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(
      () => fail(new Error(`${child.label}: no ${pattern} on stderr`)),
      timeoutMs,
    );
    const onData = (chunk) => {
      text += chunk;
      const match = pattern.exec(text);
      if (match) done(() => resolve(match));
    };
    const onExit = (code) =>
      fail(new Error(`${child.label} exited (${code}):\n${text.slice(-800)}`));
    const done = (then) => {
      clearTimeout(timer);
      child.stderr.off('data', onData);
      child.off('exit', onExit);
      then();
    };
    const fail = (error) => done(() => reject(error));
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', onData);
    child.once('exit', onExit);
  });
}

/**
 * Creates the registry of a run's processes.
 * @param {{ pin: boolean }} options without pinning, `cpus` arguments are ignored
 */
export function createProcessGroup({ pin }) {
  const children = new Set();
  const pinned = (argv, cpus) => (pin && cpus ? ['taskset', '-c', cpus, ...argv] : argv);

  /**
   * Starts a long-running process. `stdout` is a file path (appended to), 'pipe' or 'ignore';
   * stderr is piped (and copied to `stderrLog` when given). `ipc` adds a message channel. `env`
   * adds to the harness's own environment.
   */
  function start(label, argv, { cpus, stdout = 'ignore', stderrLog, ipc = false, env = {} } = {}) {
    const full = pinned(argv, cpus);
    const out = stdout === 'pipe' || stdout === 'ignore' ? stdout : openSync(stdout, 'a');
    const stdio = ['ignore', out, 'pipe', ...(ipc ? ['ipc'] : [])];
    const child = spawn(full[0], full.slice(1), { stdio, env: { ...process.env, ...env } });
    child.label = label;
    child.stderrTail = '';
    child.stderr.on('data', (chunk) => {
      child.stderrTail = (child.stderrTail + chunk).slice(-4000);
    });
    if (stderrLog) child.stderr.pipe(createWriteStream(stderrLog));
    children.add(child);
    child.once('exit', () => children.delete(child));
    return child;
  }

  /** Runs a command to completion; resolves with its exit code, output and wall time. */
  function run(argv, { cpus, timeoutMs = 60_000 } = {}) {
    const full = pinned(argv, cpus);
    return new Promise((resolve) => {
      const started = performance.now();
      const child = spawn(full[0], full.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
      children.add(child);
      let stdout = '';
      let stderr = '';
      let timedOut = false;
      child.stdout.on('data', (chunk) => {
        if (stdout.length < 1e6) stdout += chunk;
      });
      child.stderr.on('data', (chunk) => {
        if (stderr.length < 1e6) stderr += chunk;
      });
      const timer = setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, timeoutMs);
      child.on('close', (code) => {
        clearTimeout(timer);
        children.delete(child);
        resolve({ code, stdout, stderr, timedOut, ms: performance.now() - started });
      });
    });
  }

  /** SIGTERM to `child` and its descendants, SIGKILL after `graceMs`; resolves once it exited. */
  async function stop(child, graceMs = 5000) {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const pids = listProcessTree(child.pid);
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // Already gone.
      }
    }
    const killed = await Promise.race([exited.then(() => false), sleep(graceMs).then(() => true)]);
    if (!killed) return;
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    await exited;
  }

  return {
    start,
    run,
    stop,
    stopAll: () => Promise.all([...children].map((child) => stop(child))),
  };
}
