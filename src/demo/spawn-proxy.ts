/**
 * Runs the grpctap CLI as a child process for the demo. Its stdout (the live tail) goes straight
 * to the demo's stdout; its stderr is copied to the demo's stderr while it is scanned for the
 * `listening on HOST:PORT` line, which tells the demo the port chosen.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The CLI entry point next to this module in the build output (`dist/src/cli/main.js`). */
const CLI_PATH = fileURLToPath(new URL('../cli/main.js', import.meta.url));

/** How long the proxy may take to create its CA and start listening, in milliseconds. */
const START_TIMEOUT_MS = 20_000;

export interface DemoProxy {
  /** `http://127.0.0.1:PORT`, for `grpc_proxy`. */
  readonly url: string;
  /** Sends SIGTERM (the proxy flushes its records) and resolves with the exit code. */
  stop(): Promise<number | null>;
}

export interface SpawnProxyOptions {
  readonly certsDir: string;
  /** CA files the proxy trusts for upstream TLS. */
  readonly upstreamCa: readonly string[];
  /** Further CLI arguments (e.g. `--proto FILE`). */
  readonly args?: readonly string[];
}

function waitForExit(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve(child.exitCode);
  }
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/**
 * Starts the proxy on 127.0.0.1 with a port chosen by the system and resolves once it listens.
 *
 * @throws Error when the proxy exits or stays silent for 20 s before listening.
 */
export async function spawnProxy(options: SpawnProxyOptions): Promise<DemoProxy> {
  const args = [
    CLI_PATH,
    '--listen',
    '127.0.0.1:0',
    '--certs-dir',
    options.certsDir,
    ...options.upstreamCa.flatMap((file) => ['--upstream-ca', file]),
    // The demo's calls are not worth keeping in a store in the working directory.
    ...(options.args?.includes('--store') ? [] : ['--store', 'none']),
    ...(options.args ?? []),
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'inherit', 'pipe'] });
  const exited = waitForExit(child);
  let seen: string | null = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      reject(new Error('the proxy did not start listening within 20 s'));
    }, START_TIMEOUT_MS);
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      process.stderr.write(chunk);
      if (seen === null) return;
      seen += chunk;
      const match = /listening on \S+:(\d+)/.exec(seen);
      if (match) {
        clearTimeout(timer);
        seen = null;
        resolve(Number(match[1]));
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the proxy exited with code ${code} before listening`));
    });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}
