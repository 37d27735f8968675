import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI_MAIN } from './run-cli.js';

export interface ProxyProcess {
  readonly host: string;
  readonly port: number;
  /** `http://127.0.0.1:PORT`, for `grpc_proxy` / `https_proxy` / curl `--proxy`. */
  readonly url: string;
  readonly certsDir: string;
  readonly caPath: string;
  readonly child: ChildProcess;
  /** Every stdout line so far. */
  readonly lines: string[];
  /** stdout lines parsed as JSON (with `--output json`). */
  records(): Record<string, unknown>[];
  readonly stderr: () => string;
  /** Resolves once a record matches, or rejects after `timeoutMs`. */
  waitForRecord(
    predicate: (record: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>;
  /** Resolves once stderr contains `text`. */
  waitForStderr(text: string | RegExp, timeoutMs?: number): Promise<void>;
  /** SIGTERM; resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface StartProxyOptions {
  readonly args?: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  /** Reuse a certs dir (default: a fresh temp dir, removed on stop). */
  readonly certsDir?: string;
  /** False leaves stdout unread (a reader that stalls); `lines` then stays empty. Default true. */
  readonly readStdout?: boolean;
}

/** Runs the real CLI (`src/cli/main.js` of the same build as the tests) on 127.0.0.1:0 and waits for `listening on`. */
export async function startProxy(options: StartProxyOptions = {}): Promise<ProxyProcess> {
  const ownDir = options.certsDir === undefined;
  const certsDir = options.certsDir ?? (await mkdtemp(join(tmpdir(), 'grpctap-certs-')));
  const args = options.args ?? [];
  const child = spawn(
    process.execPath,
    [
      CLI_MAIN,
      '--listen',
      '127.0.0.1:0',
      '--certs-dir',
      certsDir,
      ...(args.includes('--output') ? [] : ['--output', 'json']),
      ...args,
    ],
    {
      // Tests keep no flow store unless they ask for one (`--store FILE`, which wins over this).
      env: { ...process.env, NO_COLOR: '1', GRPCTAP_STORE: 'none', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const lines: string[] = [];
  /** The pieces of a stdout line whose newline has not arrived (a record can be megabytes). */
  let partial: string[] = [];
  let stderr = '';
  const listeners = new Set<() => void>();
  const notify = (): void => {
    for (const listener of listeners) listener();
  };
  if (options.readStdout === false) child.stdout?.pause();
  else {
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      const parts = chunk.split('\n');
      const rest = parts.pop() ?? '';
      if (parts.length > 0) {
        parts[0] = partial.join('') + (parts[0] ?? '');
        partial = [];
        for (const line of parts) lines.push(line);
      }
      if (rest !== '') partial.push(rest);
      if (parts.length > 0) notify();
    });
  }
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    if (process.env.GRPCTAP_TEST_VERBOSE) process.stderr.write(chunk);
    notify();
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );

  const waitUntil = <T>(check: () => T | undefined, timeoutMs: number, what: string): Promise<T> =>
    new Promise((resolve, reject) => {
      const attempt = (): boolean => {
        const value = check();
        if (value === undefined) return false;
        listeners.delete(listener);
        clearTimeout(timer);
        resolve(value);
        return true;
      };
      const listener = (): void => {
        attempt();
      };
      const timer = setTimeout(() => {
        listeners.delete(listener);
        reject(new Error(`timed out waiting for ${what}; stderr:\n${stderr}`));
      }, timeoutMs);
      if (!attempt()) listeners.add(listener);
    });

  const match = await waitUntil(
    () => /listening on (\S+):(\d+)/.exec(stderr) ?? (child.exitCode !== null ? null : undefined),
    15_000,
    'the proxy to listen',
  );
  if (match === null) throw new Error(`proxy exited early:\n${stderr}`);
  const port = Number(match[2]);
  /** stdout records parsed so far: each line is parsed once, however often tests look. */
  const parsed: Record<string, unknown>[] = [];
  let parsedLines = 0;
  const parse = (): Record<string, unknown>[] => {
    for (; parsedLines < lines.length; parsedLines++) {
      const line = lines[parsedLines] as string;
      if (line.startsWith('{')) parsed.push(JSON.parse(line) as Record<string, unknown>);
    }
    return parsed;
  };
  return {
    host: '127.0.0.1',
    port,
    url: `http://127.0.0.1:${port}`,
    certsDir,
    caPath: join(certsDir, 'ca.pem'),
    child,
    lines,
    records: () => parse().slice(),
    stderr: () => stderr,
    waitForRecord(predicate, timeoutMs = 10_000) {
      return waitUntil(() => parse().find(predicate), timeoutMs, 'a matching record');
    },
    async waitForStderr(text, timeoutMs = 10_000) {
      await waitUntil(
        () =>
          (typeof text === 'string' ? stderr.includes(text) : text.test(stderr)) ? true : undefined,
        timeoutMs,
        `stderr ${String(text)}`,
      );
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null) child.kill(signal);
      const code = await exited;
      if (ownDir) await rm(certsDir, { recursive: true, force: true });
      return code;
    },
  };
}
