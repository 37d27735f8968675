import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The CLI entry point of the same build as the tests (`.build/test/src/cli/main.js`). */
export const CLI_MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

export interface RunCliOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** Sends SIGTERM once stderr matches (e.g. `/listening on/`). */
  readonly terminateOn?: RegExp;
  /** Sends SIGTERM after this many ms if the CLI is still running. */
  readonly terminateAfterMs?: number;
  /** Called with stderr so far, on each chunk of it. */
  readonly onStderr?: (stderr: string) => void;
  /** Sends SIGTERM once stdout matches (e.g. a line `flows --follow` printed). */
  readonly terminateOnStdout?: RegExp;
  /** Sends SIGTERM once this resolves (a sign the CLI reached the state under test). */
  readonly terminateWhen?: Promise<unknown>;
  /** Sends SIGKILL after this many ms (default 30 s); the result then says `killed: true`. */
  readonly killAfterMs?: number;
}

export interface CliRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** From spawn to exit. */
  readonly elapsedMs: number;
  /** From our SIGTERM to exit; null when none was sent. */
  readonly afterTerminateMs: number | null;
  /** True when the CLI had to be killed with SIGKILL. */
  readonly killed: boolean;
}

/** Runs the real CLI with `args` until it exits (for exit codes and one-line errors). */
export function runCli(args: readonly string[], options: RunCliOptions = {}): Promise<CliRun> {
  const started = Date.now();
  const child = spawn(process.execPath, [CLI_MAIN, ...args], {
    // No flow store unless a test asks for one (`--store FILE` wins over this).
    env: { ...process.env, NO_COLOR: '1', GRPCTAP_STORE: 'none', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let terminatedAt: number | null = null;
  let killed = false;
  const terminate = (): void => {
    if (terminatedAt !== null || child.exitCode !== null) return;
    terminatedAt = Date.now();
    child.kill('SIGTERM');
  };
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    if (options.terminateOnStdout?.test(stdout)) terminate();
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    options.onStderr?.(stderr);
    if (options.terminateOn?.test(stderr)) terminate();
  });
  const termTimer =
    options.terminateAfterMs === undefined
      ? undefined
      : setTimeout(terminate, options.terminateAfterMs);
  options.terminateWhen?.then(terminate, () => {});
  const killTimer = setTimeout(() => {
    killed = true;
    child.kill('SIGKILL');
  }, options.killAfterMs ?? 30_000);
  return new Promise((resolve) => {
    child.once('close', (code, signal) => {
      clearTimeout(termTimer);
      clearTimeout(killTimer);
      const now = Date.now();
      resolve({
        code,
        signal,
        stdout,
        stderr,
        elapsedMs: now - started,
        afterTerminateMs: terminatedAt === null ? null : now - terminatedAt,
        killed,
      });
    });
  });
}
